import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { pluginProvider, ServiceRegistry } from '../services/registry.js';
import { flushMicrotasks, ManualClock } from '../time/clock.js';
import { Supervisor, type SupervisedDaemon } from './supervisor.js';
import type { DaemonSpec } from './types.js';

type Behaviour = 'ok' | 'throw' | 'hang';

function daemon(name: string, log: string[], opts: { start?: Behaviour; stop?: Behaviour; fatal?: boolean } = {}): SupervisedDaemon {
  const spec: DaemonSpec = {
    name,
    start: () => {
      if (opts.start === 'throw') {
        log.push(`${name}:fail`);
        throw new Error(`${name} cannot connect`);
      }
      if (opts.start === 'hang') {
        log.push(`${name}:hang`);
        return new Promise<void>(() => {});
      }
      log.push(`${name}:start`);
    },
    stop: () => {
      log.push(`${name}:stop`);
      if (opts.stop === 'throw') throw new Error(`${name} stop exploded`);
      if (opts.stop === 'hang') return new Promise<void>(() => {});
    },
  };
  return { name, pluginId: `p-${name}`, spec, fatal: opts.fatal ?? false, scope: 'everywhere', startTimeoutMs: 30_000, stopTimeoutMs: 10_000 };
}

function supervisor(daemons: SupervisedDaemon[], clock = new ManualClock()) {
  return new Supervisor({ daemons, services: new ServiceRegistry(), logger: createSilentLogger(), clock });
}

