// A scheduler on a manual clock over a real in-memory SQLite store, for the scheduler's tests.
import os from 'node:os';
import { pino } from 'pino';
import type { TaskRunContext } from '../../daemons/types.js';
import { createSilentLogger } from '../../log/logger.js';
import { openStore, type RunLedger, type RunRecord, type Store } from '../../store/index.js';
import { ManualClock, type Clock, type TimerHandle } from '../../time/clock.js';
import type { ResolvedTask } from '../resolve.js';
import { Scheduler, type SchedulerOptions } from '../scheduler.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const at = (iso: string): number => Date.parse(iso);
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A log line as pino wrote it. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface Harness {
  clock: ManualClock;
  store: Store;
  scheduler: Scheduler;
  /** What the scheduler logged, warn and above (or from `logLevel`). */
  logs: LogLine[];
  /** Task names passed to onChange, in order. */
  changes: string[];
  /** The ledger's rows, oldest slot first. */
  rows(task?: string): Promise<RunRecord[]>;
  /** Another scheduler (another gateway) sharing this one's clock and store. */
  peer(owner: string): Scheduler;
  close(): Promise<void>;
}

export async function harness(
  options: {
    start?: string;
    wrapLedger?: (real: RunLedger) => RunLedger;
    store?: Store;
    /** The clock the scheduler sees, made from the manual one the test drives; default that one. */
    clock?: (manual: ManualClock) => Clock;
    scheduler?: Partial<Pick<SchedulerOptions, 'onLedgerTrouble' | 'onLedgerRecovered' | 'ledgerRetry'>>;
    /** What `logs` keeps: warn and above unless told. */
    logLevel?: 'info' | 'warn';
    /** The store's leases on the test's manual clock too (default: the store keeps the system clock). */
    storeLeaseMs?: number;
  } = {},
): Promise<Harness> {
  const clock = new ManualClock(at(options.start ?? '2026-01-01T10:00:00Z'));
  const store =
    options.store ??
    (await openStore({ home: os.tmpdir(), url: 'sqlite::memory:', ...(options.storeLeaseMs === undefined ? {} : { clock, leaseMs: options.storeLeaseMs }) }));
  const ledger = options.wrapLedger ? options.wrapLedger(store.ledger) : store.ledger;
  const changes: string[] = [];
  const logs: LogLine[] = [];
  const logger = pino({ level: options.logLevel ?? 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const scheduler = new Scheduler({ clock: options.clock?.(clock) ?? clock, ledger, logger, owner: 'gw-test', onChange: (task) => changes.push(task), ...options.scheduler });
  const peers: Scheduler[] = [];
  return {
    clock,
    store,
    scheduler,
    logs,
    changes,
    async rows(task) {
      return (await store.ledger.recent({ task, limit: 10_000 })).reverse();
    },
    peer(owner) {
      const peer = new Scheduler({ clock, ledger: store.ledger, logger: createSilentLogger(), owner });
      peers.push(peer);
      return peer;
    },
    async close() {
      await Promise.all([scheduler, ...peers].map((s) => s.stop(0)));
      if (!options.store) await store.close();
    },
  };
}

type TaskOptions = Partial<Omit<ResolvedTask, 'schedule'>> & { every?: number; offset?: number; cron?: string; timezone?: string };

/** A resolved task with test defaults: daemon `d1`, every minute, missed `skip`, a run that does nothing. */
export function task(name: string, o: TaskOptions = {}): ResolvedTask {
  const schedule: ResolvedTask['schedule'] =
    o.cron !== undefined ? { kind: 'cron', expression: o.cron, timezone: o.timezone ?? 'UTC' } : { kind: 'every', everyMs: o.every ?? MINUTE, offsetMs: o.offset ?? 0 };
  return {
    name,
    daemon: o.daemon ?? 'd1',
    pluginId: o.pluginId ?? 'p1',
    schedule,
    runOnStart: o.runOnStart ?? false,
    timeoutMs: o.timeoutMs ?? Math.min(schedule.kind === 'every' ? schedule.everyMs : HOUR, HOUR),
    missed: o.missed ?? 'skip',
    run: o.run ?? (() => undefined),
  };
}

/** A run function that records each call's slot and the clock time it was invoked at. */
export function recorder(clock: Pick<Clock, 'now'>, body?: (ctx: TaskRunContext) => void | Promise<void>) {
  const calls: { slot: number; at: number; ctx: TaskRunContext }[] = [];
  const run = async (ctx: TaskRunContext) => {
    calls.push({ slot: ctx.slot, at: clock.now(), ctx });
    await body?.(ctx);
  };
  return { calls, run, slots: () => calls.map((c) => iso(c.slot)) };
}

/** Wait `ms` on the manual clock; rejects with the signal's reason when it aborts first (unless `ignoreSignal`). */
export function sleep(clock: ManualClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clock.clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

/**
 * Node's timers over a ManualClock: they count monotonic time, so stepping the wall clock
 * (`stepWall`, what NTP or an operator setting the date does) leaves them firing after their
 * delay. ManualClock's own `setWall` keeps timers at their wall-clock due times instead; the
 * scheduler must cope with both.
 */
export class MonotonicTimerClock implements Clock {
  readonly #base: ManualClock;
  #offset = 0;

  constructor(base: ManualClock) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now() + this.#offset;
  }

  monotonic(): number {
    return this.#base.monotonic();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#base.setTimeout(fn, ms);
  }

  clearTimeout(handle: TimerHandle): void {
    this.#base.clearTimeout(handle);
  }

  setImmediate(fn: () => void): void {
    this.#base.setImmediate(fn);
  }

  /** Step the wall clock by `ms` (negative: back) without time passing. */
  stepWall(ms: number): void {
    this.#offset += ms;
  }
}
