import { describe, expect, it } from 'vitest';
import { createTestBus, toolCall } from './__fixtures__/bus.js';

describe('guard hooks', () => {
  it('runs every callback, and any block blocks with the reasons of every blocking plugin', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    bus.register('a', 'pre_tool_call', () => {
      called.push('a');
      return { block: true, reason: 'not during a deploy' };
    });
    bus.register('b', 'pre_tool_call', async () => {
      called.push('b');
      return { block: false };
    });
    bus.register('c', 'pre_tool_call', async () => {
      called.push('c');
      return { block: true, reason: 'budget exhausted' };
    });
    bus.register('d', 'pre_tool_call', () => void called.push('d'));
    await expect(bus.dispatch('pre_tool_call', toolCall)).resolves.toEqual({
      blocked: true,
      reasons: [
        { pluginId: 'a', reason: 'not during a deploy' },
        { pluginId: 'c', reason: 'budget exhausted' },
      ],
    });
    expect(called).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets the call through when every guard allows it, or there is none', async () => {
    const { bus } = createTestBus();
    await expect(bus.dispatch('pre_tool_call', toolCall)).resolves.toEqual({ blocked: false, reasons: [] });
    bus.register('a', 'pre_tool_call', () => null);
    bus.register('b', 'pre_tool_call', async () => ({ block: false }));
    bus.register('c', 'pre_tool_call', () => undefined);
    await expect(bus.dispatch('pre_tool_call', toolCall)).resolves.toEqual({ blocked: false, reasons: [] });
  });

  it('blocks (fails closed) when a guard throws, with a reason naming the plugin', async () => {
    const { bus, log } = createTestBus();
    bus.register('ok', 'pre_tool_call', () => null);
    bus.register('broken', 'pre_tool_call', async () => {
      throw new Error('policy store unreachable');
    });
    const result = await bus.dispatch('pre_tool_call', toolCall);
    expect(result.blocked).toBe(true);
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]!.pluginId).toBe('broken');
    expect(result.reasons[0]!.reason).toContain('"broken"');
    expect(result.reasons[0]!.reason).toContain('policy store unreachable');
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'broken', hook: 'pre_tool_call' })]);
  });

  it('blocks on an ambiguous verdict, and gives a block without a reason one', async () => {
    const { bus, log } = createTestBus();
    bus.register('bool', 'pre_tool_call', (() => true) as never);
    bus.register('bare', 'pre_tool_call', (() => ({ block: true })) as never);
    const result = await bus.dispatch('pre_tool_call', toolCall);
    expect(result.blocked).toBe(true);
    expect(result.reasons.map((r) => r.pluginId)).toEqual(['bool', 'bare']);
    expect(result.reasons[0]!.reason).toContain('invalid verdict');
    expect(result.reasons[1]!.reason).toBe('blocked by plugin "bare"');
    expect(log.at('warn').map((l) => l.pluginId)).toEqual(['bool']);
  });
});
