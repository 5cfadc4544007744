import { describe, expect, it } from 'vitest';
import { apiRequest, createTestBus } from './__fixtures__/bus.js';

describe('merge hooks', () => {
  it('runs every callback in order and merges object results left to right, last write wins', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    bus.register('a', 'pre_api_request_mutable', () => {
      called.push('a');
      return { model: 'haiku', maxTokens: 100 };
    });
    bus.register('b', 'pre_api_request_mutable', async () => {
      called.push('b');
      return { model: 'sonnet' };
    });
    bus.register('c', 'pre_api_request_mutable', () => {
      called.push('c');
      return null;
    });
    bus.register('d', 'pre_api_request_mutable', async () => {
      called.push('d');
      return { system: 'be brief' };
    });
    await expect(bus.dispatch('pre_api_request_mutable', apiRequest)).resolves.toEqual({ model: 'sonnet', maxTokens: 100, system: 'be brief' });
    expect(called).toEqual(['a', 'b', 'c', 'd']);
  });

  it('merges shallowly: a nested object is replaced, not merged', async () => {
    const { bus } = createTestBus();
    bus.register('a', 'pre_api_request_mutable', () => ({ metadata: { a: 1, shared: 'a' } }));
    bus.register('b', 'pre_api_request_mutable', () => ({ metadata: { shared: 'b' } }));
    await expect(bus.dispatch('pre_api_request_mutable', apiRequest)).resolves.toEqual({ metadata: { shared: 'b' } });
  });

  it('ignores non-object results with a warning naming the plugin', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', 'pre_api_request_mutable', () => ({ model: 'haiku' }));
    // Plain-JS plugins are not type-checked: these are what such a plugin might return.
    bus.register('str', 'pre_api_request_mutable', (() => 'sonnet') as never);
    bus.register('arr', 'pre_api_request_mutable', (() => [{ model: 'x' }]) as never);
    await expect(bus.dispatch('pre_api_request_mutable', apiRequest)).resolves.toEqual({ model: 'haiku' });
    expect(log.at('warn').map((l) => l.pluginId)).toEqual(['str', 'arr']);
  });

  it('copies an own __proto__ key as data instead of changing the prototype', async () => {
    const { bus } = createTestBus();
    bus.register('a', 'pre_api_request_mutable', () => JSON.parse('{"__proto__": {"polluted": true}, "model": "m"}') as { model: string });
    const merged = (await bus.dispatch('pre_api_request_mutable', apiRequest)) as Record<string, unknown>;
    expect(merged.model).toBe('m');
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('isolates a throwing callback and keeps the other results', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', 'pre_api_request_mutable', () => ({ model: 'haiku' }));
    bus.register('b', 'pre_api_request_mutable', async () => {
      throw new Error('boom');
    });
    bus.register('c', 'pre_api_request_mutable', () => ({ maxTokens: 5 }));
    await expect(bus.dispatch('pre_api_request_mutable', apiRequest)).resolves.toEqual({ model: 'haiku', maxTokens: 5 });
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'b', hook: 'pre_api_request_mutable' })]);
  });

  it('returns a fresh empty object when nothing is registered or nothing is returned', async () => {
    const { bus } = createTestBus();
    const first = await bus.dispatch('pre_api_request_mutable', apiRequest);
    expect(first).toEqual({});
    bus.register('a', 'pre_api_request_mutable', () => undefined);
    const second = await bus.dispatch('pre_api_request_mutable', apiRequest);
    expect(second).toEqual({});
    expect(second).not.toBe(first);
  });
});
