// The run ledger: one row per (task, slot) the scheduler ran, skipped or missed. A run is a
// claim (claims.ts): the row is inserted `running`, held by its gateway under a lease that
// this ledger renews while the run goes on, and released with its outcome. The insert loses
// on conflict, which is what makes a slot run once across gateways sharing a database.
import type { Kysely, Selectable } from 'kysely';
import { StoreError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { ClaimTable, neverFree, type ClaimDialect } from './claims.js';
import type { StoreGate } from './gate.js';
import type { RunsTable, StoreSchema } from './schema.js';
import type { RunLedger, RunRecord } from './types.js';

const DEFAULT_RECENT_LIMIT = 100;
const INTERRUPTED_ERROR = 'the gateway running it stopped before it finished';
/** Outcomes kept for a retry when the store could not take them; beyond this the oldest are dropped, loudly. */

export interface LedgerOptions {
  clock: Clock;
  /** How long a claim stays valid without renewal; renewed every third of it. */
  leaseMs: number;
  /**
   * True when one gateway has the database to itself (SQLite: one gateway per home), so any
   * other owner's running row was left by an earlier session of it.
   */
  exclusive: boolean;
  claimDialect: ClaimDialect;
}

type Outcome = Parameters<RunLedger['complete']>[2];

export class SqlRunLedger implements RunLedger {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #log: Logger;
  readonly #options: LedgerOptions;
  readonly #claims: ClaimTable<StoreSchema>;
  /** Claims this ledger holds: `task\0slot` → owner. A run stays held until its outcome is written. */
  readonly #held = new Map<string, { task: string; slot: number; owner: string }>();
  /** Outcomes the store refused (busy, full…), written again at the next renewal. */
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate, log: Logger, options: LedgerOptions) {
    this.#db = db;
    this.#gate = gate;
    this.#log = log;
    this.#options = options;
    this.#claims = new ClaimTable(db, options.claimDialect, { table: 'kora_runs', held: 'running', key: ['task', 'slot'] });
  }

  claim(run: Parameters<RunLedger['claim']>[0]): Promise<boolean> {
    return this.#gate.run('ledger.claim', async () => {
      const row = {
        task: run.task,
        slot: run.slot,
        daemon: run.daemon,
        started_at: run.startedAt,
        finished_at: null,
        duration_ms: null,
        error: null,
        count: null,
        trigger: run.trigger === 'manual' ? ('manual' as const) : null,
      };
      const won = await this.#claims.claimNew(row, { owner: run.owner, until: this.#options.clock.now() + this.#options.leaseMs });
      if (won) {
        this.#held.set(keyOf(run.task, run.slot), { task: run.task, slot: run.slot, owner: run.owner });
        this.#arm();
      }
      return won;
    });
  }

  complete(task: string, slot: number, result: Outcome): Promise<void> {
    return this.#gate.run('ledger.complete', () => this.#complete(task, slot, result));
  }

  async #complete(task: string, slot: number, result: Outcome): Promise<void> {
    const key = keyOf(task, slot);
    const set = {
      status: result.status,
      finished_at: result.finishedAt,
      // A duration measured with performance.now() has a fraction; the column is integral ms.
      duration_ms: Math.round(result.durationMs),
      error: result.error,
    };
    const held = this.#held.get(key);
    if (held) {
      const released = await this.#claims.release({ task, slot }, held.owner, set);
      this.#held.delete(key);
      if (!released) this.#log.warn({ task, slot, status: result.status }, `ledger: the run of ${task} lost its claim before it finished (taken over, or its row pruned); its outcome is not written`);
      return;
    }
    const { numUpdatedRows } = await this.#db
      .updateTable('kora_runs')
      .set({ ...set, lease_until: null })
      .where('task', '=', task)
      .where('slot', '=', slot)
      .executeTakeFirst();
    if (numUpdatedRows === 0n) {
      // Not worth failing the run over, but a scheduler that completes what it never claimed has a bug.
      this.#log.warn({ task, slot, status: result.status }, 'ledger: completed a run that has no row (never claimed, or pruned)');
    }
  }

  note(run: RunRecord): Promise<void> {
    return this.#gate.run('ledger.note', () => this.#note(run));
  }

  async #note(run: RunRecord): Promise<void> {
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
          lease_until: null,
          trigger: run.trigger === 'manual' ? 'manual' : null,
        })
        .onConflict((oc) => {
          const slot = oc.columns(['task', 'slot']);
          // A miss this gateway records for a slot whose claim it saw fail may meet that very
          // claim: committed by the store, its answer lost with the connection (a store outage).
          // The gateway never ran it, so its own `running` row becomes the miss instead of
          // staying `running` under a live owner's lease, where no takeover would ever look.
          // Anything else already there (another gateway's claim or run) is left alone.
          if (run.status !== 'missed' || run.owner === null) return slot.doNothing();
          return slot
            .doUpdateSet({ status: 'missed', error: run.error, count: run.count ?? null, lease_until: null, started_at: null, finished_at: null, duration_ms: null })
            .where('kora_runs.status', '=', 'running')
            .where('kora_runs.owner', '=', run.owner);
        })
        .execute();
  }

  lastSlot(task: string): Promise<number | null> {
    return this.#gate.run('ledger.lastSlot', async () => {
      const row = await this.#db
        .selectFrom('kora_runs')
        .select((eb) => eb.fn.max('slot').as('slot'))
        .where('task', '=', task)
        // A manual run's slot is the moment it was asked for, not a slot of the schedule.
        .where('trigger', 'is', null)
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

  interruptStale(owner: { not: string; previous?: readonly string[]; now?: number }): Promise<number> {
    return this.#gate.run('ledger.interruptStale', () =>
      this.#claims.expire({
        now: owner.now ?? this.#options.clock.now(),
        owners: { alive: owner.not, gone: this.#options.exclusive ? 'all-others' : (owner.previous ?? []) },
        set: { status: 'interrupted', error: INTERRUPTED_ERROR },
      }),
    );
  }

  expired(now: number, limit = DEFAULT_RECENT_LIMIT): Promise<RunRecord[]> {
    return this.#gate.run('ledger.expired', async () => {
      const rows = await this.#db
        .selectFrom('kora_runs')
        .selectAll()
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('lease_until', '<', now), eb('lease_until', 'is', null)]))
        .orderBy('slot')
        .limit(checkCount('ledger.expired limit', limit))
        .execute();
      return rows.map(toRecord);
    });
  }

  takeOver(run: { task: string; slot: number; owner: string; startedAt: number }): Promise<boolean> {
    return this.#gate.run('ledger.takeOver', async () => {
      const now = this.#options.clock.now();
      const won = await this.#claims.claim({ task: run.task, slot: run.slot }, { owner: run.owner, until: now + this.#options.leaseMs }, now, neverFree);
      if (won) {
        this.#held.set(keyOf(run.task, run.slot), { task: run.task, slot: run.slot, owner: run.owner });
        this.#arm();
      }
      return won;
    });
  }

  interrupt(task: string, slot: number, now: number, error: string): Promise<boolean> {
    return this.#gate.run('ledger.interrupt', async () => {
      // `alive` names nobody: the claim's owner is gone, whoever it was.
      const n = await this.#claims.expire({ now, owners: { alive: '', gone: [] }, set: { status: 'interrupted', error }, key: { task, slot } });
      return n > 0;
    });
  }

  /** Stop renewing: the store is closing. Claims still held keep their lease until it runs out. */
  halt(): void {
    this.#stopped = true;
    if (this.#timer) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Runs whose claim this ledger holds (and renews): for tests and status. */
  get pending(): { held: number } {
    return { held: this.#held.size };
  }

  #arm(): void {
    if (this.#timer || this.#stopped) return;
    const every = Math.max(1, Math.floor(this.#options.leaseMs / 3));
    this.#timer = this.#options.clock.setTimeout(() => void this.#tick(), every);
  }

  // One renewal round: extend the leases of the runs still going. Rows the store refuses are the
  // caller's to retry (the scheduler's LedgerWriter, with backoff and a bound, reported in
  // status): a second retry here would double every attempt and hide the backlog.
  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    const until = this.#options.clock.now() + this.#options.leaseMs;
    for (const owner of new Set([...this.#held.values()].map((h) => h.owner))) {
      try {
        await this.#gate.run('ledger.renew', () => this.#claims.renewAll({ owner, until }));
      } catch (err) {
        this.#log.warn({ err, owner }, `ledger: renewing the leases of running tasks failed: ${describeError(err)}`);
      }
    }
    if (this.#held.size > 0) this.#arm();
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

function keyOf(task: string, slot: number): string {
  return `${task}\0${slot}`;
}

// Faults of the store itself are worth a retry; a bad argument or a closed store is not.

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
  if (row.lease_until !== null) record.leaseUntil = Number(row.lease_until);
  if (row.trigger === 'manual') record.trigger = 'manual';
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
