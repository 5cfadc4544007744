// The one scheduler of periodic tasks (DESIGN §6). Every task's next slot and every run's
// deadline sit in one min-heap behind one timer; a firing handles everything due in one pass.
// Each run claims its (task, slot) in the run ledger before it starts, so a slot runs once
// across gateways sharing a store, and every run, skip and miss becomes a ledger row (retried
// when the store refuses it, see ledger-writer.ts). What to do about slots that went by
// unrun is catch-up.ts's to decide; this file keeps the timer loop and carries plans out.
import type { MissedPolicy, RunTrigger, TaskRunContext } from '../daemons/types.js';
import { DaemonError, KoraError, StoreError, TimeoutError, UsageError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RunLedger, RunRecord, RunStatus } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { formatDuration } from '../time/duration.js';
import { planCatchUp, type CatchUpTask, type MissedSlots } from './catch-up.js';
import { DueHeap, type HeapItem } from './heap.js';
import { LedgerWriter, type LedgerWriteStatus } from './ledger-writer.js';
import { describeSchedule, type ResolvedTask } from './resolve.js';
import { slotGrid, type SlotGrid } from './slots.js';

export type { LedgerWriteStatus } from './ledger-writer.js';

export interface SchedulerOptions {
  clock: Clock;
  ledger: RunLedger;
  logger: Logger;
  /** The gateway's session id, written as the owner of the rows it claims. */
  owner: string;
  /** Called after every run, skip and miss is recorded, so the gateway can rewrite its status file. */
  onChange?: (task: string) => void;
  /**
   * Timer slack: the scheduler wakes only on multiples of this many ms, so slots that fall due
   * close together share one wake-up (as Linux's timer slack does). A run starts at most this
   * much later than its slot, and never earlier. Default 2 ms; 1 wakes for every due ms.
   */
  wakeGranularityMs?: number;
  /**
   * The run ledger refused a write (or a claim): `backlog` rows wait for a retry. Called when the
   * trouble starts and after each failed retry; the gateway goes degraded with the error.
   */
  onLedgerTrouble?: (error: Error, backlog: number) => void;
  /** Every waiting row is written and the ledger answers again. */
  onLedgerRecovered?: () => void;
  /** Retry queue bounds and backoff; defaults: 10 000 rows, 1 s doubling to 60 s. */
  ledgerRetry?: { maxBacklog?: number; retryMinMs?: number; retryMaxMs?: number };
}

export const DEFAULT_WAKE_GRANULARITY_MS = 2;

/** What stop() leaves behind. */
export interface SchedulerStopped {
  /** Ledger rows still refused at the last try: lost. */
  unwrittenRows: number;
}

export interface TaskStatus {
  name: string;
  daemon: string;
  pluginId: string;
  schedule: string;
  enabled: true;
  /** ISO time of the next slot; null while the task is being removed or has no further slot. */
  nextRun: string | null;
  lastRun: { slot: string; startedAt: string | null; status: RunStatus; durationMs: number | null; error: string | null } | null;
  /** Runs started by this gateway since the task was scheduled. */
  runs: number;
  /** Runs that ended `failed` or `timeout`, plus slots not run because the ledger could not be reached. */
  failures: number;
  /** Slots recorded `skipped_overlap`. */
  skips: number;
  /** Slots recorded `missed` (a row's `count`, summed). */
  misses: number;
  /** A run is in flight, possibly one that already timed out but has not returned yet. */
  running: boolean;
}

// Longest single wait. A Node timer counts monotonic time, which stops while the machine sleeps,
// and overflows past 2^31 ms; waking at least once a minute notices both, and a wall-clock step.
const MAX_TIMER_MS = 60_000;

// A wall-clock step is the wall clock moving this much more (or less) than monotonic time between
// two wake-ups. Smaller differences are NTP slewing and reading jitter, and harmless: a slot a
// little late or early on the wall clock still runs once.
const CLOCK_STEP_MS = 1000;

// A task of this period or longer missing a slot is worth a warning even under `skip`: an hourly
// or daily job not done is news. Shorter ones missing slots over a restart is routine.
const LONG_PERIOD_MS = 3_600_000;

