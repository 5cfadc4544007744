// The clock every time-dependent part takes by injection, so tests never wait on wall time.

export interface TimerHandle {
  /** Opaque; pass back to `clearTimeout`. */
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Run `fn` once the current event-loop turn is over (Node's check phase). */
  setImmediate(fn: () => void): void;
  /**
   * A monotonic reading in ms (arbitrary origin): it never jumps with the wall clock, so
   * comparing how far `now()` and `monotonic()` moved tells a wall-clock step from elapsed time.
   */
  monotonic(): number;
}

/**
 * A monotonic reading in ms, from `process.hrtime` (the source `performance.now()` reads too):
 * the global `performance` is loaded on first use in Node 20, with perf_hooks and nine more
 * built-in modules a boot would compile for it (≈ 2 ms; decision 0177).
 */
function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/** The real clock. Timers are unref'd: the gateway's lifetime is held by its own servers and signals, not by a pending task. */
export function createSystemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    monotonic: monotonicMs,
    setImmediate(fn) {
      setImmediate(fn);
    },
    setTimeout(fn, ms) {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, Math.max(0, ms));
      t.unref();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t) {
        clearTimeout(t);
        timers.delete(handle.id);
      }
    },
  };
}

interface ManualTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. `advance` fires due timers in time order and lets
 * promise continuations run between them, so async code driven by timers behaves as it would
 * in real time, minus the waiting.
 */
export class ManualClock implements Clock {
  #now: number;
  /** Moves with `advance` and `jump`, not with `setWall`. */
  #monotonic = 0;
  #timers = new Map<number, ManualTimer>();
  #nextId = 1;
  #seq = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  /** Immediates are not time: they run at the next turn, as with the real clock. */
  setImmediate(fn: () => void): void {
    setImmediate(fn);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.id);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Move time to `target` (epoch ms), firing every timer that falls due on the way. */
  async advanceTo(target: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const due = this.#nextDue(target);
      if (!due) break;
      this.#timers.delete(due.id);
      this.#move(Math.max(this.#now, due.at));
      due.fn();
      await flushMicrotasks();
    }
    this.#move(Math.max(this.#now, target));
    await flushMicrotasks();
  }

  #move(to: number): void {
    this.#monotonic += to - this.#now;
    this.#now = to;
  }

  /** Jump the clock without firing timers: what a suspended machine or a stalled event loop looks like. */
  jump(ms: number): void {
    this.#now += ms;
    this.#monotonic += ms;
  }

  /**
   * Step the wall clock to `ms` (epoch) without any time passing: what NTP or an operator
   * setting the date does, forwards or backwards. Timers keep their wall-clock due times.
   */
  setWall(ms: number | Date): void {
    this.#now = typeof ms === 'number' ? ms : ms.getTime();
  }

  #nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Let queued promise continuations (and the ones they queue) run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
