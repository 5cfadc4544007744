// A daemon may carry only tasks or consumers: `start` is optional (host API 1.1).
import { describe, expect, it } from 'vitest';
import { definePlugin } from '../plugins/types.js';
import { createPluginHarness } from '../testing/plugin-harness.js';
import { DaemonRegistry } from './registry.js';

describe('a daemon without start', () => {
  it('runs, and its task runs', async () => {
    let runs = 0;
    const plugin = definePlugin({
      id: 'tasks-only',
      register(ctx) {
        ctx.registerDaemon({ name: 'tasks-only', tasks: [{ name: 'tasks-only.tick', every: '1m', run: () => void runs++ }] });
      },
    });
    const harness = await createPluginHarness(plugin);
    try {
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ name: 'tasks-only', state: 'running', error: null });
      expect(await harness.runTask('tasks-only.tick')).toMatchObject({ status: 'ok' });
      expect(runs).toBe(1);
    } finally {
      await harness.close();
    }
  });

  it('is refused when it has nothing at all to start, run or consume', () => {
    expect(() => new DaemonRegistry().register('p', { name: 'empty' })).toThrow(/Daemon "empty" of plugin "p" has no start function, no tasks and no consumers/);
  });

  it('is refused when start is there but not a function', () => {
    expect(() => new DaemonRegistry().register('p', { name: 'odd', start: 'yes' as never, tasks: [{ name: 'odd.t', every: '1m', run() {} }] })).toThrow(/has a start that is not a function/);
  });
});
