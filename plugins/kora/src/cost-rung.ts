// The `cost.rung` service (declared by the runtime, provided by the telemetry plugin): how much of
// the LLM budget is spent, as a rung of the cost ladder. Kora's hooks read it on every call when
// it is provided.
import { COST_RUNGS, type CostRungName } from '@kora/runtime';

export type { CostRung, CostRungName } from '@kora/runtime';

export function isCostRung(value: unknown): value is CostRungName {
  return typeof value === 'string' && (COST_RUNGS as readonly string[]).includes(value);
}
