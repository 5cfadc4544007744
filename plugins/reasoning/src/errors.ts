// The engine's coded errors, each built in one place: what the message says and which fields a
// caller (a channel plugin turning the error into a short reply) can read. No message carries a
// credential: the SDK's errors quote the API's body, never the request's headers.
import { KoraError } from '@kora/runtime';

/** The variables the engine reads its credential from, in the order it prefers them. */
export const CREDENTIAL_ENVS = ['CLAUDE_CODE_OAUTH_TOKEN', 'KORA_ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY'] as const;

export type ReasoningErrorCode = 'KORA_ERR_REASONING_NOT_CONFIGURED' | 'KORA_ERR_REASONING_API' | 'KORA_ERR_REASONING_TIMEOUT' | 'KORA_ERR_REASONING_ABORTED' | 'KORA_ERR_REASONING_MAX_CALLS';

export class ReasoningError extends KoraError {
  declare readonly code: ReasoningErrorCode;

  constructor(code: ReasoningErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(code, message, details, options);
  }
}

export function notConfigured(): ReasoningError {
  const [oauth, koraKey, key] = CREDENTIAL_ENVS;
  return new ReasoningError(
    'KORA_ERR_REASONING_NOT_CONFIGURED',
    `ReasoningEngineNotConfigured: no Anthropic credential is set. Set ${oauth} (preferred), or ${koraKey} or ${key}, in the gateway's environment; ` +
      'or set daemons.reasoning_engine.fatal: false in kora.yaml to boot degraded without an engine.',
    { variables: [...CREDENTIAL_ENVS] },
  );
}

export function apiFailed(details: { status: number | null; type: string | null; message: string; model: string; retries: number }, cause: unknown): ReasoningError {
  const what = details.status === null ? `could not be called (${details.message})` : `answered ${details.status}${details.type ? ` ${details.type}` : ''}: ${details.message}`;
  const retried = details.retries > 0 ? ` after ${details.retries} retr${details.retries === 1 ? 'y' : 'ies'}` : '';
  return new ReasoningError('KORA_ERR_REASONING_API', `The Anthropic API ${what}${retried} (model ${details.model})`, details, { cause });
}

export function timedOut(model: string, timeoutMs: number, retries: number, cause: unknown): ReasoningError {
  return new ReasoningError(
    'KORA_ERR_REASONING_TIMEOUT',
    `A call to model ${model} did not answer within ${timeoutMs} ms on any of its ${retries + 1} attempt(s); raise plugins.config.reasoning.timeoutMs`,
    { model, timeoutMs, attempts: retries + 1 },
    { cause },
  );
}

export function aborted(why: string): ReasoningError {
  return new ReasoningError('KORA_ERR_REASONING_ABORTED', `The reply was cancelled: ${why}`);
}

export function outOfCalls(maxCalls: number): ReasoningError {
  return new ReasoningError(
    'KORA_ERR_REASONING_MAX_CALLS',
    `The reply used all ${maxCalls} model calls it may make and the model gave no text; raise plugins.config.reasoning.maxCalls`,
    { maxCalls },
  );
}
