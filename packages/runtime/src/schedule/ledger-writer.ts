// The scheduler's writes to the run ledger, retried rather than dropped. A row the store refused
// (disk full, a lock held elsewhere, the home deleted under it) waits in a bounded queue and is
// tried again, oldest first, with exponential backoff on the injected clock; a later row for the
// same (task, slot) never overtakes one waiting. The gateway hears when trouble starts and ends.
import { StoreError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RunLedger, RunRecord } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { formatDuration } from '../time/duration.js';

export type CompleteResult = Parameters<RunLedger['complete']>[2];

export interface LedgerWriterOptions {
  ledger: RunLedger;
  clock: Clock;
  log: Logger;
  /** After a row is written, at the first try or a retry. */
  onWritten: (task: string) => void;
  /** The ledger refused a write (first failure, and each failed retry); `backlog` rows wait. */
  onTrouble?: ((error: Error, backlog: number) => void) | undefined;
  /** Every waiting row is written and the ledger answers again. */
  onRecovered?: (() => void) | undefined;
  /** Rows kept for retry; beyond it the oldest go, counted. Default 10 000. */
  maxBacklog?: number | undefined;
  /** First retry delay, doubled after each failed retry up to `retryMaxMs`. Defaults 1 s and 60 s. */
  retryMinMs?: number | undefined;
  retryMaxMs?: number | undefined;
}

/** The scheduler's ledger health, for status. */
export interface LedgerWriteStatus {
  /** `failing` from a refused write (or claim) until every waiting row is written and the ledger answers. */
  state: 'ok' | 'failing';
  /** Rows waiting to be written. */
  backlog: number;
  /** Rows given up on because the backlog was full, since the scheduler started. */
  dropped: number;
  /** The last write error and when it happened (kept after recovery, for the record). */
  lastError: string | null;
  lastErrorAt: string | null;
  /** ISO time of the next retry, or null when none is planned. */
  nextRetry: string | null;
}

export const DEFAULT_MAX_BACKLOG = 10_000;
export const DEFAULT_RETRY_MIN_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 60_000;

const RESOLVED = Promise.resolve();

type Row = { kind: 'complete'; task: string; slot: number; result: CompleteResult } | { kind: 'note'; task: string; slot: number; record: RunRecord };

export class LedgerWriter {
  readonly #ledger: RunLedger;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onWritten: (task: string) => void;
  readonly #onTrouble: ((error: Error, backlog: number) => void) | undefined;
  readonly #onRecovered: (() => void) | undefined;
  readonly #max: number;
  readonly #retryMin: number;
  readonly #retryMax: number;
  // A FIFO as an array and a head index: shifting a 10 000-row array per retried row is waste.
  #queue: Row[] = [];
  #head = 0;
  /** (task, slot) keys of queued rows, with how many rows each has waiting. */
  readonly #queuedKeys = new Map<string, number>();
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #troubled = false;
  #lastError: string | null = null;
  #lastErrorAt: number | null = null;
  #dropped = 0;
  #droppedThisEpisode = 0;
  #delay: number;
  #timer: TimerHandle | null = null;
  #timerAt: number | null = null;
  #retrying: Promise<void> | null = null;
  #retriedAt = -Infinity;
  #closed = false;

  constructor(options: LedgerWriterOptions) {
    this.#ledger = options.ledger;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#onWritten = options.onWritten;
    this.#onTrouble = options.onTrouble;
    this.#onRecovered = options.onRecovered;
    this.#max = options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.#retryMin = options.retryMinMs ?? DEFAULT_RETRY_MIN_MS;
    this.#retryMax = options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    this.#delay = this.#retryMin;
  }

  get backlog(): number {
    return this.#queue.length - this.#head;
  }

  status(): LedgerWriteStatus {
    return {
      state: this.#troubled ? 'failing' : 'ok',
      backlog: this.backlog,
      dropped: this.#dropped,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt === null ? null : new Date(this.#lastErrorAt).toISOString(),
      nextRetry: this.#timerAt === null ? null : new Date(this.#timerAt).toISOString(),
    };
  }

  /** Finish a claimed run. Settles once the row is written or queued for retry; never rejects. */
  complete(task: string, slot: number, result: CompleteResult): Promise<void> {
    return this.#write({ kind: 'complete', task, slot, result });
  }

  /** Record a slot that did not run (`missed`, `skipped_overlap`). Settles like `complete`. */
  note(record: RunRecord): Promise<void> {
    return this.#write({ kind: 'note', task: record.task, slot: record.slot, record });
  }

  /** A claim (not retried: an unclaimed slot does not run) failed: the ledger is in trouble. */
  claimFailed(err: unknown): void {
    this.#failed(err);
  }

