// `audit` on `post_llm_call` and `post_tool_call`: one audit row per call, with what an operator
// needs to follow cost and failures (route, model, tokens, duration, outcome) and, unless the
// config asks for them, none of what was said: no prompt, no answer, no tool input values.
// The rows go through ctx.audit, which also redacts secret-keyed values at any depth.
import type { LlmCallEvent, StopReason, ToolResultEvent } from '@kora/runtime';
import type { KoraSettings } from './config.js';
import { openingWords, textDigest, valueDigest } from './digest.js';
import { answerText, latestQuestion, truncate } from './turn.js';

export const LLM_CALL_SEAM = 'llm.call';
export const TOOL_CALL_SEAM = 'tool.call';
/** The haiku router asked for a cheap answer to be re-asked of the strong model. */
export const ESCALATED_SEAM = 'llm.escalated';
/** The route whose words `audit.includeDmText` keeps. */
export const DM_ROUTE = 'slack_dm';

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

/** What the cost ladder decides on, at the time of the row: the decision patterns in effect (config and approved proposals). */
export interface LadderView {
  readonly decisionPatterns: readonly RegExp[];
}

const NO_LADDER: LadderView = { decisionPatterns: [] };

/** The source of the first decision pattern the question matches, or null. */
export function matchedPattern(question: string, patterns: readonly RegExp[]): string | null {
  return patterns.find((re) => re.test(question.trimStart()))?.source ?? null;
}

/**
 * The measures the learning loops read (docs/promote.md): digests of the question and the answer,
 * the question's first words, the decision pattern it matched, and the names of the tools offered.
 */
function learningDetails(question: string, answer: string, event: LlmCallEvent, ladder: LadderView): Record<string, unknown> {
  return {
    questionDigest: textDigest(question),
    answerDigest: textDigest(answer),
    questionOpening: openingWords(question),
    decisionPattern: matchedPattern(question, ladder.decisionPatterns),
    tools: (event.request.tools ?? []).map((tool) => tool.name),
  };
}

export function llmAuditDetails(event: LlmCallEvent, settings: AuditSettings, ladder: LadderView = NO_LADDER): Record<string, unknown> {
  const { request, response } = event;
  const usage = response.usage;
  const question = latestQuestion(request.messages);
  const answer = answerText(response);
  const words = settings.includePrompts || (settings.includeDmText === true && event.route === DM_ROUTE);
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
    ...learningDetails(question, answer, event, ladder),
    ...(words ? { prompt: truncate(question, settings.maxChars), answer: truncate(answer, settings.maxChars) } : {}),
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
    // Digests, never the values: the snapshot loop looks for the same call answered the same way.
    inputDigest: valueDigest(event.input),
    ...(event.ok ? { resultDigest: valueDigest(event.result) } : {}),
    ...(settings.includePrompts ? { input: clip(event.input, settings.maxChars) } : {}),
  };
}
