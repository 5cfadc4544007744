import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../time/clock.js';
import { createTestBus, llmEvent, never, notes } from './__fixtures__/bus.js';
import { defineHook } from './define-hook.js';
import type { ApiRequest } from './llm-types.js';

/** Waterfall semantics on a request-shaped value (pre_api_request_mutable's value is a turn that wraps one). */
const REQUEST_WATERFALL = defineHook<ApiRequest>('request_waterfall', 'waterfall');

describe('concurrent and nested dispatches', () => {
  // pre_api_request_mutable is a waterfall now (it was merge): `b` sees the model `a` chose.
  it('keeps the results of interleaved dispatches apart', async () => {
    const { bus } = createTestBus();
    const delay = (n: number) => flushMicrotasks(n % 3);
    bus.register('a', REQUEST_WATERFALL, async (req) => {
      await delay(req.max_tokens);
      return { model: `a-${req.max_tokens}` };
    });
    bus.register('b', REQUEST_WATERFALL, (req) => (req.max_tokens % 2 === 0 ? { system: [{ type: 'text', text: `${req.model} even` }] } : null));
    bus.register('c', REQUEST_WATERFALL, async (req) => {
      await delay(req.max_tokens + 1);
      return { max_tokens: req.max_tokens * 10 };
    });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) => bus.dispatch(REQUEST_WATERFALL, { model: 'm', max_tokens: n, messages: [] })),
    );
    results.forEach((request, n) => {
      expect(request).toEqual({ model: `a-${n}`, max_tokens: n * 10, messages: [], ...(n % 2 === 0 ? { system: [{ type: 'text', text: `a-${n} even` }] } : {}) });
    });
  });

  it('lets a callback dispatch hooks itself, including the one it is called for', async () => {
    const { bus } = createTestBus();
    bus.register('outer', notes, async (event, ctx) => {
      if (event.request.model === 'inner') return `inner from ${ctx.pluginId}`;
      const nested = await bus.dispatch(notes, { ...event, request: { ...event.request, model: 'inner' } });
      return { nested };
    });
    bus.register('sync', notes, () => 'sync');
    await expect(bus.dispatch(notes, llmEvent)).resolves.toEqual([{ nested: ['inner from outer', 'sync'] }, 'sync']);
  });

  it('keeps working normally after a dispatch that timed out', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 100 });
    let hang = true;
    bus.register('sometimes_hangs', 'pre_llm_call', () => (hang ? never() : Promise.resolve('answered')));
    bus.register('ok', 'pre_llm_call', async () => 'ok');
    const first = bus.dispatch('pre_llm_call', llmEvent);
    await clock.advance(100);
    await expect(first).resolves.toEqual(['ok']);
    hang = false;
    for (let i = 0; i < 20; i++) await expect(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqual(['answered', 'ok']);
  });
});
