import { describe, expect, it } from 'vitest';
import { apiRequest, createTestBus, never } from './__fixtures__/bus.js';
import type { ApiRequest } from './llm-types.js';
import { defineHook } from './define-hook.js';

/** Waterfall semantics on a request-shaped value (pre_api_request_mutable's value is a turn that wraps one). */
const REQUEST_WATERFALL = defineHook<ApiRequest>('request_waterfall', 'waterfall');

// pre_api_request_mutable was a merge (every callback saw the original, results merged); it is a
// waterfall now, and these tests replace the merge tests that were written for it.
describe('waterfall hooks', () => {
  it('gives each callback the request as the previous ones left it, and returns the final request', async () => {
    const { bus } = createTestBus();
    const seen: string[] = [];
    bus.register('cost_ladder', REQUEST_WATERFALL, (req) => {
      seen.push(req.model);
      return { model: 'claude-sonnet' };
    });
    bus.register('cache', REQUEST_WATERFALL, async (req) => {
      seen.push(req.model);
      return { system: [{ type: 'text', text: `for ${req.model}`, cache_control: { type: 'ephemeral' } }] };
    });
    bus.register('limits', REQUEST_WATERFALL, (req) => {
      seen.push(req.model);
      return req.system === undefined ? null : { max_tokens: 1024 };
    });
    await expect(bus.dispatch(REQUEST_WATERFALL, apiRequest)).resolves.toEqual({
      ...apiRequest,
      model: 'claude-sonnet',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'for claude-sonnet', cache_control: { type: 'ephemeral' } }],
    });
    expect(seen).toEqual(['claude-haiku', 'claude-sonnet', 'claude-sonnet']);
  });

  it('lets a callback replace the messages deliberately, and the next one sees the replacement', async () => {
    const { bus } = createTestBus();
    bus.register('trim', REQUEST_WATERFALL, (req) => ({ messages: req.messages.slice(-1) }));
    bus.register('append', REQUEST_WATERFALL, (req) => ({ messages: [...req.messages, { role: 'assistant', content: 'ok' }] }));
    const result = await bus.dispatch(REQUEST_WATERFALL, { ...apiRequest, messages: [{ role: 'user', content: 'old' }, { role: 'user', content: 'new' }] });
    expect(result.messages).toEqual([
      { role: 'user', content: 'new' },
      { role: 'assistant', content: 'ok' },
    ]);
  });

  it('returns the original request, unchanged, when nobody is registered or nobody changes it', async () => {
    const { bus } = createTestBus();
    const request: ApiRequest = { ...apiRequest };
    await expect(bus.dispatch(REQUEST_WATERFALL, request)).resolves.toBe(request);
    bus.register('a', REQUEST_WATERFALL, () => null);
    bus.register('b', REQUEST_WATERFALL, async () => undefined);
    await expect(bus.dispatch(REQUEST_WATERFALL, request)).resolves.toBe(request);
  });

  it('never changes the caller’s request object', async () => {
    const { bus } = createTestBus();
    bus.register('a', REQUEST_WATERFALL, () => ({ model: 'claude-opus' }));
    const request: ApiRequest = { ...apiRequest };
    const result = await bus.dispatch(REQUEST_WATERFALL, request);
    expect(result.model).toBe('claude-opus');
    expect(request).toEqual(apiRequest);
  });

  it('leaves the request as it was before a callback that throws, and logs it', async () => {
    const { bus, log } = createTestBus();
    const seen: string[] = [];
    bus.register('a', REQUEST_WATERFALL, () => ({ model: 'from-a' }));
    bus.register('b', REQUEST_WATERFALL, async () => {
      throw new Error('boom');
    });
    bus.register('c', REQUEST_WATERFALL, (req) => void seen.push(req.model));
    await expect(bus.dispatch(REQUEST_WATERFALL, apiRequest)).resolves.toEqual({ ...apiRequest, model: 'from-a' });
    expect(seen).toEqual(['from-a']);
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'b', hook: 'request_waterfall' })]);
  });

  it('leaves the request as it was before a callback that times out, and ignores its late answer', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    let answer: (change: Partial<ApiRequest>) => void = () => {};
    bus.register('a', REQUEST_WATERFALL, () => ({ model: 'from-a' }));
    bus.register('slow', REQUEST_WATERFALL, () => new Promise<Partial<ApiRequest>>((resolve) => (answer = resolve)));
    bus.register('c', REQUEST_WATERFALL, (req) => ({ max_tokens: req.model === 'from-a' ? 7 : 0 }));
    bus.register('hangs', REQUEST_WATERFALL, () => never<Partial<ApiRequest>>());
    let result: ApiRequest | undefined;
    void bus.dispatch(REQUEST_WATERFALL, apiRequest).then((r) => (result = r));
    await clock.advance(1000);
    answer({ model: 'too late' });
    await clock.advance(1000);
    expect(result).toEqual({ ...apiRequest, model: 'from-a', max_tokens: 7 });
  });

  it('ignores results that are not objects, with a warning naming the plugin', async () => {
    const { bus, log } = createTestBus();
    bus.register('a', REQUEST_WATERFALL, () => ({ model: 'haiku' }));
    // Plain-JS plugins are not type-checked: these are what such a plugin might return.
    bus.register('str', REQUEST_WATERFALL, (() => 'sonnet') as never);
    bus.register('arr', REQUEST_WATERFALL, (() => [{ model: 'x' }]) as never);
    await expect(bus.dispatch(REQUEST_WATERFALL, apiRequest)).resolves.toEqual({ ...apiRequest, model: 'haiku' });
    expect(log.at('warn').map((l) => l.pluginId)).toEqual(['str', 'arr']);
  });

  it('copies an own __proto__ key as data instead of changing the prototype', async () => {
    const { bus } = createTestBus();
    bus.register('a', REQUEST_WATERFALL, () => JSON.parse('{"__proto__": {"polluted": true}, "model": "m"}') as { model: string });
    const result = await bus.dispatch(REQUEST_WATERFALL, apiRequest);
    expect(result.model).toBe('m');
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