  /** A claim went through: the ledger answers, so waiting rows need not wait for their backoff. */
  claimSucceeded(): void {
    if (this.#troubled) this.#answered();
  }

  /** Settles when no first attempt is in flight (retries are not waited for). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * No more retries: wait for a retry pass under way, try what still waits once more, and
   * return how many rows could not be written (said in the log too).
   */
  async close(): Promise<number> {
    this.#closed = true;
    this.#clearTimer();
    await this.#retrying;
    if (this.backlog > 0) await this.#retryPass();
    const left = this.backlog;
    if (left > 0 || this.#dropped > 0) {
      this.#log.error(
        { unwritten: left, dropped: this.#dropped, lastError: this.#lastError },
        `scheduler: stopping with ${left} run ledger row${left === 1 ? '' : 's'} that could not be written${this.#dropped > 0 ? ` (and ${this.#dropped} dropped earlier, the backlog being full)` : ''}: ${this.#lastError ?? 'no error recorded'}`,
      );
    }
    return left;
  }

  // Not an async function: this runs once per task run, and a plain `then` costs less than an
  // async function's suspension (measured: ≈ 0.6 µs against 1.4 µs per write).
  #write(row: Row): Promise<void> {
    // A row behind one of its own (task, slot) that waits for a retry waits too, so the ledger
    // never sees a slot's rows out of order.
    if (this.#queuedKeys.size > 0 && this.#queuedKeys.has(keyOf(row))) {
      this.#enqueue(row);
      return RESOLVED;
    }
    this.#inFlight++;
    return this.#send(row).then(
      () => {
        this.#settled();
        this.#onWritten(row.task);
        if (this.#troubled) this.#answered();
      },
      (err: unknown) => {
        this.#enqueue(row);
        this.#failed(err);
        this.#settled();
      },
    );
  }

  #settled(): void {
    if (--this.#inFlight === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  #send(row: Row): Promise<void> {
    return row.kind === 'complete' ? this.#ledger.complete(row.task, row.slot, row.result) : this.#ledger.note(row.record);
  }

  #enqueue(row: Row): void {
    if (this.backlog >= this.#max) {
      const oldest = this.#queue[this.#head];
      this.#dequeue();
      this.#dropped++;
      if (this.#droppedThisEpisode++ === 0) {
        this.#log.error(
          { maxBacklog: this.#max, task: oldest?.task },
          `scheduler: the run ledger backlog is full (${this.#max} rows); dropping the oldest rows to keep the newest, each one counted`,
        );
      }
    }
    this.#queue.push(row);
    const key = keyOf(row);
    this.#queuedKeys.set(key, (this.#queuedKeys.get(key) ?? 0) + 1);
  }

  #dequeue(): void {
    const row = this.#queue[this.#head];
    if (!row) return;
    this.#queue[this.#head] = undefined as unknown as Row;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    const key = keyOf(row);
    const n = (this.#queuedKeys.get(key) ?? 1) - 1;
    if (n === 0) this.#queuedKeys.delete(key);
    else this.#queuedKeys.set(key, n);
  }

  #failed(err: unknown): void {
    const error = this.#noteError(err);
    if (!this.#troubled) {
      this.#troubled = true;
      this.#log.error({ err: error, backlog: this.backlog }, `scheduler: could not write to the run ledger; ${this.backlog} row${this.backlog === 1 ? '' : 's'} kept to retry: ${this.#lastError}`);
      this.#trouble(error);
    }
    this.#planRetry();
  }

  #noteError(err: unknown): Error {
    const error = err instanceof Error ? err : new StoreError(describeError(err));
    this.#lastError = describeError(error);
    this.#lastErrorAt = this.#clock.now();
    return error;
  }

  #trouble(error: Error): void {
    if (!this.#onTrouble) return;
    try {
      this.#onTrouble(error, this.backlog);
    } catch (err) {
      this.#log.error({ err }, 'scheduler: onLedgerTrouble threw');
    }
  }

  // The ledger answered while in trouble: retry at once rather than at the end of the backoff,
  // but not more often than the shortest wait, or a store that takes claims and refuses the
  // rest would be tried once per claim.
  #answered(): void {
    if (this.backlog === 0) {
      this.#recovered();
      return;
    }
    if (this.#retrying || this.#closed || this.#clock.now() - this.#retriedAt < this.#retryMin) return;
    this.#clearTimer();
    this.#startRetry();
  }

  #planRetry(): void {
    if (this.#closed || this.#timer || this.#retrying || this.backlog === 0) return;
    this.#timerAt = this.#clock.now() + this.#delay;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAt = null;
      this.#startRetry();
    }, this.#delay);
  }

  #startRetry(): void {
    this.#retrying = this.#retryPass().finally(() => {
      this.#retrying = null;
      this.#planRetry();
    });
  }

  // Oldest first, one at a time: the first refusal ends the pass and doubles the wait.
  async #retryPass(): Promise<void> {
    this.#retriedAt = this.#clock.now();
    let written = 0;
    for (let row = this.#queue[this.#head]; row; row = this.#queue[this.#head]) {
      try {
        await this.#send(row);
      } catch (err) {
        const error = this.#noteError(err);
        if (!this.#closed) {
          this.#delay = Math.min(this.#delay * 2, this.#retryMax);
          this.#log.warn(
            { err: error, backlog: this.backlog, written },
            `scheduler: the run ledger still refuses writes; ${this.backlog} row${this.backlog === 1 ? '' : 's'} waiting, next try in ${formatDuration(this.#delay)}: ${this.#lastError}`,
          );
        }
        this.#trouble(error);
        return;
      }
      // Dropped from a full backlog while it was being written: written after all.
      if (this.#queue[this.#head] === row) this.#dequeue();
      else this.#dropped--;
      written++;
      this.#onWritten(row.task);
    }
    if (written > 0) this.#log.info({ written }, `scheduler: wrote ${written} run ledger row${written === 1 ? '' : 's'} that had waited for a retry`);
    this.#recovered();
  }

  #recovered(): void {
    this.#delay = this.#retryMin;
    if (!this.#troubled || this.backlog > 0) return;
    this.#troubled = false;
    this.#droppedThisEpisode = 0;
    this.#log.info('scheduler: the run ledger takes writes again');
    if (!this.#onRecovered) return;
    try {
      this.#onRecovered();
    } catch (err) {
      this.#log.error({ err }, 'scheduler: onLedgerRecovered threw');
    }
  }

  #clearTimer(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = null;
  }
}

function keyOf(row: Row): string {
  return `${row.slot}\u0000${row.task}`;
}
