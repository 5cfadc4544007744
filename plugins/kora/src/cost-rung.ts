// The `cost.rung` service: where a budget plugin says how much of the month's LLM budget is
// spent, as a rung of the cost ladder. Kora's hooks read it on every call when it is provided.
export const COST_RUNGS = ['normal', 'warn_75', 'downshift_90', 'hard_stop_100'] as const;
export type CostRungName = (typeof COST_RUNGS)[number];

export interface CostRung {
  /** The rung now: `warn_75` and `downshift_90` send every turn to the cheap model, `hard_stop_100` refuses it. */
  current(): CostRungName;
}

declare module '@kora/runtime' {
  interface ServiceMap {
    'cost.rung': CostRung;
  }
}

export function isCostRung(value: unknown): value is CostRungName {
  return typeof value === 'string' && (COST_RUNGS as readonly string[]).includes(value);
}
