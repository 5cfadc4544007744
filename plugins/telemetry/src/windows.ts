// The arithmetic of the cost windows, pure: where each window starts, which period a reset
// belongs to, and the rung a spend reaches against a budget.
import { COST_RUNGS, type CostRungName } from '@kora/runtime';

export const WINDOWS = ['rolling_24h', 'month'] as const;
export type WindowName = (typeof WINDOWS)[number];

export const DAY_MS = 86_400_000;

/** Where the window ending at `now` starts: 24 h back, or the first instant of the UTC month. */
export function windowStart(window: WindowName, now: number): number {
  if (window === 'rolling_24h') return now - DAY_MS;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The reset period `now` falls in: the UTC day (`2026-12-01`) for the 24 h window, the UTC month (`2026-12`) for the month. */
export function periodOf(window: WindowName, now: number): string {
  const iso = new Date(now).toISOString();
  return window === 'rolling_24h' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** The instants the period before `period` began and ended (what a reset closes). */
export function previousPeriod(window: WindowName, period: string): { since: number; until: number } {
  if (window === 'rolling_24h') {
    const until = Date.parse(`${period}T00:00:00Z`);
    return { since: until - DAY_MS, until };
  }
  const until = Date.parse(`${period}-01T00:00:00Z`);
  const d = new Date(until);
  return { since: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1), until };
}

/** The rung `cost` reaches against `budget`: 75 % warns, 90 % downshifts, 100 % stops. No budget, no rung. */
export function rungFor(cost: number, budget: number | null): CostRungName {
  if (budget === null) return 'normal';
  const used = cost / budget;
  if (used >= 1) return 'hard_stop_100';
  if (used >= 0.9) return 'downshift_90';
  if (used >= 0.75) return 'warn_75';
  return 'normal';
}

export function rungLevel(rung: CostRungName): number {
  return COST_RUNGS.indexOf(rung);
}

export function highest(rungs: readonly CostRungName[]): CostRungName {
  return rungs.reduce<CostRungName>((a, b) => (rungLevel(b) > rungLevel(a) ? b : a), 'normal');
}
