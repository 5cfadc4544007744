// `audit` on `post_llm_call` and `post_tool_call`: one audit row per call, with what an operator
// needs to follow cost and failures (route, model, tokens, duration, outcome) and, unless the
// config asks for them, none of what was said: no prompt, no answer, no tool input values.
// The rows go through ctx.audit, which also redacts secret-keyed values at any depth.
import type { LlmCallEvent, StopReason, ToolResultEvent } from '@kora/runtime';
import type { KoraSettings } from './config.js';
import { answerText, latestQuestion, truncate } from './turn.js';

export const LLM_CALL_SEAM = 'llm.call';
export const TOOL_CALL_SEAM = 'tool.call';

type AuditSettings = KoraSettings['audit'];

/** The engine's measures of the reply, when it gave them (host API 1.1 engines do). */
function measured(event: LlmCallEvent): { durationMs?: number; costUsd?: number; calls?: number } {
  const finite = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);
  return {
    ...(finite(event.durationMs) ? { durationMs: event.durationMs } : {}),
    ...(finite(event.costUsd) ? { costUsd: event.costUsd } : {}),
    ...(finite(event.calls) ? { calls: event.calls } : {}),
  };
}

export type LlmOutcome = 'ok' | 'max_tokens' | 'refusal' | 'paused';

export function llmOutcome(stopReason: StopReason | null): LlmOutcome {
  if (stopReason === 'max_tokens') return 'max_tokens';
  if (stopReason === 'refusal') return 'refusal';
  if (stopReason === 'pause_turn') return 'paused';
  return 'ok';
}

export function llmAuditDetails(event: LlmCallEvent, settings: AuditSettings): Record<string, unknown> {
  const { request, response } = event;
  const usage = response.usage;
  return {
    route: event.route,
    ...(event.conversationId !== undefined ? { conversationId: event.conversationId } : {}),
    model: response.model,
    ...(request.model !== response.model ? { requestedModel: request.model } : {}),
    outcome: llmOutcome(response.stop_reason),
    stopReason: response.stop_reason,
    tokens: {
      input: usage.input_tokens,
      output: usage.output_tokens,
      cacheRead: usage.cache_read_input_tokens ?? 0,
      cacheWrite: usage.cache_creation_input_tokens ?? 0,
    },
    toolUses: response.content.filter((block) => block.type === 'tool_use').length,
    ...measured(event),
    ...(settings.includePrompts
      ? { prompt: truncate(latestQuestion(request.messages), settings.maxChars), answer: truncate(answerText(response), settings.maxChars) }
      : {}),
  };
}

/** Strings cut to `max`, lists to 20 items, nesting to 4 levels: small, and still an object for the redaction by key. */
function clip(value: unknown, max: number, depth = 0): unknown {
  if (typeof value === 'string') return truncate(value, max);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => clip(item, max, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clip(item, max, depth + 1)]));
}

export function toolAuditDetails(event: ToolResultEvent, settings: AuditSettings): Record<string, unknown> {
  return {
    tool: event.tool,
    ...(event.route !== undefined ? { route: event.route } : {}),
    ...(event.toolUseId !== undefined ? { toolUseId: event.toolUseId } : {}),
    outcome: event.ok ? 'ok' : 'error',
    durationMs: event.durationMs,
    ...(event.ok || event.error === undefined ? {} : { error: truncate(event.error, 300) }),
    inputKeys: Object.keys(event.input),
    ...(settings.includePrompts ? { input: clip(event.input, settings.maxChars) } : {}),
  };
}
