import { describe, expect, it } from 'vitest';
import { DaemonError } from '../errors.js';
import { DaemonRegistry } from './registry.js';
import type { DaemonSpec } from './types.js';

const noop = () => {};

function thrown(fn: () => unknown): DaemonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DaemonError);
    return err as DaemonError;
  }
  throw new Error('expected a DaemonError');
}

describe('DaemonRegistry', () => {
  it('refuses a duplicate daemon name and names both plugins', () => {
    const reg = new DaemonRegistry();
    reg.register('slack', { name: 'client', start: noop });
    expect(() => reg.register('email', { name: 'client', start: noop })).toThrowError(/registered by both plugin "slack" and plugin "email"/);
  });

  it('refuses a task name already used by another daemon', () => {
    const reg = new DaemonRegistry();
    reg.register('a', { name: 'one', start: noop, tasks: [{ name: 'sync', every: '1m', run: noop }] });
    expect(() => reg.register('b', { name: 'two', start: noop, tasks: [{ name: 'sync', every: '1m', run: noop }] })).toThrowError(/Task "sync".*daemon "one" of plugin "a"/);
  });

  it('gives a duplicate task its own code, not the duplicate daemon\'s', () => {
    const reg = new DaemonRegistry();
    reg.register('a', { name: 'one', start: noop, tasks: [{ name: 'sync', every: '1m', run: noop }] });
    expect(thrown(() => reg.register('b', { name: 'two', start: noop, tasks: [{ name: 'sync', every: '1m', run: noop }] })).code).toBe('KORA_ERR_TASK_DUPLICATE');
    const twice = thrown(() => reg.register('c', { name: 'three', start: noop, tasks: [{ name: 'x.y', every: '1m', run: noop }, { name: 'x.y', every: '5m', run: noop }] }));
    expect(twice).toMatchObject({ code: 'KORA_ERR_TASK_DUPLICATE', message: expect.stringContaining('daemon "three" itself') });
    expect(reg.names()).toEqual(['one']);
  });

  it('removes only the failed plugin\'s daemons, keeping registration order', () => {
    const reg = new DaemonRegistry();
    reg.register('a', { name: 'a1', start: noop });
    reg.register('b', { name: 'b1', start: noop });
    reg.register('a', { name: 'a2', start: noop });
    reg.removePlugin('a');
    expect(reg.names()).toEqual(['b1']);
  });

  it('accepts daemon and task names shaped like plugin ids, tasks with dots, up to 64 characters', () => {
    const reg = new DaemonRegistry();
    reg.register('p', {
      name: 'reasoning_engine-2',
      start: noop,
      tasks: [
        { name: 'snapshot.compute', every: '1m', run: noop },
        { name: 'cost_telemetry.persist-v2', every: '1m', run: noop },
        { name: `t${'x'.repeat(63)}`, every: '1m', run: noop },
      ],
    });
    reg.register('p', { name: `d${'x'.repeat(63)}`, start: noop });
    expect(reg.names()).toHaveLength(2);
  });

  it.each([
    ['an upper-case letter', 'Engine'],
    ['a leading digit', '1engine'],
    ['a dot', 'snap.shot'],
    ['a space', 'my daemon'],
    ['a newline', 'ok\nKora gateway running'],
    ['65 characters', `d${'x'.repeat(64)}`],
    ['nothing', ''],
  ])('refuses a daemon name with %s, naming the plugin (KORA_ERR_DAEMON_NAME)', (_, name) => {
    const reg = new DaemonRegistry();
    const err = thrown(() => reg.register('acme', { name, start: noop }));
    expect(err.code).toBe('KORA_ERR_DAEMON_NAME');
    expect(err.message).toContain('Plugin "acme" registered a daemon');
    expect(err.message).not.toContain('\n');
    expect(reg.names()).toEqual([]);
  });

  it('refuses a daemon without a name or with a name that is not a string', () => {
    const reg = new DaemonRegistry();
    expect(thrown(() => reg.register('acme', { start: noop } as unknown as DaemonSpec))).toMatchObject({ code: 'KORA_ERR_DAEMON_NAME', message: expect.stringContaining('a daemon without a name') });
    expect(thrown(() => reg.register('acme', { name: 42, start: noop } as unknown as DaemonSpec)).message).toContain('not a string (number)');
  });

  it('takes scope everywhere or leader and refuses any other, naming both (KORA_ERR_DAEMON_SCOPE)', () => {
    const reg = new DaemonRegistry();
    reg.register('acme', { name: 'poller', start: noop, scope: 'leader' });
    reg.register('acme', { name: 'probe', start: noop, scope: 'everywhere' });
    const err = thrown(() => reg.register('acme', { name: 'loop', start: noop, scope: 'leeder' } as unknown as DaemonSpec));
    expect(err).toMatchObject({ code: 'KORA_ERR_DAEMON_SCOPE', message: expect.stringContaining('Daemon "loop" of plugin "acme" declares scope "leeder"') });
    expect(reg.names()).toEqual(['poller', 'probe']);
  });

  it.each([
    ['an upper-case letter', 'Snapshot.compute'],
    ['a leading dot', '.compute'],
    ['a slash', 'snapshot/compute'],
    ['a carriage return and newline', 'sync\r\n{"level":50,"msg":"forged"}'],
    ['65 characters', `t${'x'.repeat(64)}`],
  ])('refuses a task name with %s, naming the plugin and daemon (KORA_ERR_TASK_NAME)', (_, name) => {
    const reg = new DaemonRegistry();
    const err = thrown(() => reg.register('acme', { name: 'snapshot', start: noop, tasks: [{ name, every: '1m', run: noop }] }));
    expect(err.code).toBe('KORA_ERR_TASK_NAME');
    expect(err.message).toContain('Daemon "snapshot" of plugin "acme" declares a task');
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(reg.names()).toEqual([]);
  });

  it('shows a bad name escaped, so control characters and line separators cannot forge a log line', () => {
    const reg = new DaemonRegistry();
    const err = thrown(() => reg.register('acme', { name: 'x\n[INFO] all good\u001b[2K\u2028\u0085', start: noop }));
    expect(err.message).toContain('with the invalid name "x\\n[INFO] all good\\u001b[2K\\u2028\\u0085"');
    expect([...err.message].filter((c) => c.charCodeAt(0) < 0x20 || (c >= '\u007f' && c <= '\u009f') || c === '\u2028')).toEqual([]);
  });
});
