import { describe, expect, it } from 'vitest';
import { createTestBus, llmEvent } from './__fixtures__/bus.js';

describe('collect hooks', () => {
  it('returns the non-null results in registration order', async () => {
    const { bus } = createTestBus();
    bus.register('a', 'pre_llm_call', () => 'context from a');
    bus.register('b', 'pre_llm_call', async () => null);
    bus.register('c', 'pre_llm_call', async () => ({ note: 'c' }));
    bus.register('d', 'pre_llm_call', () => undefined);
    bus.register('e', 'pre_llm_call', () => 0);
    await expect(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqual(['context from a', { note: 'c' }, 0]);
  });

  it('leaves out a throwing callback and returns the rest', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', 'pre_llm_call', () => 1);
    bus.register('b', 'pre_llm_call', () => {
      throw new Error('boom');
    });
    bus.register('c', 'pre_llm_call', async () => 3);
    await expect(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqual([1, 3]);
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'b', hook: 'pre_llm_call' })]);
  });

  it('returns a fresh empty array when nothing is registered', async () => {
    const { bus } = createTestBus();
    const a = await bus.dispatch('pre_llm_call', llmEvent);
    const b = await bus.dispatch('pre_llm_call', llmEvent);
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
  });
});