/** One scheduled task: its place in the heap is its next slot. */
class Entry implements HeapItem, CatchUpTask {
  at = Infinity;
  seq = 0;
  heapIndex = -1;
  readonly task: ResolvedTask;
  readonly grid: SlotGrid;
  readonly schedule: string;
  running: Run | null = null;
  removed = false;
  /** Its first slots are planned (add() has finished with it). */
  planned = false;
  runs = 0;
  failures = 0;
  skips = 0;
  misses = 0;
  overlapStreak = 0;
  /** Slots up to here may have rows from before the wall clock stepped back; a refused claim is that. */
  rowsUntil = -Infinity;
  refusedStreak = 0;
  // The last row recorded, kept as fields so a run allocates nothing for it.
  lastSlot = 0;
  lastStartedAt: number | null = null;
  lastStatus: RunStatus | null = null;
  lastDurationMs: number | null = null;
  lastError: string | null = null;
  /** The latest ledger write for this task (settled once written or queued for retry), for remove() to wait on. */
  lastWrite: Promise<void> | undefined;
  readonly #parentLog: Logger;
  #log: Logger | undefined;

  constructor(task: ResolvedTask, log: Logger) {
    this.task = task;
    this.grid = slotGrid(task.schedule);
    this.schedule = describeSchedule(task.schedule);
    this.#parentLog = log;
  }

  get missed(): MissedPolicy {
    return this.task.missed;
  }

  get runOnStart(): boolean {
    return this.task.runOnStart;
  }

  get log(): Logger {
    // Created on first use: ten thousand child loggers nobody writes to are memory for nothing.
    return (this.#log ??= this.#parentLog.child({ task: this.task.name, daemon: this.task.daemon }));
  }

  setLast(slot: number, status: RunStatus, startedAt: number | null, durationMs: number | null, error: string | null): void {
    this.lastSlot = slot;
    this.lastStatus = status;
    this.lastStartedAt = startedAt;
    this.lastDurationMs = durationMs;
    this.lastError = error;
  }
}

/** One run of one slot; in the heap (keyed on its deadline) while its function is running. */
class Run implements HeapItem {
  at = Infinity;
  seq = 0;
  heapIndex = -1;
  readonly entry: Entry;
  readonly slot: number;
  /** When the scheduler fired it; the claim's `startedAt`. */
  readonly firedAt: number;
  /** When the task's function was invoked; 0 until then. */
  startedAt = 0;
  /** The same moment on the monotonic clock: durations do not jump with the wall clock. */
  startedMonotonic = 0;
  /** The task's function has been invoked. */
  started = false;
  /** The task's function has returned or thrown. */
  settled = false;
  /** Its ledger row has its final status (which can come before `settled`: timeout, interrupted). */
  finished = false;
  /** Settles when the run is over: claimed or not, started or not, returned or not. */
  done!: Promise<void>;
  /** Why it runs: its slot came, or an operator asked for it (`runNow`). */
  readonly trigger: RunTrigger;
  /** It runs a slot whose gateway died mid-run (missed: run-once): its claim is a takeover of the expired one. */
  takeOver = false;
  /** Told once the claim is decided (manual runs wait on it to answer their caller). */
  onClaim: ((outcome: { claimed: true } | { claimed: false; error?: unknown }) => void) | undefined;
  /** Its final status, once recorded. */
  outcome: { status: RunStatus; finishedAt: number; durationMs: number | null; error: string | null } | undefined;
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  constructor(entry: Entry, slot: number, firedAt: number, trigger: RunTrigger = 'schedule') {
    this.entry = entry;
    this.slot = slot;
    this.firedAt = firedAt;
    this.trigger = trigger;
  }

