import { describe, expect, it } from 'vitest';
import { createTestBus } from './__fixtures__/bus.js';
import { defineHook } from './define-hook.js';

// No catalogued hook is a merge since pre_api_request_mutable became a waterfall
// (waterfall.test.ts); these tests, written for it, now run on a plugin's own merge hook.
interface Settings {
  readonly model: string;
  readonly maxTokens: number;
  readonly system?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}
const settings = defineHook<Settings, Partial<Settings> | null | undefined>('test_settings', 'merge');
const apiRequest: Settings = { model: 'claude-haiku', maxTokens: 64 };

describe('merge hooks', () => {
  it('runs every callback in order and merges object results left to right, last write wins', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    bus.register('a', settings, () => {
      called.push('a');
      return { model: 'haiku', maxTokens: 100 };
    });
    bus.register('b', settings, async () => {
      called.push('b');
      return { model: 'sonnet' };
    });
    bus.register('c', settings, () => {
      called.push('c');
      return null;
    });
    bus.register('d', settings, async () => {
      called.push('d');
      return { system: 'be brief' };
    });
    await expect(bus.dispatch(settings, apiRequest)).resolves.toEqual({ model: 'sonnet', maxTokens: 100, system: 'be brief' });
    expect(called).toEqual(['a', 'b', 'c', 'd']);
  });

  it('merges shallowly: a nested object is replaced, not merged', async () => {
    const { bus } = createTestBus();
    bus.register('a', settings, () => ({ metadata: { a: 1, shared: 'a' } }));
    bus.register('b', settings, () => ({ metadata: { shared: 'b' } }));
    await expect(bus.dispatch(settings, apiRequest)).resolves.toEqual({ metadata: { shared: 'b' } });
  });

  it('ignores non-object results with a warning naming the plugin', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', settings, () => ({ model: 'haiku' }));
    // Plain-JS plugins are not type-checked: these are what such a plugin might return.
    bus.register('str', settings, (() => 'sonnet') as never);
    bus.register('arr', settings, (() => [{ model: 'x' }]) as never);
    await expect(bus.dispatch(settings, apiRequest)).resolves.toEqual({ model: 'haiku' });
    expect(log.at('warn').map((l) => l.pluginId)).toEqual(['str', 'arr']);
  });

  it('copies an own __proto__ key as data instead of changing the prototype', async () => {
    const { bus } = createTestBus();
    bus.register('a', settings, () => JSON.parse('{"__proto__": {"polluted": true}, "model": "m"}') as { model: string });
    const merged = (await bus.dispatch(settings, apiRequest)) as Record<string, unknown>;
    expect(merged.model).toBe('m');
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('isolates a throwing callback and keeps the other results', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', settings, () => ({ model: 'haiku' }));
    bus.register('b', settings, async () => {
      throw new Error('boom');
    });
    bus.register('c', settings, () => ({ maxTokens: 5 }));
    await expect(bus.dispatch(settings, apiRequest)).resolves.toEqual({ model: 'haiku', maxTokens: 5 });
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'b', hook: settings.name })]);
  });

  it('returns a fresh empty object when nothing is registered or nothing is returned', async () => {
    const { bus } = createTestBus();
    const first = await bus.dispatch(settings, apiRequest);
    expect(first).toEqual({});
    bus.register('a', settings, () => undefined);
    const second = await bus.dispatch(settings, apiRequest);
    expect(second).toEqual({});
    expect(second).not.toBe(first);
  });
});
