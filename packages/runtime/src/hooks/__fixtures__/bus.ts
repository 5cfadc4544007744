// A HookBus on a manual clock with a capturing logger: what every hook test starts from.
import { ManualClock } from '../../time/clock.js';
import { HookBus } from '../hook-bus.js';
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
export const llmEvent = { request: { model: 'claude-haiku', maxTokens: 64, messages: [{ role: 'user', content: 'hi' }] } } as const;
export const apiRequest = { model: 'claude-haiku', maxTokens: 64, messages: [] } as const;
