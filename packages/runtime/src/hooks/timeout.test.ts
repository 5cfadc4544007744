import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { ManualClock } from '../time/clock.js';
import { createTestBus, llmEvent, never, notes, toolCall } from './__fixtures__/bus.js';
import { HookBus } from './hook-bus.js';

/** Track whether a promise has settled, without awaiting it. */
function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly value: T | undefined } {
  const state = { settled: false, value: undefined as T | undefined };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

describe('hook timeouts', () => {
  it('abandons a hanging callback at its timeout, logs it, and carries on with the next', async () => {
    const { bus, clock, log } = createTestBus({ timeoutMs: 1000 });
    bus.register('hangs', 'pre_llm_call', () => never());
    bus.register('ok', 'pre_llm_call', () => 'ok');
    const result = watch(bus.dispatch('pre_llm_call', llmEvent));
    await clock.advance(999);
    expect(result.settled).toBe(false);
    await clock.advance(1);
    expect(result.settled).toBe(true);
    expect(result.value).toEqual(['ok']);
    const errors = log.at('error');
    expect(errors).toEqual([expect.objectContaining({ pluginId: 'hangs', hook: 'pre_llm_call', timeoutMs: 1000 })]);
    expect(errors[0]!.msg).toContain('timed out after 1000ms');
  });

  it('defaults to 30 s', async () => {
    const clock = new ManualClock();
    const bus = new HookBus({ logger: createSilentLogger(), clock });
    bus.register('hangs', 'post_llm_call', () => never());
    const result = watch(bus.dispatch('post_llm_call', llmEvent));
    await clock.advance(29_999);
    expect(result.settled).toBe(false);
    await clock.advance(1);
    expect(result.settled).toBe(true);
  });

  it('first: moves on to the next callback when one times out', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    bus.register('hangs', 'transform_llm_output', () => never());
    bus.register('next', 'transform_llm_output', async () => 'from next');
    const result = watch(bus.dispatch('transform_llm_output', llmEvent));
    await clock.advance(1000);
    expect(result.value).toEqual({ value: 'from next', pluginId: 'next' });
  });

  it('guard: a guard that times out blocks, with a reason naming the plugin', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    bus.register('allows', 'pre_tool_call', () => null);
    bus.register('hangs', 'pre_tool_call', () => never());
    const result = watch(bus.dispatch('pre_tool_call', toolCall));
    await clock.advance(1000);
    expect(result.value?.blocked).toBe(true);
    expect(result.value?.reasons).toEqual([{ pluginId: 'hangs', reason: expect.stringContaining('"hangs"') as string }]);
  });

  it("aborts the callback's signal with a KORA_ERR_HOOK_TIMEOUT reason", async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    let signal: AbortSignal | undefined;
    bus.register('a', 'post_tool_call', (_payload, context) => {
      signal = context.signal;
      return never();
    });
    const result = watch(bus.dispatch('post_tool_call', { ...toolCall, ok: true, durationMs: 1 }));
    await clock.advance(500);
    expect(signal?.aborted).toBe(false);
    await clock.advance(500);
    expect(result.settled).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toMatchObject({ code: 'KORA_ERR_HOOK_TIMEOUT', details: { pluginId: 'a', hook: 'post_tool_call' } });
  });

  it('gives a signal read only after the timeout already aborted', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    let context: { readonly signal: AbortSignal } | undefined;
    bus.register('a', 'pre_llm_call', (_payload, ctx) => {
      context = ctx;
      return never();
    });
    void bus.dispatch('pre_llm_call', llmEvent);
    await clock.advance(1000);
    expect(context?.signal.aborted).toBe(true);
  });

  it('ignores the late answer of a timed-out callback (logged at debug)', async () => {
    const { bus, clock, log } = createTestBus({ timeoutMs: 1000 });
    let answer: (value: string) => void = () => {};
    bus.register('slow', 'pre_llm_call', () => new Promise<string>((resolve) => (answer = resolve)));
    bus.register('fast', 'pre_llm_call', () => 'fast');
    const result = watch(bus.dispatch('pre_llm_call', llmEvent));
    await clock.advance(1000);
    answer('too late');
    await clock.advance(0);
    expect(result.value).toEqual(['fast']);
    expect(log.at('debug').some((l) => l.pluginId === 'slow' && l.msg.includes('after its timeout'))).toBe(true);
  });

  it('gives each callback its own full timeout', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    const slow = (value: string) => () => new Promise<string>((resolve) => clock.setTimeout(() => resolve(value), 700));
    bus.register('a', 'pre_llm_call', slow('a'));
    bus.register('b', 'pre_llm_call', slow('b'));
    const result = watch(bus.dispatch('pre_llm_call', llmEvent));
    await clock.advance(1400);
    expect(result.value).toEqual(['a', 'b']);
  });

  it('times out concurrent dispatches each at its own deadline', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    bus.register('hangs', 'pre_llm_call', () => never());
    const first = watch(bus.dispatch('pre_llm_call', llmEvent));
    await clock.advance(400);
    const second = watch(bus.dispatch('pre_llm_call', llmEvent));
    await clock.advance(600);
    expect([first.settled, second.settled]).toEqual([true, false]);
    await clock.advance(399);
    expect(second.settled).toBe(false);
    await clock.advance(1);
    expect(second.settled).toBe(true);
  });

  it('keeps a timed-out dispatch going through several hanging callbacks', async () => {
    const { bus, clock } = createTestBus({ timeoutMs: 1000 });
    bus.register('h1', 'pre_tool_call', () => never());
    bus.register('h2', 'pre_tool_call', () => never());
    bus.register('ok', 'pre_tool_call', () => null);
    const result = watch(bus.dispatch('pre_tool_call', toolCall));
    await clock.advance(1000);
    expect(result.settled).toBe(false);
    await clock.advance(1000);
    expect(result.value?.reasons.map((r) => r.pluginId)).toEqual(['h1', 'h2']);
  });

  it('arms no timer for callbacks that return plain values', async () => {
    const { bus, clock } = createTestBus();
    bus.register('a', notes, () => 1);
    bus.register('b', notes, () => 2);
    await expect(bus.dispatch(notes, llmEvent)).resolves.toEqual([1, 2]);
    expect(clock.pending).toBe(0);
  });

  it('rejects a timeout that is not a positive number', () => {
    expect(() => new HookBus({ logger: createSilentLogger(), timeoutMs: 0 })).toThrow(/positive/);
    expect(() => new HookBus({ logger: createSilentLogger(), timeoutMs: Number.NaN })).toThrow(/positive/);
  });
});
