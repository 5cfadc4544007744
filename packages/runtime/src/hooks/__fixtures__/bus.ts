// A HookBus on a manual clock with a capturing logger: what every hook test starts from.
import { ManualClock } from '../../time/clock.js';
import type { LlmCallEvent, LlmRequestEvent } from '../catalog.js';
import { defineHook } from '../define-hook.js';
import { HookBus } from '../hook-bus.js';
import type { ApiRequest } from '../llm-types.js';
import { captureLogger } from './capture-logger.js';

export function createTestBus(options: { timeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const log = captureLogger();
  const bus = new HookBus({ logger: log.logger, clock, timeoutMs: options.timeoutMs ?? 1000 });
  return { bus, clock, log };
}

/** A promise that never settles: a callback that hangs. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

export const toolCall = { tool: 'kora__status', input: {} } as const;
export const apiRequest = { model: 'claude-haiku', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] } as const satisfies ApiRequest;
export const llmEvent = {
  route: 'test',
  request: apiRequest,
  response: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku',
    content: [{ type: 'text', text: 'hello' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: null, cache_read_input_tokens: null },
  },
} as const satisfies LlmCallEvent;

/** A collect hook whose callbacks may return anything, for tests about collecting rather than about a payload. */
export const notes = defineHook<LlmRequestEvent, unknown>('test_notes', 'collect');
