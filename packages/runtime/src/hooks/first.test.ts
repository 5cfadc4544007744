import { describe, expect, it } from 'vitest';
import { createTestBus, llmEvent } from './__fixtures__/bus.js';

describe('first hooks', () => {
  it('returns the first non-null result with the plugin that gave it, and calls no later callback', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    bus.register('a', 'transform_llm_output', () => void called.push('a'));
    bus.register('b', 'transform_llm_output', async () => {
      called.push('b');
      return null;
    });
    bus.register('c', 'transform_llm_output', async () => {
      called.push('c');
      return 'from c';
    });
    bus.register('d', 'transform_llm_output', () => {
      called.push('d');
      return 'from d';
    });
    await expect(bus.dispatch('transform_llm_output', llmEvent)).resolves.toEqual({ value: 'from c', pluginId: 'c' });
    expect(called).toEqual(['a', 'b', 'c']);
  });

  it('treats a result the validator rejects as no claim and asks the next callback', async () => {
    const { bus } = createTestBus();
    bus.register('a', 'transform_llm_output', () => '   ');
    bus.register('b', 'transform_llm_output', async () => 'good');
    const seen: string[] = [];
    const result = await bus.dispatch('transform_llm_output', llmEvent, {
      validate: (value, pluginId) => {
        seen.push(pluginId);
        return typeof value === 'string' && value.trim() !== '';
      },
    });
    expect(result).toEqual({ value: 'good', pluginId: 'b' });
    expect(seen).toEqual(['a', 'b']);
  });

  it('treats a validator that throws as a rejection, and logs it', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', 'transform_llm_output', () => 'x');
    const result = await bus.dispatch('transform_llm_output', llmEvent, {
      validate: () => {
        throw new Error('validator bug');
      },
    });
    expect(result).toBeNull();
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'a', hook: 'transform_llm_output' })]);
  });

  it('moves past a throwing callback, sync or async, and logs it with plugin and hook', async () => {
    const { bus, log } = createTestBus();
    bus.register('sync_thrower', 'transform_llm_output', () => {
      throw new Error('boom');
    });
    bus.register('async_thrower', 'transform_llm_output', async () => {
      throw new Error('async boom');
    });
    bus.register('ok', 'transform_llm_output', () => 'fine');
    await expect(bus.dispatch('transform_llm_output', llmEvent)).resolves.toEqual({ value: 'fine', pluginId: 'ok' });
    expect(log.at('error').map((l) => [l.pluginId, l.hook])).toEqual([
      ['sync_thrower', 'transform_llm_output'],
      ['async_thrower', 'transform_llm_output'],
    ]);
    expect(log.at('error')[0]!.msg).toContain('boom');
  });

  it('returns null when nobody claims, and when nobody is registered', async () => {
    const { bus } = createTestBus();
    await expect(bus.dispatch('post_llm_call_can_reissue', llmEvent)).resolves.toBeNull();
    bus.register('a', 'post_llm_call_can_reissue', () => undefined);
    bus.register('b', 'post_llm_call_can_reissue', async () => null);
    await expect(bus.dispatch('post_llm_call_can_reissue', llmEvent)).resolves.toBeNull();
  });

  it('counts falsy non-null results as claims', async () => {
    const { bus } = createTestBus();
    bus.register('a', 'transform_llm_output', () => '');
    bus.register('b', 'transform_llm_output', () => 'later');
    await expect(bus.dispatch('transform_llm_output', llmEvent)).resolves.toEqual({ value: '', pluginId: 'a' });
  });
});
