// The run ledger: one row per (task, slot) the scheduler ran, skipped or missed. `claim` is an
// insert that loses on conflict, which is what makes a slot run once across gateways sharing
// a database.
import type { Kysely, Selectable } from 'kysely';
import { StoreError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { StoreGate } from './gate.js';
import type { RunsTable, StoreSchema } from './schema.js';
import type { RunLedger, RunRecord } from './types.js';

const DEFAULT_RECENT_LIMIT = 100;
const INTERRUPTED_ERROR = 'the gateway running it stopped before it finished';

export class SqlRunLedger implements RunLedger {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #log: Logger;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate, log: Logger) {
    this.#db = db;
    this.#gate = gate;
    this.#log = log;
  }

  claim(run: Parameters<RunLedger['claim']>[0]): Promise<boolean> {
    return this.#gate.run('ledger.claim', async () => {
      const result = await this.#db
        .insertInto('kora_runs')
        .values({
          task: run.task,
          slot: run.slot,
          daemon: run.daemon,
          status: 'running',
          started_at: run.startedAt,
          finished_at: null,
          duration_ms: null,
          error: null,
          owner: run.owner,
          count: null,
        })
        .onConflict((oc) => oc.columns(['task', 'slot']).doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    });
  }

  complete(task: string, slot: number, result: Parameters<RunLedger['complete']>[2]): Promise<void> {
    return this.#gate.run('ledger.complete', async () => {
      const { numUpdatedRows } = await this.#db
        .updateTable('kora_runs')
        .set({
          status: result.status,
          finished_at: result.finishedAt,
          // A duration measured with performance.now() has a fraction; the column is integral ms.
          duration_ms: Math.round(result.durationMs),
          error: result.error,
        })
        .where('task', '=', task)
        .where('slot', '=', slot)
        .executeTakeFirst();
      if (numUpdatedRows === 0n) {
        // Not worth failing the run over, but a scheduler that completes what it never claimed has a bug.
        this.#log.warn({ task, slot, status: result.status }, 'ledger: completed a run that has no row (never claimed, or pruned)');
      }
    });
  }

  note(run: RunRecord): Promise<void> {
    return this.#gate.run('ledger.note', async () => {
      await this.#db
        .insertInto('kora_runs')
        .values({
          task: run.task,
          slot: run.slot,
          daemon: run.daemon,
          status: run.status,
          started_at: run.startedAt,
          finished_at: run.finishedAt,
          duration_ms: run.durationMs === null ? null : Math.round(run.durationMs),
          error: run.error,
          owner: run.owner,
          count: run.count ?? null,
        })
        .onConflict((oc) => oc.columns(['task', 'slot']).doNothing())
        .execute();
    });
  }

  lastSlot(task: string): Promise<number | null> {
    return this.#gate.run('ledger.lastSlot', async () => {
      const row = await this.#db
        .selectFrom('kora_runs')
        .select((eb) => eb.fn.max('slot').as('slot'))
        .where('task', '=', task)
        .executeTakeFirst();
      return row?.slot == null ? null : Number(row.slot);
    });
  }

  recent(query: { task?: string; limit?: number } = {}): Promise<RunRecord[]> {
    return this.#gate.run('ledger.recent', async () => {
      const limit = checkCount('ledger.recent limit', query.limit ?? DEFAULT_RECENT_LIMIT);
      let q = this.#db.selectFrom('kora_runs').selectAll();
      q = query.task === undefined ? q.orderBy('slot', 'desc').orderBy('task') : q.where('task', '=', query.task).orderBy('slot', 'desc');
      const rows = await q.limit(limit).execute();
      return rows.map(toRecord);
    });
  }

  interruptStale(owner: { not: string }): Promise<number> {
    return this.#gate.run('ledger.interruptStale', async () => {
      const { numUpdatedRows } = await this.#db
        .updateTable('kora_runs')
        .set({ status: 'interrupted', error: INTERRUPTED_ERROR })
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('owner', '<>', owner.not), eb('owner', 'is', null)]))
        .executeTakeFirst();
      return Number(numUpdatedRows);
    });
  }

  prune(policy: { maxRowsPerTask: number; maxAgeMs?: number; now: number }): Promise<number> {
    return this.#gate.run('ledger.prune', async () => {
      const keep = checkCount('ledger.prune maxRowsPerTask', policy.maxRowsPerTask, 0);
      // Two statements, not a transaction: each stands on its own, and a transaction would hold
      // SQLite's write lock across awaits. A row still running is never pruned: its run would
      // have nowhere to write its result.
      let deleted = 0n;
      if (policy.maxAgeMs !== undefined) {
        const byAge = await this.#db
          .deleteFrom('kora_runs')
          .where('slot', '<', policy.now - policy.maxAgeMs)
          .where('status', '<>', 'running')
          .executeTakeFirst();
        deleted += byAge.numDeletedRows;
      }
      const ranked = this.#db
        .selectFrom('kora_runs')
        .select((eb) => ['task', 'slot', eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('task').orderBy('slot', 'desc')).as('rank')])
        .as('ranked');
      const byCount = await this.#db
        .deleteFrom('kora_runs')
        .where(({ eb, refTuple, selectFrom }) =>
          eb(refTuple('task', 'slot'), 'in', selectFrom(ranked).select(['ranked.task', 'ranked.slot']).where('ranked.rank', '>', keep).$asTuple('task', 'slot')),
        )
        .where('status', '<>', 'running')
        .executeTakeFirst();
      deleted += byCount.numDeletedRows;
      return Number(deleted);
    });
  }
}

function toRecord(row: Selectable<RunsTable>): RunRecord {
  const record: RunRecord = {
    task: row.task,
    daemon: row.daemon,
    slot: Number(row.slot),
    status: row.status,
    startedAt: nullableNumber(row.started_at),
    finishedAt: nullableNumber(row.finished_at),
    durationMs: nullableNumber(row.duration_ms),
    error: row.error,
    owner: row.owner,
  };
  if (row.count !== null) record.count = Number(row.count);
  return record;
}

// Drivers may hand back 64-bit integers as bigint or string (PostgreSQL's `bigint`); records carry numbers.
function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}

export function checkCount(what: string, value: number, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new StoreError(`${what} must be an integer ≥ ${min}, got ${String(value)}`, { [what]: value });
  }
  return value;
}
