import { describe, expect, it } from 'vitest';
import { createTestBus, toolCall } from './__fixtures__/bus.js';

const event = { ...toolCall, ok: true, durationMs: 12 };

describe('observe hooks', () => {
  it('runs every callback in order with the payload and returns nothing', async () => {
    const { bus } = createTestBus();
    const seen: [string, unknown][] = [];
    bus.register('a', 'post_tool_call', (payload) => void seen.push(['a', payload]));
    bus.register('b', 'post_tool_call', async (payload) => {
      seen.push(['b', payload]);
    });
    bus.register('c', 'post_tool_call', ((payload: unknown) => {
      seen.push(['c', payload]);
      return 'ignored';
    }) as never);
    await expect(bus.dispatch('post_tool_call', event)).resolves.toBeUndefined();
    expect(seen).toEqual([
      ['a', event],
      ['b', event],
      ['c', event],
    ]);
  });

  it('logs a failing observer and still runs the others', async () => {
    const { bus, log } = createTestBus();
    const called: string[] = [];
    bus.register('a', 'post_tool_call', () => {
      throw new Error('disk full');
    });
    bus.register('b', 'post_tool_call', async () => void called.push('b'));
    await expect(bus.dispatch('post_tool_call', event)).resolves.toBeUndefined();
    expect(called).toEqual(['b']);
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'a', hook: 'post_tool_call' })]);
  });
});
