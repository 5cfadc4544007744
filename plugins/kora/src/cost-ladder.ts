// `cost_ladder` on `pre_api_request_mutable`: which model a Kora turn goes to, and the prompt-cache
// markers on its system prompt and tools. The decision is a pure function of the turn (route,
// loop iteration, the person's message), the budget rung and the env switch; rules in order,
// the first that matches wins. The change is returned as new objects: the caller's request,
// its system blocks and its tools are never touched.
import type { ApiRequest, LlmTool, TextBlock } from '@kora/runtime';
import type { CostRungName } from './cost-rung.js';
import type { KoraSettings } from './config.js';
import { KORA_ROUTES } from './turn.js';

export type Tier = 'cheap' | 'strong';

/** What the caller turns into a short reply instead of calling the model. */
export interface CostRefusal {
  readonly code: 'cost_hard_stop';
  readonly message: string;
  readonly rung: 'hard_stop_100';
}

export type LadderRule = 'budget_downshift' | 'force_opus' | 'later_iteration' | 'opus_command' | 'decision_language' | 'default';

export type LadderDecision =
  | { readonly action: 'skip'; readonly why: 'not_a_kora_route' }
  | { readonly action: 'refuse'; readonly refusal: CostRefusal }
  | { readonly action: 'route'; readonly tier: Tier; readonly rule: LadderRule };

export interface LadderInput {
  /** Undefined when the payload does not say (see docs/kora-hooks.md): treated as Kora's. */
  readonly route: string | undefined;
  /** 1 for the first call of a turn, 2… after tool results. */
  readonly iteration: number;
  /** The person's latest message. */
  readonly question: string;
  readonly rung: CostRungName;
  /** `KORA_FORCE_OPUS=true`. */
  readonly forceStrong: boolean;
  readonly decisionPatterns: readonly RegExp[];
}

export const OPUS_COMMAND = '/opus';

export const HARD_STOP_REFUSAL: CostRefusal = {
  code: 'cost_hard_stop',
  rung: 'hard_stop_100',
  message: "This month's LLM budget is used up (cost rung hard_stop_100), so Kora does not call the model until the budget is raised or the month turns.",
};

export function decideModel(input: LadderInput): LadderDecision {
  if (input.route !== undefined && !KORA_ROUTES.has(input.route)) return { action: 'skip', why: 'not_a_kora_route' };
  if (input.rung === 'hard_stop_100') return { action: 'refuse', refusal: HARD_STOP_REFUSAL };
  if (input.rung === 'warn_75' || input.rung === 'downshift_90') return { action: 'route', tier: 'cheap', rule: 'budget_downshift' };
  if (input.forceStrong) return { action: 'route', tier: 'strong', rule: 'force_opus' };
  if (input.iteration > 1) return { action: 'route', tier: 'strong', rule: 'later_iteration' };
  const question = input.question.trimStart();
  if (question.toLowerCase().startsWith(OPUS_COMMAND) && !/^[\p{L}\p{N}_]/u.test(question.slice(OPUS_COMMAND.length))) {
    return { action: 'route', tier: 'strong', rule: 'opus_command' };
  }
  if (input.decisionPatterns.some((re) => re.test(question))) return { action: 'route', tier: 'strong', rule: 'decision_language' };
  return { action: 'route', tier: 'cheap', rule: 'default' };
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/** A copy of `items` whose last element carries a cache marker; `items` itself when it has one already or is empty. */
function markLast<T extends TextBlock | LlmTool>(items: readonly T[] | undefined): readonly T[] | undefined {
  const last = items?.at(-1);
  if (items === undefined || last === undefined || last.cache_control !== undefined) return items;
  return [...items.slice(0, -1), { ...last, cache_control: EPHEMERAL }];
}

/**
 * The partial request the waterfall merges for `tier`: the model, and the system prompt and tools
 * with a cache marker on their last entry. Keys that would not change are left out; null when
 * nothing changes.
 */
export function ladderChange(request: ApiRequest, model: string): Partial<ApiRequest> | null {
  const change: { -readonly [K in keyof ApiRequest]?: ApiRequest[K] } = {};
  if (request.model !== model) change.model = model;
  const system = markLast(request.system);
  if (system !== request.system) change.system = system;
  const tools = markLast(request.tools);
  if (tools !== request.tools) change.tools = tools;
  return Object.keys(change).length > 0 ? change : null;
}

export function modelFor(tier: Tier, settings: Pick<KoraSettings, 'models'>): string {
  return settings.models[tier];
}
