// Slot maths, pure: where a task's slots fall on the time line. Interval slots are multiples of
// the period since the Unix epoch plus an offset, so every gateway computes the same slots; cron
// slots are croner's fire times. A slot's start time is its identity in the run ledger.
import { Cron } from 'croner';

export type TaskSchedule =
  | { kind: 'every'; everyMs: number; offsetMs: number }
  | { kind: 'cron'; expression: string; timezone: string };

/** The slots of one schedule. Times are epoch ms; ±Infinity stands for "no such slot". */
export interface SlotGrid {
  /** The latest slot at or before `t`. */
  slotAtOrBefore(t: number): number;
  /** The earliest slot strictly after `t`. */
  nextSlotAfter(t: number): number;
  /** The latest slot strictly before `t`. */
  slotBefore(t: number): number;
  /** How many slots lie in [from, to], `from` being a slot. A cron grid stops counting at CRON_COUNT_LIMIT. */
  countSlots(from: number, to: number): number;
}

export class IntervalGrid implements SlotGrid {
  readonly #period: number;
  readonly #offset: number;

  constructor(everyMs: number, offsetMs = 0) {
    this.#period = everyMs;
    this.#offset = offsetMs % everyMs;
  }

  slotAtOrBefore(t: number): number {
    const r = (t - this.#offset) % this.#period;
    return t - (r < 0 ? r + this.#period : r);
  }

  nextSlotAfter(t: number): number {
    return this.slotAtOrBefore(t) + this.#period;
  }

  slotBefore(t: number): number {
    return this.slotAtOrBefore(t - 1);
  }

  countSlots(from: number, to: number): number {
    return to < from ? 0 : Math.floor((to - from) / this.#period) + 1;
  }
}

/** Cron slots are counted one by one (croner has no arithmetic for them), so counting stops here. */
export const CRON_COUNT_LIMIT = 10_000;

export class CronGrid implements SlotGrid {
  readonly #cron: Cron;

  constructor(expression: string, timezone: string) {
    this.#cron = createCron(expression, timezone);
  }

  nextSlotAfter(t: number): number {
    // croner drops the milliseconds of `from` and answers strictly after what is left, which is
    // strictly after `t` too, since cron fire times are whole seconds.
    return this.#cron.nextRun(new Date(t))?.getTime() ?? Infinity;
  }

  slotAtOrBefore(t: number): number {
    // croner's previousRuns is strictly before a whole-second reference; one second past `t`
    // (floored) makes it "at or before". Walking forward with nextRun afterwards keeps the grid
    // exactly the one nextRun produces (they disagree on the repeated hour when DST ends).
    const ref = Math.floor(t / 1000) * 1000 + 1000;
    let slot = this.#cron.previousRuns(1, new Date(ref))[0]?.getTime() ?? -Infinity;
    if (slot === -Infinity) return slot;
    for (let next = this.nextSlotAfter(slot); next <= t; next = this.nextSlotAfter(slot)) slot = next;
    return slot;
  }

  slotBefore(t: number): number {
    return this.slotAtOrBefore(t - 1);
  }

  countSlots(from: number, to: number): number {
    let n = 0;
    for (let s = from; s <= to && n < CRON_COUNT_LIMIT; s = this.nextSlotAfter(s)) n++;
    return n;
  }
}

export function slotGrid(schedule: TaskSchedule): SlotGrid {
  return schedule.kind === 'every' ? new IntervalGrid(schedule.everyMs, schedule.offsetMs) : new CronGrid(schedule.expression, schedule.timezone);
}

/** A paused croner job used only for its fire times. Throws croner's error on a bad expression or zone. */
export function createCron(expression: string, timezone: string): Cron {
  // croner's IANA-zone path costs ~250 µs per nextRun against ~10 µs for a fixed offset, so UTC
  // (the default and the common case) takes the offset path.
  const zone = timezone === 'UTC' || timezone === 'Etc/UTC' ? { utcOffset: 0 } : { timezone };
  return new Cron(expression, { ...zone, paused: true, mode: '5-or-6-parts' });
}
