// promote_phrasebook: a question asked again and again in DMs, answered the same way each time,
// becomes a canned reply. Reads kora's llm.call rows on the slack_dm route: their questionDigest
// and answerDigest say that it was the same question and the same answer without the words; the
// words themselves (`prompt`, `answer`) are there only when the operator opted in
// (plugins.config.kora.audit.includeDmText or includePrompts), and a reply whose kept text does
// not digest to its answerDigest was cut short and is never used as a canned reply.
import { normalizeText, textDigest } from '@kora/plugin-kora';
import type { PhrasebookSettings } from '../config.js';
import type { Candidate } from '../proposal.js';
import { byKey, chronological, percent, str, type Analysis, type Rows } from './rows.js';

export const PHRASEBOOK_ROUTE = 'slack_dm';
export const PHRASEBOOK_SEAMS = ['llm.call'] as const;

interface Asked {
  readonly answerDigest: string;
  readonly prompt: string | null;
  readonly answer: string | null;
}

export function analyzePhrasebook(rows: Rows, settings: PhrasebookSettings): Analysis<'phrasebook'> {
  const byQuestion = new Map<string, Asked[]>();
  for (const row of chronological(rows)) {
    if (row.seam !== 'llm.call' || row.details.route !== PHRASEBOOK_ROUTE) continue;
    const questionDigest = str(row.details, 'questionDigest');
    const answerDigest = str(row.details, 'answerDigest');
    if (!questionDigest || !answerDigest) continue;
    const list = byQuestion.get(questionDigest) ?? [];
    list.push({ answerDigest, prompt: str(row.details, 'prompt'), answer: str(row.details, 'answer') });
    byQuestion.set(questionDigest, list);
  }

  const candidates: Candidate<'phrasebook'>[] = [];
  let unworded = 0;
  for (const [questionDigest, asked] of byQuestion) {
    if (asked.length < settings.minAsks) continue;
    const answers = new Map<string, number>();
    for (const a of asked) answers.set(a.answerDigest, (answers.get(a.answerDigest) ?? 0) + 1);
    // The most frequent answer; a tie goes to the smaller digest, so the result does not depend on row order.
    const [answerDigest, same] = [...answers].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    if (same / asked.length < settings.minConsistency) continue;
    // The latest row whose words are whole: they digest to what the row says.
    const worded = [...asked].reverse().find((a) => a.answerDigest === answerDigest && a.prompt !== null && a.answer !== null && textDigest(a.prompt) === questionDigest && textDigest(a.answer) === answerDigest);
    if (!worded) {
      unworded += 1;
      continue;
    }
    const question = normalizeText(worded.prompt!);
    candidates.push({
      key: `q:${questionDigest}`,
      title: `Answer the DM "${question.slice(0, 120)}" with a canned reply`,
      payload: { question, questionDigest, answer: worded.answer!, answerDigest },
      evidence: { asks: asked.length, sameAnswer: same, consistency: percent(same, asked.length) },
    });
  }
  const notes =
    unworded === 0
      ? []
      : [`${unworded} repeated DM question(s) have no whole words in the audit log: set plugins.config.kora.audit.includeDmText: true to let the phrasebook draft their replies`];
  return { candidates: candidates.sort(byKey), notes };
}
