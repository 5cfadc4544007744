// Building audit logs for the analyses' tables: rows as kora's hooks and the probes plugin write them.
import type { AuditEntry } from '@kora/runtime';
import { openingWords, textDigest, valueDigest } from '@kora/plugin-kora';

let nextId = 1;
export const T0 = Date.UTC(2026, 0, 10);

export function entry(seam: string, details: Record<string, unknown>, at = T0 + nextId * 1000, plugin = 'kora'): AuditEntry {
  return { id: nextId++, at, plugin, seam, details };
}

/** An llm.call row as kora's audit hook leaves it; `words` as with audit.includeDmText. */
export function reply(options: { route?: string; question: string; answer: string; words?: boolean; pattern?: string | null; output?: number; tools?: string[]; cutAnswer?: boolean }): AuditEntry {
  const answerKept = options.cutAnswer ? `${options.answer.slice(0, 5)}… [${options.answer.length - 5} more characters]` : options.answer;
  return entry('llm.call', {
    route: options.route ?? 'slack_dm',
    model: 'claude-haiku-4-5',
    outcome: 'ok',
    tokens: { input: 100, output: options.output ?? 40, cacheRead: 0, cacheWrite: 0 },
    toolUses: 0,
    questionDigest: textDigest(options.question),
    answerDigest: textDigest(options.answer),
    questionOpening: openingWords(options.question),
    decisionPattern: options.pattern ?? null,
    tools: options.tools ?? [],
    ...(options.words ? { prompt: options.question, answer: answerKept } : {}),
  });
}

export function escalation(question: string, pattern: string | null = null): AuditEntry {
  return entry('llm.escalated', { route: 'cli', from: 'claude-haiku-4-5', to: 'claude-sonnet-4-5', reason: 'low_confidence', questionDigest: textDigest(question), questionOpening: openingWords(question), decisionPattern: pattern });
}

export function toolCall(tool: string, result: unknown, options: { route?: string; input?: Record<string, unknown>; ok?: boolean } = {}): AuditEntry {
  const input = options.input ?? {};
  const ok = options.ok ?? true;
  return entry('tool.call', { tool, route: options.route ?? 'cli', outcome: ok ? 'ok' : 'error', durationMs: 3, inputKeys: Object.keys(input), inputDigest: valueDigest(input), ...(ok ? { resultDigest: valueDigest(result) } : {}) });
}

export function probeWake(probe: string, state: string, detail: string, at?: number): AuditEntry {
  return entry('probe.wake_requested', { probe, state, detail, ...(at !== undefined ? { at } : {}) }, at ?? undefined, 'probes');
}
