import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../time/clock.js';
import { createTestBus, llmEvent, never } from './__fixtures__/bus.js';

describe('concurrent and nested dispatches', () => {
  it('keeps the results of interleaved dispatches apart', async () => {
    const { bus } = createTestBus();
    const delay = (n: number) => flushMicrotasks(n % 3);
    bus.register('a', 'pre_api_request_mutable', async (req) => {
      await delay(req.maxTokens);
      return { model: `a-${req.maxTokens}` };
    });
    bus.register('b', 'pre_api_request_mutable', (req) => (req.maxTokens % 2 === 0 ? { system: `even-${req.maxTokens}` } : null));
    bus.register('c', 'pre_api_request_mutable', async (req) => {
      await delay(req.maxTokens + 1);
      return { maxTokens: req.maxTokens * 10 };
    });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) => bus.dispatch('pre_api_request_mutable', { model: 'm', maxTokens: n, messages: [] })),
    );
    results.forEach((merged, n) => {
      expect(merged).toEqual({ model: `a-${n}`, maxTokens: n * 10, ...(n % 2 === 0 ? { system: `even-${n}` } : {}) });
    });
  });

  it('lets a callback dispatch hooks itself, including the one it is called for', async () => {
    const { bus } = createTestBus();
    bus.register('outer', 'pre_llm_call', async (event, ctx) => {
      if (event.request.model === 'inner') return `inner from ${ctx.pluginId}`;
      const nested = await bus.dispatch('pre_llm_call', { request: { ...event.request, model: 'inner' } });
      return { nested };
    });
    bus.register('sync', 'pre_llm_call', () => 'sync');
    await expect(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqual([{ nested: ['inner from outer', 'sync'] }, 'sync']);
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
