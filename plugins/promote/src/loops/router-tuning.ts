// promote_router_tuning: what the cost ladder's decision-language patterns missed, and what they
// sent to the strong model for nothing. Reads kora's rows:
// - `llm.escalated` (the haiku router re-asked a cheap answer of the strong model) and
//   `llm.call`, both with `questionOpening` (the question's first three words) and
//   `decisionPattern` (the pattern it matched, null for none). An opening of two words or more
//   that no pattern matched, escalated at least `minEscalations` times and in at least
//   `minEscalationShare` of the replies that opened with it → propose adding `^<opening>\b`.
// - `llm.call` rows with a `decisionPattern`: a pattern that matched at least `minMatches`
//   replies, of which at least `minShortShare` were answered in fewer than `shortAnswerTokens`
//   output tokens (the strong model was not needed) → propose removing it.
import type { RouterTuningSettings } from '../config.js';
import type { Candidate } from '../proposal.js';
import { byKey, num, percent, str, type Analysis, type Rows } from './rows.js';

export const ROUTER_SEAMS = ['llm.call', 'llm.escalated'] as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The pattern for an opening: its words in order, any spaces between, a straight or curly apostrophe. */
export function openingPattern(opening: string): string {
  return `^${opening
    .split(' ')
    .map((word) => escapeRegExp(word).replace(/'/g, "['’]"))
    .join('\\s+')}\\b`;
}

export function analyzeRouterTuning(rows: Rows, settings: RouterTuningSettings): Analysis<'router_tuning'> {
  const replies = new Map<string, number>();
  const escalated = new Map<string, number>();
  const matched = new Map<string, { replies: number; short: number }>();
  for (const row of rows) {
    const opening = str(row.details, 'questionOpening');
    const pattern = str(row.details, 'decisionPattern');
    if (row.seam === 'llm.call') {
      if (opening && pattern === null) replies.set(opening, (replies.get(opening) ?? 0) + 1);
      if (pattern) {
        const tokens = row.details.tokens;
        const output = tokens && typeof tokens === 'object' ? num(tokens as Record<string, unknown>, 'output') : null;
        if (output === null) continue;
        const m = matched.get(pattern) ?? { replies: 0, short: 0 };
        m.replies += 1;
        if (output < settings.shortAnswerTokens) m.short += 1;
        matched.set(pattern, m);
      }
    } else if (row.seam === 'llm.escalated' && opening && pattern === null) {
      escalated.set(opening, (escalated.get(opening) ?? 0) + 1);
    }
  }

  const candidates: Candidate<'router_tuning'>[] = [];
  for (const [opening, times] of escalated) {
    if (opening.split(' ').length < 2 || times < settings.minEscalations) continue;
    // Every escalated reply also left its llm.call row; a row missing (pruned) never makes the share exceed 1.
    const total = Math.max(replies.get(opening) ?? 0, times);
    if (times / total < settings.minEscalationShare) continue;
    const pattern = openingPattern(opening);
    candidates.push({
      key: `add:${pattern}`,
      title: `Send questions opening "${opening}" to the strong model: the cheap answer was re-asked ${times} of ${total} times`,
      payload: { action: 'add', pattern },
      evidence: { escalations: times, replies: total, share: percent(times, total) },
    });
  }
  for (const [pattern, m] of matched) {
    if (m.replies < settings.minMatches || m.short / m.replies < settings.minShortShare) continue;
    candidates.push({
      key: `remove:${pattern}`,
      title: `Stop sending questions matching /${pattern}/ to the strong model: ${m.short} of ${m.replies} answers were under ${settings.shortAnswerTokens} tokens`,
      payload: { action: 'remove', pattern },
      evidence: { matches: m.replies, shortAnswers: m.short, share: percent(m.short, m.replies) },
    });
  }
  return { candidates: candidates.sort(byKey), notes: [] };
}
