// `haiku_router` on `post_llm_call_can_reissue`: a cheap model's first answer that hedges, or that
// is very short for a long question, is asked again of the strong model. Pure: the decision is a
// function of the turn, the answer and the settings.
import type { StopReason } from '@kora/runtime';
import type { KoraSettings } from './config.js';
import { KORA_ROUTES } from './turn.js';

export type RouterDecision =
  | { readonly reissue: false; readonly why: 'disabled' | 'not_a_kora_route' | 'later_iteration' | 'not_the_cheap_model' | 'tool_use' | 'confident' }
  | { readonly reissue: true; readonly model: string; readonly reason: string };

export interface RouterInput {
  readonly route: string;
  readonly iteration: number;
  /** The model the request went to. */
  readonly model: string;
  readonly stopReason: StopReason | null;
  readonly question: string;
  readonly answer: string;
  /** `KORA_DISABLE_POST_CALL_ESCALATION=true`. */
  readonly disabled: boolean;
}

type RouterSettings = Pick<KoraSettings, 'models' | 'router'>;

/** Lower case, curly apostrophes straightened, runs of spaces as one. */
function normalise(text: string): string {
  return text.replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, ' ').toLowerCase();
}

export function decideReissue(input: RouterInput, settings: RouterSettings): RouterDecision {
  if (input.disabled) return { reissue: false, why: 'disabled' };
  if (!KORA_ROUTES.has(input.route)) return { reissue: false, why: 'not_a_kora_route' };
  if (input.iteration > 1) return { reissue: false, why: 'later_iteration' };
  if (input.model !== settings.models.cheap) return { reissue: false, why: 'not_the_cheap_model' };
  // An answer that asks for tools is the loop going on, not a reply to judge.
  if (input.stopReason === 'tool_use') return { reissue: false, why: 'tool_use' };
  const answer = normalise(input.answer);
  const phrase = settings.router.lowConfidencePhrases.find((p) => answer.includes(normalise(p)));
  if (phrase !== undefined) return { reissue: true, model: settings.models.strong, reason: `low_confidence: the cheap answer says "${phrase}"` };
  const { longQuestionChars, shortAnswerChars } = settings.router;
  const asked = input.question.trim().length;
  const answered = input.answer.trim().length;
  if (asked >= longQuestionChars && answered < shortAnswerChars) {
    return { reissue: true, model: settings.models.strong, reason: `short_answer: ${answered} characters for a ${asked}-character question` };
  }
  return { reissue: false, why: 'confident' };
}
