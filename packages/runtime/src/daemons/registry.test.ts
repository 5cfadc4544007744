import { describe, expect, it } from 'vitest';
import { DaemonRegistry } from './registry.js';

const noop = () => {};

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

  it('removes only the failed plugin\'s daemons, keeping registration order', () => {
    const reg = new DaemonRegistry();
    reg.register('a', { name: 'a1', start: noop });
    reg.register('b', { name: 'b1', start: noop });
    reg.register('a', { name: 'a2', start: noop });
    reg.removePlugin('a');
    expect(reg.names()).toEqual(['b1']);
  });
});
