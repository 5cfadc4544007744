import { describe, expect, it } from 'vitest';
import { createTestBus, llmEvent, notes } from './__fixtures__/bus.js';

describe('collect hooks', () => {
  it('returns the non-null results in registration order', async () => {
    const { bus } = createTestBus();
    bus.register('a', notes, () => 'context from a');
    bus.register('b', notes, async () => null);
    bus.register('c', notes, async () => ({ note: 'c' }));
    bus.register('d', notes, () => undefined);
    bus.register('e', notes, () => 0);
    await expect(bus.dispatch(notes, llmEvent)).resolves.toEqual(['context from a', { note: 'c' }, 0]);
  });

  it('leaves out a throwing callback and returns the rest', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', notes, () => 1);
    bus.register('b', notes, () => {
      throw new Error('boom');
    });
    bus.register('c', notes, async () => 3);
    await expect(bus.dispatch(notes, llmEvent)).resolves.toEqual([1, 3]);
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'b', hook: notes.name })]);
  });

  it('returns a fresh empty array when nothing is registered', async () => {
    const { bus } = createTestBus();
    const a = await bus.dispatch('pre_llm_call', llmEvent);
    const b = await bus.dispatch('pre_llm_call', llmEvent);
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
  });
});
