// The deadlines of a bus's in-flight async callbacks, checked by one shared timer instead of a
// timer and a Promise.race per call. Deadlines are on the monotonic clock: a wall-clock step
// neither times a callback out early nor lets it hang past its timeout.
import type { Clock, TimerHandle } from '../time/clock.js';

/** A dispatch as the watchdog sees it: linked while it has a call in flight, with that call's deadline. */
export interface Waiter {
  deadline: number;
  prev: Waiter | null;
  next: Waiter | null;
  /** The awaited call's deadline passed. */
  expire(): void;
}

/** After this many start times taken from one clock reading, read the clock again. */
const MAX_CACHED_READS = 64;

// On the hot path: methods are plain rather than #private because Node 20's V8 calls #private
// methods measurably slower (state stays in #private fields).

/**
 * One timer, armed lazily for the earliest deadline. A dispatch is linked once, on its first
 * async call, and unlinked when it finishes; each call only moves its deadline.
 */
export class Watchdog {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  /** Times here are ms since this, kept small. */
  readonly #origin: number;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #cachedDeadline = 0;
  #cachedReads = 0;
  #turnEndPending = false;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#origin = clock.monotonic();
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  link(waiter: Waiter): void {
    waiter.prev = this.#tail;
    waiter.next = null;
    if (this.#tail) this.#tail.next = waiter;
    else this.#head = waiter;
    this.#tail = waiter;
  }

  unlink(waiter: Waiter): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.#head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.#tail = waiter.prev;
    waiter.prev = null;
    waiter.next = null;
  }

  /**
   * The deadline of a call starting now; the timer is armed to fire no later than it. Reading
   * the clock costs about as much as the call itself, so, like libuv's loop time, one reading
   * serves every call started in the same event-loop turn (at most MAX_CACHED_READS of them): a
   * deadline can come early by what that turn had already spent. A turn ends at the next check
   * phase, hence the clock's setImmediate rather than a time.
   */
  deadline(): number {
    if (this.#cachedReads === 0) this.readClock();
    if (++this.#cachedReads === MAX_CACHED_READS) this.#cachedReads = 0;
    return this.#cachedDeadline;
  }

  readClock(): void {
    const now = this.#clock.monotonic() - this.#origin;
    this.#cachedDeadline = now + this.#timeoutMs;
    if (this.#cachedDeadline < this.#timerAt) this.arm(this.#cachedDeadline, now);
    if (!this.#turnEndPending) {
      this.#turnEndPending = true;
      this.#clock.setImmediate(this.#endTurn);
    }
  }

  readonly #endTurn = (): void => {
    this.#turnEndPending = false;
    this.#cachedReads = 0;
  };

  arm(at: number, now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(this.#fire, at - now);
  }

  // When it fires early (its call settled, later ones have later deadlines) it re-arms for the
  // earliest deadline left, so a steady stream of calls costs one timer per timeout period.
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#cachedReads = 0;
    const now = this.#clock.monotonic() - this.#origin;
    // Every linked dispatch is waiting on a call here: timers run only between turns.
    const due: Waiter[] = [];
    for (let w = this.#head; w !== null; w = w.next) if (w.deadline <= now) due.push(w);
    for (const w of due) w.expire();
    // A full scan, not just the head: waiters are in link order, and a dispatch linked early moves its deadline with each call.
    let next = Infinity;
    for (let w = this.#head; w !== null; w = w.next) if (w.deadline < next) next = w.deadline;
    if (next < this.#timerAt) this.arm(next, now);
  };
}