  get signal(): AbortSignal {
    // Created on first use: most runs never look at their signal, and an AbortController per
    // run is the largest allocation a fire would otherwise make.
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** What the task's function sees: a view of its run that cannot touch the scheduler's state. */
class RunContext implements TaskRunContext {
  readonly #run: Run;

  constructor(run: Run) {
    this.#run = run;
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }

  get slot(): number {
    return this.#run.slot;
  }

  get task(): string {
    return this.#run.entry.task.name;
  }

  get trigger(): RunTrigger {
    return this.#run.trigger;
  }

  get log(): Logger {
    return this.#run.entry.log;
  }
}

interface DaemonTasks {
  entries: Entry[];
  removing: Promise<void> | null;
}

export class Scheduler {
  readonly #clock: Clock;
  readonly #ledger: RunLedger;
  readonly #writer: LedgerWriter;
  readonly #log: Logger;
  readonly #owner: string;
  readonly #onChange: ((task: string) => void) | undefined;
  readonly #heap = new DueHeap<Entry | Run>();
  readonly #daemons = new Map<string, DaemonTasks>();
  readonly #tasks = new Map<string, Entry>();
  #timer: TimerHandle | null = null;
  #timerAt = Infinity;
  #stopping: Promise<SchedulerStopped> | null = null;
  readonly #wakeGranularity: number;
  // The clocks as last read, to tell a wall-clock step from time passing.
  #wallSeen = NaN;
  #monotonicSeen = NaN;
  /** How far the wall clock stepped forward at this wake-up, for the missed rows' text. */
  #steppedForwardMs = 0;
  /** Slots of short-period `skip` tasks missed while the gateway was down, for the one line summarizeDownMisses() logs. */
  #downMisses: { task: string; count: number }[] = [];

  constructor(options: SchedulerOptions) {
    const granularity = options.wakeGranularityMs ?? DEFAULT_WAKE_GRANULARITY_MS;
    if (!Number.isInteger(granularity) || granularity < 1 || granularity > 1000) {
      throw new UsageError(`Scheduler option wakeGranularityMs must be an integer from 1 to 1000 (ms), got ${granularity}`, { wakeGranularityMs: granularity });
    }
    this.#wakeGranularity = granularity;
    this.#clock = options.clock;
    this.#ledger = options.ledger;
    this.#log = options.logger;
    this.#owner = options.owner;
    this.#onChange = options.onChange;
    this.#writer = new LedgerWriter({
      ledger: options.ledger,
      clock: options.clock,
      log: options.logger,
      onWritten: (task) => this.#changed(task),
      onTrouble: options.onLedgerTrouble,
      onRecovered: options.onLedgerRecovered,
      ...options.ledgerRetry,
    });
  }

