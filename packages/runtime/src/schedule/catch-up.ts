// Catch-up planning, pure: when slots went by that nothing ran (the gateway was down, the event
// loop stalled, the machine slept, the wall clock stepped), what to record as missed, which slot
// runs now and which slot is next. The scheduler carries the plan out; this file only decides.
import type { MissedPolicy } from '../daemons/types.js';
import { formatDuration } from '../time/duration.js';
import { CRON_COUNT_LIMIT, CronGrid, type SlotGrid } from './slots.js';

export interface CatchUpTask {
  grid: SlotGrid;
  missed: MissedPolicy;
  runOnStart: boolean;
}

export type CatchUpEvent =
  /** The task is being scheduled (gateway start, daemon restart); `lastSlot` is its latest ledger row, if any. */
  | { kind: 'scheduled'; lastSlot: number | null }
  /**
   * The timer handles the task's slot `due` only now. `stepMs` > 0 when the wall clock was seen
   * to step forward by that much (rather than time passing while the event loop stalled).
   */
  | { kind: 'late'; due: number; stepMs: number }
  /**
   * The wall clock stepped back by `stepMs`, noticed now: the task's next slot is planned again.
   * `since` is the new clock's reading when the scheduler last looked (now minus the monotonic
   * time since then), `lastHandled` the latest slot the task ran or recorded, if any.
   */
  | { kind: 'stepped-back'; stepMs: number; since: number; lastHandled: number | null };

/** Slots in [first, last] that are recorded as one `missed` row at `last`. */
export interface MissedSlots {
  first: number;
  last: number;
  count: number;
  /** The row's error text: "N slots missed" and why. */
  error: string;
}

export interface CatchUpPlan {
  missed: MissedSlots | null;
  /** The slot to run right away, or null. */
  runNow: number | null;
  /**
   * Where the task goes in the timer's heap: its next slot, Infinity when there is none. Strictly
   * after now, except after a backward step, when it can be due already (see planSteppedBack).
   */
  next: number;
  /** Worth a warning, though no ledger row records it. */
  note: string | null;
}

export function planCatchUp(task: CatchUpTask, event: CatchUpEvent, now: number): CatchUpPlan {
  switch (event.kind) {
    case 'scheduled':
      return planScheduled(task, event.lastSlot, now);
    case 'late':
      return planLate(task.grid, event.due, event.stepMs, now);
    case 'stepped-back':
      return { missed: null, runNow: null, next: planSteppedBack(task.grid, event.since, event.lastHandled, now), note: null };
  }
}

// Planned again from the new clock, not left where the old one was: waiting for the wall clock
// to catch up would skip every slot in between, silently. The new clock's slots since the
// scheduler last looked passed unseen, so the first of them is next (due at once if it passed;
// the timer then handles it as late) — unless the task already handled one of them, which is
// what a timer that waited for the old wall-clock time looks like. Slots that already have rows
// are refused by their claims, so nothing runs twice.
function planSteppedBack(grid: SlotGrid, since: number, lastHandled: number | null, now: number): number {
  const from = lastHandled !== null && lastHandled > since && lastHandled <= now ? lastHandled : since;
  return grid.nextSlotAfter(from);
}

// The first run is the first slot strictly after now (and the current one too under runOnStart).
// Slots after the task's last ledger row up to now passed while nothing could run them.
function planScheduled({ grid, missed, runOnStart }: CatchUpTask, lastSlot: number | null, now: number): CatchUpPlan {
  const current = grid.slotAtOrBefore(now);
  const next = grid.nextSlotAfter(now);
  const runCurrent = Number.isFinite(current) ? current : null;
  if (lastSlot === null || !(current > lastSlot)) {
    const note =
      lastSlot !== null && lastSlot > now
        ? `the ledger's latest row is for ${iso(lastSlot)}, after the current time ${iso(now)}: the wall clock is behind the clock that ran it; slots that already have a row will not run again`
        : null;
    return { missed: null, runNow: runOnStart ? runCurrent : null, next, note };
  }
  // Under run-once (or runOnStart) the latest missed slot runs now; its row is the run's own.
  const catchUp = runOnStart || missed === 'run-once';
  const policy = runOnStart ? 'runOnStart' : 'missed: run-once';
  const first = grid.nextSlotAfter(lastSlot);
  const lastMissed = catchUp ? grid.slotBefore(current) : current;
  const why = catchUp ? ` while the gateway was down; slot ${iso(current)} runs late instead (${policy})` : ' while the gateway was down';
  const plan: CatchUpPlan = { missed: missedSlots(grid, first, lastMissed, why), runNow: catchUp ? current : null, next, note: null };
  if (catchUp && plan.missed === null) plan.note = `1 slot missed while the gateway was down; running it late (${policy})`;
  return plan;
}

// The slot after `due` is due already: the latest slot is still within its own period, so it
// runs (late) whatever the missed policy; the ones between are recorded missed.
function planLate(grid: SlotGrid, due: number, stepMs: number, now: number): CatchUpPlan {
  const after = grid.nextSlotAfter(due);
  if (after > now) return { missed: null, runNow: due, next: after, note: null };
  const latest = grid.slotAtOrBefore(now);
  const why =
    stepMs > 0
      ? `: the wall clock stepped forward by ${formatDuration(stepMs)} (clock change or machine sleep)`
      : `: the scheduler fell ${formatDuration(now - due)} behind (event loop stall or machine sleep)`;
  return { missed: missedSlots(grid, due, grid.slotBefore(latest), why), runNow: latest, next: grid.nextSlotAfter(latest), note: null };
}

function missedSlots(grid: SlotGrid, first: number, last: number, why: string): MissedSlots | null {
  if (!(last >= first)) return null;
  const count = grid.countSlots(first, last);
  if (count === 0) return null;
  const capped = grid instanceof CronGrid && count >= CRON_COUNT_LIMIT;
  return { first, last, count, error: `${count}${capped ? ' or more' : ''} slot${count === 1 ? '' : 's'} missed${why}` };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