describe('Supervisor', () => {
  it('unwinds LIFO when a fatal daemon fails: a:start b:start c:fail b:stop a:stop, d never starts', async () => {
    const log: string[] = [];
    const sup = supervisor([daemon('a', log), daemon('b', log), daemon('c', log, { start: 'throw', fatal: true }), daemon('d', log)]);
    const outcome = await sup.start();
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.fatal).toBe('c');
    expect(outcome.ok === false && outcome.error.code).toBe('KORA_ERR_DAEMON_START');
    expect(log).toEqual(['a:start', 'b:start', 'c:fail', 'b:stop', 'a:stop']);
    const states = Object.fromEntries(sup.status().map((d) => [d.name, d.state]));
    expect(states).toEqual({ a: 'stopped', b: 'stopped', c: 'failed', d: 'pending' });
  });

  it('fences a non-fatal failure and keeps going: d starts, c is failed with its error', async () => {
    const log: string[] = [];
    const sup = supervisor([daemon('a', log), daemon('b', log), daemon('c', log, { start: 'throw' }), daemon('d', log)]);
    const outcome = await sup.start();
    expect(outcome).toEqual({ ok: true, failed: ['c'] });
    expect(log).toEqual(['a:start', 'b:start', 'c:fail', 'd:start']);
    const c = sup.status().find((d) => d.name === 'c');
    expect(c).toMatchObject({ state: 'failed', fatal: false, error: 'Daemon "c" failed to start: c cannot connect', errorCode: 'KORA_ERR_DAEMON_START' });
    expect(sup.running()).toEqual(['a', 'b', 'd']);
    await sup.stop();
    expect(log.slice(4)).toEqual(['d:stop', 'b:stop', 'a:stop']);
  });

  it('fails a start that hangs past its timeout and aborts its signal', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let signal: AbortSignal | undefined;
    const hung = daemon('slow', log, { start: 'hang' });
    const start = hung.spec.start!;
    hung.spec.start = (ctx) => {
      signal = ctx.signal;
      return start(ctx);
    };
    hung.startTimeoutMs = 5_000;
    const sup = supervisor([hung, daemon('next', log)], clock);
    const started = sup.start();
    await clock.advance(4_999);
    expect(sup.status()[0]?.state).toBe('starting');
    await clock.advance(1);
    const outcome = await started;
    expect(outcome).toEqual({ ok: true, failed: ['slow'] });
    expect(sup.status()[0]).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_DAEMON_START_TIMEOUT' });
    expect(signal?.aborted).toBe(true);
    expect(log).toEqual(['slow:hang', 'next:start']);
  });

  it('does not let a hung or throwing stop block the others', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const sup = supervisor([daemon('a', log), daemon('b', log, { stop: 'hang' }), daemon('c', log, { stop: 'throw' })], clock);
    await sup.start();
    const stopping = sup.stop();
    await clock.advance(10_000);
    await stopping;
    expect(log).toEqual(['a:start', 'b:start', 'c:start', 'c:stop', 'b:stop', 'a:stop']);
    const byName = Object.fromEntries(sup.status().map((d) => [d.name, d]));
    expect(byName.a?.state).toBe('stopped');
    expect(byName.b).toMatchObject({ state: 'stopped', errorCode: 'KORA_ERR_DAEMON_STOP_TIMEOUT' });
    expect(byName.c).toMatchObject({ state: 'stopped', errorCode: 'KORA_ERR_DAEMON_STOP' });
  });

  it('reports every state a daemon passes through', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    let release: () => void = () => {};
    const spec: DaemonSpec = { name: 'x', start: () => new Promise<void>((r) => (release = r)), stop: () => {} };
    const sup: Supervisor = new Supervisor({
      daemons: [{ name: 'x', pluginId: 'p', spec, fatal: false, scope: 'everywhere', startTimeoutMs: 1000, stopTimeoutMs: 1000 }],
      services: new ServiceRegistry(),
      logger: createSilentLogger(),
      clock,
      onChange: () => seen.push(sup.status()[0]?.state ?? '?'),
    });
    expect(sup.status()[0]?.state).toBe('pending');
    const started = sup.start();
    await clock.advance(10);
    release();
    await started;
    await sup.stop();
    expect(seen).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(sup.status()[0]?.startDurationMs).toBe(10);
  });

  it('withdraws the services a daemon provided when it stops, and only those', async () => {
    const services = new ServiceRegistry();
    services.scoped(pluginProvider('p')).provide('routes', []);
    const spec: DaemonSpec = { name: 'engine', start: (ctx) => ctx.services.provide('llm', { model: 'x' }) };
    const sup = new Supervisor({ daemons: [{ name: 'engine', pluginId: 'p', spec, fatal: false, scope: 'everywhere', startTimeoutMs: 1000, stopTimeoutMs: 1000 }], services, logger: createSilentLogger(), clock: new ManualClock() });
    await sup.start();
    expect(services.has('llm')).toBe(true);
    await sup.stop();
    expect(services.has('llm')).toBe(false);
    expect(services.has('routes')).toBe(true);
  });

  it('withdraws the services of a daemon that failed after providing them', async () => {
    const services = new ServiceRegistry();
    const spec: DaemonSpec = {
      name: 'half',
      start: (ctx) => {
        ctx.services.provide('llm', { model: 'x' });
        throw new Error('then broke');
      },
    };
    const sup = new Supervisor({ daemons: [{ name: 'half', pluginId: 'p', spec, fatal: false, scope: 'everywhere', startTimeoutMs: 1000, stopTimeoutMs: 1000 }], services, logger: createSilentLogger(), clock: new ManualClock() });
    await sup.start();
    expect(services.has('llm')).toBe(false);
  });

  it('stopped while a daemon is starting: aborts that start, starts nothing after it, stops what started', async () => {
    const log: string[] = [];
    const slow: SupervisedDaemon = {
      name: 'slow',
      pluginId: 'p-slow',
      fatal: true,
      scope: 'everywhere',
      startTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
      spec: {
        name: 'slow',
        // Honours its signal: the stop's abort ends the start early, as a rejection.
        start: ({ signal }) =>
          new Promise<void>((_, reject) => {
            log.push('slow:starting');
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
        stop: () => {
          log.push('slow:stop');
        },
      },
    };
    const sup = supervisor([daemon('a', log), slow, daemon('b', log)]);
    const started = sup.start();
    await flushMicrotasks();
    const stopped = sup.stop();
    // Not fatal, although `slow` is: the stop cut it short, it did not fail.
    expect(await started).toEqual({ ok: true, failed: [] });
    await stopped;
    expect(log).toEqual(['a:start', 'slow:starting', 'a:stop']);
    expect(Object.fromEntries(sup.status().map((d) => [d.name, d.state]))).toEqual({ a: 'stopped', slow: 'stopped', b: 'pending' });
  });

  it('stopped while a daemon is starting that ignores its signal: waits for it, then stops it too', async () => {
    const log: string[] = [];
    let finish: () => void = () => {};
    const stubborn: SupervisedDaemon = {
      ...daemon('stubborn', log),
      spec: {
        name: 'stubborn',
        start: () =>
          new Promise<void>((resolve) => {
            log.push('stubborn:starting');
            finish = resolve;
          }),
        stop: () => {
          log.push('stubborn:stop');
        },
      },
    };
    const sup = supervisor([daemon('a', log), stubborn, daemon('b', log)]);
    const started = sup.start();
    await flushMicrotasks();
    const stopped = sup.stop();
    finish();
    await started;
    await stopped;
    expect(log).toEqual(['a:start', 'stubborn:starting', 'stubborn:stop', 'a:stop']);
    expect(sup.running()).toEqual([]);
  });

  it('keeps the endpoints a running daemon publishes, without their login links, and drops them at stop', async () => {
    const spec: DaemonSpec = {
      name: 'web',
      start(context) {
        context.publishEndpoint({ name: 'admin UI', url: 'http://127.0.0.1:9119/login', note: 'token in /h/admin_token', login: 'http://127.0.0.1:9119/login#token=s3cret' });
        expect(() => context.publishEndpoint({ name: 'bad', url: 'not a url' })).toThrow(expect.objectContaining({ code: 'KORA_ERR_DAEMON_ENDPOINT', message: expect.not.stringContaining('s3cret') }));
      },
    };
    const sup = supervisor([{ name: 'web', pluginId: 'web', spec, fatal: true, scope: 'everywhere', startTimeoutMs: 1000, stopTimeoutMs: 1000 }]);
    await sup.start();
    expect(sup.status()[0]!.endpoints).toEqual([{ name: 'admin UI', url: 'http://127.0.0.1:9119/login', note: 'token in /h/admin_token' }]);
    expect(JSON.stringify(sup.status())).not.toContain('s3cret');
    expect(sup.loginLinks()).toEqual([{ daemon: 'web', name: 'admin UI', login: 'http://127.0.0.1:9119/login#token=s3cret' }]);
    await sup.stop();
    expect(sup.status()[0]!.endpoints).toEqual([]);
    expect(sup.loginLinks()).toEqual([]);
  });

  it('shows the note a running daemon set, on one line, cleared by null and at stop', async () => {
    let set: ((note: string | null) => void) | undefined;
    const spec: DaemonSpec = {
      name: 'slack_client',
      start(context) {
        set = context.setNote;
        context.setNote('KORA_SLACK_BOT_TOKEN is not set:\n  no Slack client');
      },
    };
    const sup = supervisor([{ name: 'slack_client', pluginId: 'slack', spec, fatal: false, scope: 'everywhere', startTimeoutMs: 1000, stopTimeoutMs: 1000 }]);
    await sup.start();
    expect(sup.status()[0]!.note).toBe('KORA_SLACK_BOT_TOKEN is not set: no Slack client');
    set!(null);
    expect(sup.status()[0]!.note).toBeNull();
    set!('again');
    await sup.stop();
    expect(sup.status()[0]!.note).toBeNull();
  });
});