  /**
   * Schedule a running daemon's tasks: each first runs at its first slot strictly after now
   * (and right away too when `runOnStart`). Slots that passed since the task's last ledger row
   * (the gateway was down) are recorded `missed`, and under `missed: run-once` the latest of
   * them runs right away (see catch-up.ts).
   */
  async add(daemon: string, tasks: ResolvedTask[]): Promise<void> {
    if (this.#stopping) {
      this.#log.warn({ daemon }, 'scheduler: not scheduling tasks, the scheduler is stopping');
      return;
    }
    if (this.#daemons.has(daemon)) {
      throw new DaemonError('KORA_ERR_DAEMON_DUPLICATE', `daemon "${daemon}" already has its tasks scheduled`, { daemon });
    }
    const entries: Entry[] = [];
    const names = new Map<string, Entry>();
    for (const task of tasks) {
      const other = this.#tasks.get(task.name) ?? names.get(task.name);
      if (other) {
        throw new DaemonError(
          'KORA_ERR_TASK_DUPLICATE',
          `task "${task.name}" of daemon "${daemon}" is already scheduled for daemon "${other.task.daemon}": task names must be unique across the gateway`,
          { daemon, task: task.name, other: other.task.daemon },
        );
      }
      const entry = new Entry(task, this.#log);
      entries.push(entry);
      names.set(task.name, entry);
    }
    const record: DaemonTasks = { entries, removing: null };
    this.#daemons.set(daemon, record);
    for (const e of entries) this.#tasks.set(e.task.name, e);

    let lastSlots: (number | null)[];
    try {
      lastSlots = await Promise.all(entries.map((e) => this.#ledger.lastSlot(e.task.name)));
    } catch (err) {
      this.#forget(daemon, record);
      throw err;
    }
    // Removed, or the scheduler stopped, while the ledger was answering.
    if (record.removing || this.#stopping) return;

    const now = this.#clock.now();
    // A step since the last wake-up is handled for the tasks already scheduled before it is forgotten.
    this.#noticeClockStep(now);
    const notes: Promise<void>[] = [];
    for (const [i, e] of entries.entries()) {
      const lastSlot = lastSlots[i] ?? null;
      const plan = planCatchUp(e, { kind: 'scheduled', lastSlot }, now);
      if (plan.missed) {
        // Under `skip`, a short-period task missing slots while the gateway was down is the
        // policy working: counted into one info line, not a warning per task every restart.
        // A run-once catch-up, and a long period's miss (a daily report not sent), still warn.
        const routine = e.task.missed === 'skip' && !e.task.runOnStart && e.grid.nextSlotAfter(plan.missed.last) - plan.missed.last < LONG_PERIOD_MS;
        if (routine) this.#downMisses.push({ task: e.task.name, count: plan.missed.count });
        notes.push(this.#miss(e, plan.missed, !routine));
      }
      if (plan.note) e.log.warn({ slot: plan.runNow === null ? null : iso(plan.runNow) }, `task ${e.task.name}: ${plan.note}`);
      // The clock is behind the ledger: claims refused up to its latest row are that, not another gateway.
      if (lastSlot !== null && lastSlot > now) e.rowsUntil = lastSlot;
      e.at = plan.next;
      e.planned = true;
      if (e.at !== Infinity) this.#heap.push(e);
      if (plan.runNow !== null) this.#start(e, plan.runNow, now);
    }
    this.#arm();
    await Promise.all(notes);
  }

  /**
   * Stop scheduling a daemon's tasks and wait for its in-flight runs, up to `drainMs`; then
   * abort them and record them `interrupted`. No run of these tasks starts after this returns.
   */
  remove(daemon: string, drainMs: number): Promise<void> {
    const record = this.#daemons.get(daemon);
    if (!record) return Promise.resolve();
    record.removing ??= (async () => {
      for (const e of record.entries) this.#unschedule(e);
      await this.#drain(record.entries, drainMs, `daemon "${daemon}" is stopping`);
      await Promise.all(record.entries.map((e) => e.lastWrite));
      this.#forget(daemon, record);
    })();
    return record.removing;
  }

  /**
   * Run a task now, outside its schedule (an operator asked): its slot is this moment, its ledger
   * row says `manual`, and it is under the same rules as a scheduled run (claim, timeout, one at
   * a time: a scheduled slot that comes while it runs is skipped_overlap). Resolves once the
   * claim is made, with `done` for the finished row; rejects when the task is unknown, running
   * or the claim fails.
   */
  async runNow(name: string): Promise<{ task: string; daemon: string; slot: number; done: Promise<RunRecord> }> {
    const e = this.#tasks.get(name);
    if (this.#stopping) throw new KoraError('KORA_ERR_GATEWAY_STOPPING', `task "${name}" cannot run now: the gateway is stopping`, { task: name });
    if (!e || e.removed) {
      throw new DaemonError('KORA_ERR_TASK_UNKNOWN', `No running daemon schedules a task "${name}": \`kora status\` lists the tasks (a failed or stopped daemon's tasks cannot run)`, { task: name });
    }
    if (e.running) {
      throw new DaemonError('KORA_ERR_TASK_RUNNING', `task "${name}" is running (its run for ${iso(e.running.slot)} started ${iso(e.running.firedAt)}): a task never runs twice at once; ask again once it finished`, {
        task: name,
      });
    }
    const now = this.#clock.now();
    const run = new Run(e, now, now, 'manual');
    const claim = new Promise<{ claimed: true } | { claimed: false; error?: unknown }>((resolve) => (run.onClaim = resolve));
    e.running = run;
    e.overlapStreak = 0;
    run.done = this.#execute(run);
    const outcome = await claim;
    if (!outcome.claimed) {
      // The store's own coded fault (busy, full, unreachable) says what is wrong, not this task.
      if (outcome.error !== undefined) throw outcome.error instanceof KoraError ? outcome.error : new StoreError(`task "${name}" was not run: the run ledger could not claim it (${describeError(outcome.error)})`, { task: name }, { cause: outcome.error });
      throw new DaemonError('KORA_ERR_TASK_RUNNING', `task "${name}" was not run: its slot ${iso(now)} is claimed already`, { task: name });
    }
    const t = e.task;
    const done = run.done.then((): RunRecord => {
      const o = run.outcome;
      return {
        task: t.name,
        daemon: t.daemon,
        slot: run.slot,
        status: o?.status ?? 'interrupted',
        startedAt: run.started ? run.startedAt : null,
        finishedAt: o?.finishedAt ?? null,
        durationMs: o?.durationMs ?? null,
        error: o?.error ?? null,
        owner: this.#owner,
        trigger: 'manual',
      };
    });
    return { task: t.name, daemon: t.daemon, slot: run.slot, done };
  }

  /**
   * Stop all scheduling; drain in-flight runs within `drainMs`, then abort them and record them
   * `interrupted`. Ledger rows still waiting for a retry get one more try; the ones that still
   * fail are counted (and logged).
   */
  stop(drainMs: number): Promise<SchedulerStopped> {
    this.#stopping ??= (async () => {
      const entries = [...this.#daemons.values()].flatMap((record) => record.entries);
      for (const e of entries) this.#unschedule(e);
      // Deadlines stay in the heap meanwhile: a run can still time out while the gateway drains.
      await this.#drain(entries, drainMs, 'the gateway is stopping');
      await this.#writer.idle();
      const unwrittenRows = await this.#writer.close();
      this.#heap.clear();
      this.#disarm();
      return { unwrittenRows };
    })();
    return this.#stopping;
  }

  /**
   * Runs of gateways that are gone (their claim's lease expired while `running`), judged by their
   * task's missed-slot policy: under `run-once`, the task's latest slot is run again here (the
   * claim taken over, so one gateway does it); otherwise, or when a later slot has run since, the
   * row is marked `interrupted` saying why. The fleet's leader calls this at every heartbeat.
   */
  async sweepExpired(): Promise<{ takenOver: number; interrupted: number }> {
    const outcome = { takenOver: 0, interrupted: 0 };
    if (this.#stopping) return outcome;
    const now = this.#clock.now();
    for (const row of await this.#ledger.expired(now)) {
      const e = this.#tasks.get(row.task);
      const gone = row.owner ?? 'unknown';
      if (e && !e.removed && e.task.missed === 'run-once' && e.running === null && row.trigger !== 'manual' && (await this.#ledger.lastSlot(row.task)) === row.slot) {
        const run = new Run(e, row.slot, now);
        run.takeOver = true;
        e.running = run;
        e.overlapStreak = 0;
        e.log.warn({ slot: iso(row.slot), owner: gone }, `task ${e.task.name}: the gateway running slot ${iso(row.slot)} (session ${gone}) is gone; running it again (missed: run-once)`);
        run.done = this.#execute(run);
        outcome.takenOver++;
        continue;
      }
      const policy = e ? (e.task.missed === 'run-once' ? 'missed: run-once, but a later slot has run since' : 'missed: skip') : 'no gateway here schedules it';
      const error = `the gateway running it (session ${gone}) is gone: its lease expired before the run finished (${policy})`;
      if (await this.#ledger.interrupt(row.task, row.slot, now, error)) {
        outcome.interrupted++;
        if (e) {
          e.setLast(row.slot, 'interrupted', row.startedAt, null, error);
          this.#changed(row.task);
        }
        this.#log.warn({ task: row.task, slot: iso(row.slot), owner: gone }, `scheduler: task ${row.task}: ${error}`);
      }
    }
    return outcome;
  }

  /** The run ledger's health as the scheduler sees it: rows waiting for a retry, the last error. */
  ledgerStatus(): LedgerWriteStatus {
    return this.#writer.status();
  }

  status(): TaskStatus[] {
    const out: TaskStatus[] = [];
    for (const { entries } of this.#daemons.values()) {
      for (const e of entries) {
        const t = e.task;
        out.push({
          name: t.name,
          daemon: t.daemon,
          pluginId: t.pluginId,
          schedule: e.schedule,
          enabled: true,
          nextRun: e.heapIndex >= 0 ? iso(e.at) : null,
          lastRun:
            e.lastStatus === null
              ? null
              : {
                  slot: iso(e.lastSlot),
                  startedAt: e.lastStartedAt === null ? null : iso(e.lastStartedAt),
                  status: e.lastStatus,
                  durationMs: e.lastDurationMs,
                  error: e.lastError,
                },
          runs: e.runs,
          failures: e.failures,
          skips: e.skips,
          misses: e.misses,
          running: e.running !== null && e.running.started,
        });
      }
    }
    return out;
  }

  // The one timer. Everything due is handled in one pass; `now` is read again only when the
  // heap's top looks early, so a long pass still picks up what fell due while it ran.
  #onTimer = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    let now = this.#clock.now();
    this.#noticeClockStep(now);
    for (;;) {
      const top = this.#heap.peek();
      if (!top) break;
      if (top.at > now) {
        now = this.#clock.now();
        if (top.at > now) break;
      }
      if (top instanceof Run) {
        this.#heap.remove(top);
        this.#timeout(top);
      } else {
        this.#fire(top, now);
      }
    }
    this.#steppedForwardMs = 0;
    this.#arm();
  };

  /**
   * Compare how far the wall clock moved since the last reading with how far monotonic time did.
   * Forward: the slots it passed over are recorded missed by #fire, saying so. Backward: every
   * task's next slot is planned again from the new time, or tasks would wait (silently) until
   * the wall clock caught up with where it was; slots that already have rows are refused by
   * their claims, so none runs twice. Run deadlines keep their real length either way.
   */
  #noticeClockStep(now: number): void {
    const monotonic = this.#clock.monotonic();
    const previousMonotonic = this.#monotonicSeen;
    const step = now - this.#wallSeen - (monotonic - previousMonotonic);
    this.#wallSeen = now;
    this.#monotonicSeen = monotonic;
    if (!(Math.abs(step) >= CLOCK_STEP_MS)) return;
    this.#shiftDeadlines(step);
    if (step > 0) {
      this.#steppedForwardMs = step;
      this.#log.warn({ stepMs: step, now: iso(now) }, `scheduler: the wall clock stepped forward by ${formatDuration(step)} (to ${iso(now)}); slots it passed over are recorded missed`);
      return;
    }
    const back = -step;
    const since = now - (monotonic - previousMonotonic);
    let replanned = 0;
    for (const e of this.#tasks.values()) {
      if (!e.planned || e.removed) continue;
      const { next } = planCatchUp(e, { kind: 'stepped-back', stepMs: back, since, lastHandled: e.lastStatus === null ? null : e.lastSlot }, now);
      e.rowsUntil = Math.max(e.rowsUntil, now + back);
      e.refusedStreak = 0;
      if (next === Infinity) this.#heap.remove(e);
      else if (e.heapIndex >= 0) this.#heap.update(e, next);
      else {
        e.at = next;
        this.#heap.push(e);
      }
      replanned++;
    }
    this.#log.warn(
      { stepMs: -back, now: iso(now), tasks: replanned },
      `scheduler: the wall clock stepped back by ${formatDuration(back)} (to ${iso(now)}); the next slot of ${replanned} task${replanned === 1 ? '' : 's'} is planned again from now, and slots that already ran are not run again`,
    );
  }

  #shiftDeadlines(step: number): void {
    for (const e of this.#tasks.values()) {
      const run = e.running;
      if (run && run.heapIndex >= 0) this.#heap.update(run, run.at + step);
    }
  }

  #arm(): void {
    const top = this.#heap.peek();
    if (!top) return;
    // Rounded up to the wake grid: never before the top is due, at most one grid step after.
    const at = Math.ceil(top.at / this.#wakeGranularity) * this.#wakeGranularity;
    // An earlier timer already armed is kept: it finds nothing due and re-arms, which is
    // cheaper than clearing and setting a timer whenever the top of the heap moves later.
    if (this.#timer && this.#timerAt <= at) return;
    this.#disarm();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.min(Math.max(0, at - this.#clock.now()), MAX_TIMER_MS));
  }

  #disarm(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  /** A task's slot is due: run it, and put the task back at its next slot (fixed rate: from the grid, not from the run). */
  #fire(e: Entry, now: number): void {
    let slot = e.at;
    let next = e.grid.nextSlotAfter(slot);
    if (next <= now) {
      // The following slot is due already: the event loop stalled, the machine slept or the
      // wall clock stepped forward.
      const plan = planCatchUp(e, { kind: 'late', due: slot, stepMs: this.#steppedForwardMs }, now);
      if (plan.missed) void this.#miss(e, plan.missed);
      slot = plan.runNow ?? slot;
      next = plan.next;
    }
    if (next === Infinity) this.#heap.remove(e);
    else this.#heap.update(e, next);
    this.#start(e, slot, now);
  }

  #start(e: Entry, slot: number, now: number): void {
    if (e.running) {
      this.#skipOverlap(e, slot, e.running);
      return;
    }
    e.overlapStreak = 0;
    const run = new Run(e, slot, now);
    e.running = run;
    run.done = this.#execute(run);
  }

  // Claim, run, record. The claim is the first await, so the task's function is invoked as
  // soon as the ledger answers; lateness is the time from the slot to that invocation.
  async #execute(run: Run): Promise<void> {
    const e = run.entry;
    const task = e.task;
    try {
      let claimed: boolean;
      try {
        claimed = run.takeOver
          ? await this.#ledger.takeOver({ task: task.name, slot: run.slot, owner: this.#owner, startedAt: run.firedAt })
          : await this.#ledger.claim({ task: task.name, daemon: task.daemon, slot: run.slot, startedAt: run.firedAt, owner: this.#owner, trigger: run.trigger });
      } catch (err) {
        run.onClaim?.({ claimed: false, error: err });
        // Without a claim the slot could run twice across the fleet, so it does not run at all.
        e.failures++;
        const why = `not run: the run ledger could not claim the slot: ${describeError(err)}`;
        e.setLast(run.slot, 'failed', null, null, why);
        e.log.error({ err, slot: iso(run.slot) }, `task ${e.task.name}: not run, the run ledger could not claim its slot`);
        this.#writer.claimFailed(err);
        // Never silent: recorded missed once the store answers again (unless another gateway
        // sharing it claimed and ran the slot meanwhile: its row stays).
        if (run.trigger === 'schedule' && !run.takeOver) {
          e.misses++;
          void this.#note(e, run.slot, 'missed', why, 1);
        }
        this.#changed(task.name);
        return;
      }
      this.#writer.claimSucceeded();
      run.onClaim?.(claimed ? { claimed: true } : { claimed: false });
      if (!claimed) {
        // Claimed elsewhere: another gateway sharing the store runs this slot; or, after the wall
        // clock stepped back, the slot ran here before the step.
        if (run.slot <= e.rowsUntil) this.#alreadyRecorded(e, run.slot);
        return;
      }
      e.refusedStreak = 0;
      if (e.removed) {
        void this.#finish(run, 'interrupted', 'not started: its daemon stopped while the slot was being claimed');
        return;
      }
      run.startedAt = this.#clock.now();
      run.startedMonotonic = this.#clock.monotonic();
      run.started = true;
      e.runs++;
      e.setLast(run.slot, 'running', run.startedAt, null, null);

      let failed = false;
      let error: unknown;
      try {
        const result = task.run(new RunContext(run));
        // Only a promise can still be going, so only a promise gets a deadline and an await:
        // a synchronous task costs neither a heap entry nor a microtask.
        if (isPromiseLike(result)) {
          run.at = run.startedAt + task.timeoutMs;
          this.#heap.push(run);
          if (run.at < this.#timerAt) this.#arm();
          await result;
        }
      } catch (err) {
        failed = true;
        error = err;
      }
      run.settled = true;
      this.#heap.remove(run);
      if (!run.finished) {
        void this.#finish(run, failed ? 'failed' : 'ok', failed ? describeError(error) : null);
        if (failed) e.log.warn({ err: error, slot: iso(run.slot) }, `task ${e.task.name}: run failed`);
      } else {
        e.log.warn({ slot: iso(run.slot), durationMs: this.#clock.monotonic() - run.startedMonotonic }, `task ${e.task.name}: a run that was already recorded (timeout or interrupted) has returned`);
      }
    } finally {
      // The row is written in the background: a slow ledger never turns into an overlap.
      if (e.running === run) e.running = null;
    }
  }

  #timeout(run: Run): void {
    if (run.finished || run.settled) return;
    const task = run.entry.task;
    const err = new TimeoutError('KORA_ERR_TASK_TIMEOUT', `task "${task.name}" timed out after ${formatDuration(task.timeoutMs)}`, task.timeoutMs, {
      task: task.name,
      daemon: task.daemon,
      slot: run.slot,
    });
    // Recorded now; the task stays `running` until its function returns, so a function that
    // ignores its signal still never runs twice at once (its next slots are skipped_overlap).
    void this.#finish(run, 'timeout', err.message);
    run.entry.log.warn({ slot: iso(run.slot), timeoutMs: task.timeoutMs }, `task ${run.entry.task.name}: run timed out; its signal is aborted`);
    run.abort(err);
  }

  /** Record a claimed run's outcome: counters and last run now, the ledger row in the background. */
  #finish(run: Run, status: 'ok' | 'failed' | 'timeout' | 'interrupted', error: string | null): Promise<void> {
    run.finished = true;
    const e = run.entry;
    const now = this.#clock.now();
    const durationMs = run.started ? Math.round(this.#clock.monotonic() - run.startedMonotonic) : 0;
    if (status === 'failed' || status === 'timeout') e.failures++;
    e.setLast(run.slot, status, run.started ? run.startedAt : null, run.started ? durationMs : null, error);
    run.outcome = { status, finishedAt: now, durationMs: run.started ? durationMs : null, error };
    return (e.lastWrite = this.#writer.complete(e.task.name, run.slot, { status, finishedAt: now, durationMs, error }));
  }

  #alreadyRecorded(e: Entry, slot: number): void {
    // One warning per task and step: a clock stepped back by a day would otherwise log every slot of it.
    if (e.refusedStreak++ > 0) return;
    e.log.warn(
      { slot: iso(slot), until: iso(e.rowsUntil) },
      `task "${e.task.name}": slot ${iso(slot)} already has a ledger row from before the wall clock stepped back; not run again (slots up to ${iso(e.rowsUntil)} that have rows are skipped the same way, without a warning each)`,
    );
  }

  #skipOverlap(e: Entry, slot: number, running: Run): void {
    e.skips++;
    const error = `the run for ${iso(running.slot)} was still going`;
    e.setLast(slot, 'skipped_overlap', null, null, error);
    // One warning per streak: a hung run would otherwise log at every slot.
    if (e.overlapStreak++ === 0) e.log.warn({ slot: iso(slot), runningSlot: iso(running.slot) }, `task ${e.task.name}: slot skipped, the previous run is still going`);
    void this.#note(e, slot, 'skipped_overlap', error);
  }

  /**
   * Log, once, the slots of short-period `skip` tasks that went by while the gateway was down
   * (the tasks added since the last call): one info line with each task and its count.
   */
  summarizeDownMisses(): void {
    const misses = this.#downMisses;
    if (misses.length === 0) return;
    this.#downMisses = [];
    const total = misses.reduce((n, m) => n + m.count, 0);
    const each = misses.map((m) => `${m.task} ${m.count}`).join(', ');
    this.#log.info({ missed: Object.fromEntries(misses.map((m) => [m.task, m.count])) }, `scheduler: ${total} slot(s) went by while the gateway was down and were skipped (missed: skip): ${each}`);
  }

  /** Record slots as missed: one row, at the latest, standing for all of them. */
  #miss(e: Entry, missed: MissedSlots, warn = true): Promise<void> {
    e.misses += missed.count;
    e.setLast(missed.last, 'missed', null, null, missed.error);
    if (warn) e.log.warn({ slot: iso(missed.last), count: missed.count }, `task ${e.task.name}: ${missed.error}`);
    return this.#note(e, missed.last, 'missed', missed.error, missed.count);
  }

  #note(e: Entry, slot: number, status: 'skipped_overlap' | 'missed', error: string, count?: number): Promise<void> {
    const t = e.task;
    const row = { task: t.name, daemon: t.daemon, slot, status, startedAt: null, finishedAt: null, durationMs: null, error, owner: this.#owner };
    return (e.lastWrite = this.#writer.note(count === undefined ? row : { ...row, count }));
  }

  #changed(task: string): void {
    if (!this.#onChange) return;
    try {
      this.#onChange(task);
    } catch (err) {
      this.#log.error({ err, task }, 'scheduler: onChange threw');
    }
  }

  #unschedule(e: Entry): void {
    e.removed = true;
    this.#heap.remove(e);
  }

  /** Wait up to `drainMs` for these tasks' runs to finish; abort and record `interrupted` those that do not. */
  async #drain(entries: Entry[], drainMs: number, why: string): Promise<void> {
    const runs: Run[] = [];
    for (const e of entries) if (e.running) runs.push(e.running);
    if (runs.length === 0) return;
    if (drainMs > 0 && (await this.#settlesWithin(Promise.all(runs.map((r) => r.done)), drainMs))) return;
    const writes: Promise<void>[] = [];
    for (const run of runs) {
      // A run still claiming never starts: it records itself `interrupted` as soon as the
      // ledger answers (see #execute), and that answer is worth waiting for.
      if (!run.started) writes.push(run.done);
      if (!run.started || run.settled) continue;
      const task = run.entry.task;
      const reason = new DaemonError('KORA_ERR_TASK_INTERRUPTED', `${why}: task "${task.name}" did not finish within the drain budget (${formatDuration(drainMs)}) and was aborted`, {
        daemon: task.daemon,
        task: task.name,
        slot: run.slot,
      });
      if (!run.finished) writes.push(this.#finish(run, 'interrupted', reason.message));
      this.#heap.remove(run);
      run.abort(reason);
      run.entry.log.warn({ slot: iso(run.slot), drainMs }, `task ${run.entry.task.name}: run interrupted; its signal is aborted`);
    }
    await Promise.all(writes);
  }

  #settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => resolve(false), ms);
      void p.then(() => {
        this.#clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #forget(daemon: string, record: DaemonTasks): void {
    for (const e of record.entries) {
      this.#unschedule(e);
      if (this.#tasks.get(e.task.name) === e) this.#tasks.delete(e.task.name);
    }
    if (this.#daemons.get(daemon) === record) this.#daemons.delete(daemon);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
