import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { writePlugin } from '../plugins/fixture-plugins.test-helper.js';
import { openStore } from '../store/index.js';
import { ManualClock } from '../time/clock.js';
import { Gateway } from './gateway.js';
import type { GatewayStatus } from './status.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete (globalThis as Record<string, unknown>).__koraEvents;
});

const events = (): string[] => ((globalThis as Record<string, unknown>).__koraEvents ??= []) as string[];

// Daemon `worker` provides a service and runs a 1s task; `broken` fails to start (non-fatal) and has a task too.
const WORKER = `
  const ev = (e) => (globalThis.__koraEvents ??= []).push(e);
  ctx.registerIdentityProvider(() => ({ soul: 'calm', systemPrompt: 'You are Testa.', metadata: { agent_name: 'Testa' } }));
  ctx.registerDaemon({
    name: 'worker',
    start(d) { d.services.provide('counter', { home: ctx.paths.home }); ev('worker:start'); },
    stop() { ev('worker:stop'); },
    tasks: [{ name: 'worker.tick', every: '1s', run() { ev('tick'); } }],
  });
  ctx.registerDaemon({
    name: 'broken',
    start() { throw new Error('no route to host'); },
    tasks: [{ name: 'broken.tick', every: '1s', run() { ev('broken:tick'); } }],
  });
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'kora-gw-'));
  dirs.push(dir);
  const bundled = join(dir, 'bundled');
  mkdirSync(bundled);
  writePlugin(bundled, { id: 'work', daemons: ['worker', 'broken'], hooks: ['pre_agent_identity_set'], register: WORKER });
  const config = join(dir, 'kora.yaml');
  writeFileSync(config, 'plugins:\n  enabled: [work]\n');
  return { dir, bundled, config };
}

async function gateway(s: ReturnType<typeof setup>, home: string, clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0, 500))) {
  const gw = await Gateway.create({ cwd: s.dir, configPath: s.config, env: { KORA_HOME: home, KORA_DEPLOY_ENV: 'test' }, clock, logger: createSilentLogger(), bundledDir: s.bundled });
  return { gw, clock };
}

const readStatus = (home: string) => JSON.parse(readFileSync(join(home, 'run', 'status.json'), 'utf8')) as GatewayStatus;
const settle = () => new Promise((r) => setImmediate(r));

describe('Gateway', () => {
  it('passes through booting, degraded, shutting_down and stopped, writing each to the status file', async () => {
    const s = setup();
    const home = join(s.dir, 'home');
    const { gw } = await gateway(s, home);
    expect(gw.status().state).toBe('booting');
    const started = await gw.start();
    expect(started).toEqual({ ok: true, state: 'degraded' });
    await settle();
    const st = readStatus(home);
    expect(st.state).toBe('degraded');
    expect(st.problems).toEqual(['daemon broken failed: Daemon "broken" failed to start: no route to host']);
    expect(st.identity).toMatchObject({ agentName: 'Testa', source: { kind: 'plugin', pluginId: 'work' } });
    expect(st.daemons.map((d) => [d.name, d.plugin, d.state, d.tasks.map((t) => t.name)])).toEqual([
      ['store_maintenance', 'runtime', 'running', ['store.retention']],
      ['worker', 'work', 'running', ['worker.tick']],
      ['broken', 'work', 'failed', []],
    ]);
    const stopping = gw.stop('test over');
    expect(gw.status().state).toBe('shutting_down');
    await stopping;
    expect(readStatus(home)).toMatchObject({ state: 'stopped', shutdownReason: 'test over', exitCode: 0 });
  });

  it('runs the tasks of running daemons only, and stops them before their daemon stops', async () => {
    const s = setup();
    const { gw, clock } = await gateway(s, join(s.dir, 'home'));
    await gw.start();
    await clock.advance(1000);
    await clock.advance(1000);
    await gw.stop('done');
    await clock.advance(5000);
    expect(events()).toEqual(['worker:start', 'tick', 'tick', 'worker:stop']);
    const rows = await (async () => {
      const again = await gateway(s, join(s.dir, 'home'));
      await again.gw.load();
      const recent = await again.gw.store.ledger.recent({ task: 'worker.tick' });
      await again.gw.close();
      return recent;
    })();
    // `load()` opens the same home's store: the two runs are in the ledger.
    expect(rows.filter((r) => r.status === 'ok')).toHaveLength(2);
  });

  it('keeps two gateways in one process apart: services, stores, status and sessions', async () => {
    const s = setup();
    const a = await gateway(s, join(s.dir, 'home-a'));
    const b = await gateway(s, join(s.dir, 'home-b'));
    await a.gw.start();
    await b.gw.start(); // the same daemon names and service name in a second gateway are no clash
    expect(a.gw.services.get('counter')).toEqual({ home: join(s.dir, 'home-a') });
    expect(b.gw.services.get('counter')).toEqual({ home: join(s.dir, 'home-b') });
    expect(a.gw.sessionId).not.toBe(b.gw.sessionId);
    expect(a.gw.store.location).not.toBe(b.gw.store.location);
    await a.clock.advance(1000);
    await a.gw.stop('a done');
    expect(b.gw.state).toBe('degraded');
    await settle();
    expect(readStatus(join(s.dir, 'home-a')).state).toBe('stopped');
    expect(readStatus(join(s.dir, 'home-b')).state).toBe('degraded');
    expect(b.gw.status().daemons.find((d) => d.name === 'worker')?.tasks[0]?.runs).toBe(0);
    await b.gw.stop('b done');
  });

  it('stays up degraded with the IdentityError in status when no identity resolves', async () => {
    const s = setup();
    writePlugin(s.bundled, { id: 'mute', register: 'ctx.registerDaemon({ name: "quiet", start() {} });' });
    writeFileSync(s.config, 'plugins:\n  enabled: [mute]\n');
    const { gw } = await gateway(s, join(s.dir, 'home'));
    expect(await gw.start()).toEqual({ ok: true, state: 'degraded' });
    expect(gw.status().identity).toMatchObject({ code: 'KORA_ERR_IDENTITY_UNRESOLVED' });
    expect(() => gw.identity).toThrowError(/KORA_SYSTEM_PROMPT_PATH/);
    await gw.stop('done');
  });

  it('shows an identity provider returning an invalid spec as a problem in status, and the next provider wins', async () => {
    const s = setup();
    writePlugin(s.bundled, { id: 'liar', hooks: ['pre_agent_identity_set'], register: "ctx.registerIdentityProvider(() => ({ systemPrompt: 'You are Liar.', soul: 42, metadata: {} }));" });
    writeFileSync(s.config, 'plugins:\n  enabled: [liar, work]\n');
    const home = join(s.dir, 'home');
    const { gw } = await gateway(s, home);
    expect(await gw.start()).toMatchObject({ ok: true, state: 'degraded' });
    expect(gw.identity.agentName).toBe('Testa');
    const problem = "identity provider of plugin liar returned an invalid identity (soul is not a string (use '' for none)); treated as no claim";
    expect(gw.status().problems).toContain(problem);
    await settle();
    expect(readStatus(home).problems).toContain(problem);
    await gw.stop('done');
  });

  it('reads identity files named in kora.yaml relative to that file, not the working directory', async () => {
    const s = setup();
    writePlugin(s.bundled, { id: 'mute', register: '' });
    mkdirSync(join(s.dir, 'persona'));
    writeFileSync(join(s.dir, 'persona', 'ada.md'), 'You are Ada.\n');
    writeFileSync(s.config, 'plugins:\n  enabled: [mute]\nidentity:\n  systemPromptPath: persona/ada.md\n');
    const gw = await Gateway.create({ cwd: tmpdir(), configPath: s.config, env: { KORA_HOME: join(s.dir, 'home'), KORA_DEPLOY_ENV: 'test' }, clock: new ManualClock(0), logger: createSilentLogger(), bundledDir: s.bundled });
    expect(await gw.start()).toEqual({ ok: true, state: 'running' });
    expect(gw.identity.source).toEqual({ kind: 'file', path: join(s.dir, 'persona', 'ada.md') });
    expect(gw.identity.agentName).toBe('ada');
    await gw.stop('done');
  });

  it('applies audit retention at boot: entries older than store.audit.maxAge go, newer ones stay', async () => {
    const s = setup();
    const home = join(s.dir, 'home');
    const now = Date.UTC(2026, 10, 23, 10, 0, 0);
    const seed = await openStore({ home });
    await seed.audit.append({ at: now - 3 * 86_400_000, plugin: 'work', seam: 'old', details: {} });
    await seed.audit.append({ at: now - 3_600_000, plugin: 'work', seam: 'recent', details: {} });
    await seed.close();
    writeFileSync(s.config, 'plugins:\n  enabled: [work]\nstore:\n  audit:\n    maxAge: 2d\n');
    const { gw } = await gateway(s, home, new ManualClock(now));
    await gw.start();
    // Retention is the runtime's own task, run at start: wait for its first run to be recorded.
    const retention = () => gw.status().daemons.find((d) => d.name === 'store_maintenance')?.tasks[0]?.lastRun?.status;
    for (let i = 0; i < 50 && retention() !== 'ok'; i++) await settle();
    expect(retention()).toBe('ok');
    await gw.stop('done');
    const check = await openStore({ home });
    expect((await check.audit.list()).map((e) => e.seam)).toEqual(['recent']);
    expect((await check.ledger.recent({ task: 'store.retention' }))[0]).toMatchObject({ status: 'ok', daemon: 'store_maintenance' });
    await check.close();
  });

  it('refuses a daemon whose own start timeout is not a duration, naming plugin, field and the override (exit 2)', async () => {
    const s = setup();
    writePlugin(s.bundled, { id: 'sloppy', register: 'ctx.registerDaemon({ name: "lazy", startTimeout: "soon", start() {} });' });
    writeFileSync(s.config, 'plugins:\n  enabled: [sloppy]\n');
    const { gw } = await gateway(s, join(s.dir, 'home'));
    const result = await gw.start();
    expect(result).toMatchObject({ ok: false, exitCode: 2, error: { code: 'KORA_ERR_CONFIG_INVALID' } });
    const message = result.ok ? '' : result.error.message;
    expect(message).toContain(s.config);
    expect(message).toContain('daemons.lazy.startTimeout: plugin "sloppy" declares startTimeout "soon"');
  });

  it('writes a lone task run to the status file at once, and a burst of runs at most once a second', async () => {
    const s = setup();
    const tasks = [0, 100, 200, 300, 400].map((offset) => `{ name: 'burst.t${offset}', every: '10s', offset: ${offset}, run() {} }`);
    writePlugin(s.bundled, { id: 'burst', register: `ctx.registerDaemon({ name: 'burst', start() {}, tasks: [${tasks.join(', ')}] });` });
    writeFileSync(s.config, 'plugins:\n  enabled: [burst]\nidentity:\n  systemPromptPath: prompt.md\n');
    writeFileSync(join(s.dir, 'prompt.md'), 'You are Burst.\n');
    const home = join(s.dir, 'home');
    // Started at :07, so the first heartbeat (every 5 s) falls at :12, clear of the runs at :10.
    const { gw, clock } = await gateway(s, home, new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 7)));
    await gw.start();
    const runs = () => readStatus(home).daemons.find((d) => d.name === 'burst')?.tasks.reduce((n, t) => n + t.runs, 0);
    await clock.advanceTo(Date.UTC(2026, 10, 23, 10, 0, 10));
    await settle();
    expect(runs()).toBe(1);
    await clock.advanceTo(Date.UTC(2026, 10, 23, 10, 0, 10, 400));
    await settle();
    // Four more runs happened; the file waits for the end of the second.
    expect(gw.status().daemons.find((d) => d.name === 'burst')?.tasks.reduce((n, t) => n + t.runs, 0)).toBe(5);
    expect(runs()).toBe(1);
    await clock.advanceTo(Date.UTC(2026, 10, 23, 10, 0, 11));
    await settle();
    expect(runs()).toBe(5);
    await gw.stop('done');
  });
});
