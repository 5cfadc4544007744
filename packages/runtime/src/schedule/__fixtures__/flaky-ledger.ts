// A real run ledger (the SQLite store's) that refuses chosen writes, as a full disk or a lock
// held by another process would: for the scheduler's retry tests.
import { StoreError } from '../../errors.js';
import type { RunLedger, RunRecord } from '../../store/types.js';

type Write = 'claim' | 'complete' | 'note';

export class FlakyLedger implements RunLedger {
  readonly #real: RunLedger;
  /** Every write tried, in order: `complete t@<slot>` and so on, with `!` when it was refused. */
  readonly attempts: string[] = [];
  /** Refuse every call of these until taken out. */
  readonly down = new Set<Write>();
  /** Refuse the next n calls of each. */
  readonly failNext: Partial<Record<Write, number>> = {};

  constructor(real: RunLedger) {
    this.#real = real;
  }

  claim(run: Parameters<RunLedger['claim']>[0]): Promise<boolean> {
    return this.#refused('claim', run.task, run.slot) ?? this.#real.claim(run);
  }

  complete(task: string, slot: number, result: Parameters<RunLedger['complete']>[2]): Promise<void> {
    return this.#refused('complete', task, slot) ?? this.#real.complete(task, slot, result);
  }

  note(run: RunRecord): Promise<void> {
    return this.#refused('note', run.task, run.slot) ?? this.#real.note(run);
  }

  lastSlot(task: string): Promise<number | null> {
    return this.#real.lastSlot(task);
  }

  recent(query?: { task?: string; limit?: number }): Promise<RunRecord[]> {
    return this.#real.recent(query);
  }

  interruptStale(owner: { not: string }): Promise<number> {
    return this.#real.interruptStale(owner);
  }

  prune(policy: { maxRowsPerTask: number; maxAgeMs?: number; now: number }): Promise<number> {
    return this.#real.prune(policy);
  }

  expired(now: number, limit?: number): Promise<RunRecord[]> {
    return this.#real.expired(now, limit);
  }

  takeOver(run: Parameters<RunLedger['takeOver']>[0]): Promise<boolean> {
    return this.#refused('claim', run.task, run.slot) ?? this.#real.takeOver(run);
  }

  interrupt(task: string, slot: number, now: number, error: string): Promise<boolean> {
    return this.#real.interrupt(task, slot, now, error);
  }

  #refused(write: Write, task: string, slot: number): Promise<never> | undefined {
    const left = this.failNext[write] ?? 0;
    const refuse = this.down.has(write) || left > 0;
    if (left > 0) this.failNext[write] = left - 1;
    this.attempts.push(`${write} ${task}@${new Date(slot).toISOString().slice(11, 19)}${refuse ? ' !' : ''}`);
    return refuse ? Promise.reject(new StoreError(`ledger.${write} failed: SQLITE_FULL: database or disk is full`)) : undefined;
  }
}
