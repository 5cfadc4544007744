// A claim with an owner and a lease: the one mechanism behind the run ledger (a task's slot)
// and the inbox (an item to consume). A row is held by `owner` until `lease_until`; the owner
// renews the lease while it works and releases the row when done. A lease in the past means
// the owner is gone: its row can be taken over (the inbox retries the item) or marked (the
// ledger interrupts the run). Every claim is one statement, atomic on its own: SQLite has a
// single writer, and PostgreSQL picks free rows with `FOR UPDATE SKIP LOCKED`, so gateways
// sharing a database never hold the same row.
import { StoreError } from '../errors.js';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';

/** The columns a claimable table has, beside its own. */
export interface ClaimColumns {
  status: string;
  owner: string | null;
  lease_until: number | null;
}

/** A claimable table's row as the mechanism sees it: the claim columns, and any others. */
export type ClaimRow = ClaimColumns & Record<string, unknown>;

type ClaimDb = Record<string, ClaimRow>;
type Where = (eb: ExpressionBuilder<ClaimDb, string>) => Expression<SqlBool>;

/** What differs between databases in claiming. */
export interface ClaimDialect {
  /** PostgreSQL: lock the picked rows and skip rows another transaction has locked. SQLite has one writer and needs neither. */
  readonly skipLocked: boolean;
}

export interface ClaimTableSpec {
  table: string;
  /** The `status` of a held row (`running` in the ledger, `claimed` in the inbox). */
  held: string;
  /** Columns that identify a row; a key passed to the methods gives a value for each. */
  key: readonly string[];
}

/** A held claim: who and until when (epoch ms). */
export interface Lease {
  owner: string;
  until: number;
}

export type ClaimKey = Readonly<Record<string, string | number>>;

export class ClaimTable<DB> {
  readonly #db: Kysely<ClaimDb>;
  readonly #dialect: ClaimDialect;
  readonly #spec: ClaimTableSpec;

  constructor(db: Kysely<DB>, dialect: ClaimDialect, spec: ClaimTableSpec) {
    if (spec.key.length < 1 || spec.key.length > 2) throw new StoreError(`A claimable table's key has one or two columns; ${spec.table} has ${spec.key.length}`, { table: spec.table });
    // The mechanism only names the claim columns and the key; the table's own types stay with its owner.
    this.#db = db as unknown as Kysely<ClaimDb>;
    this.#dialect = dialect;
    this.#spec = spec;
  }

  /** Insert `row` as held by `lease.owner`. False when a row with its key exists (held or not): the caller lost. */
  async claimNew(row: Readonly<Record<string, unknown>>, lease: Lease): Promise<boolean> {
    const { table, held, key } = this.#spec;
    const result = await this.#db
      .insertInto(table)
      .values({ ...row, status: held, owner: lease.owner, lease_until: lease.until })
      .onConflict((oc) => oc.columns(key as string[]).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  /**
   * Claim one existing row: it is free (`free` says which rows are, e.g. pending and due), or
   * held by someone whose lease ended before `now` (taken over). False when neither.
   */
  async claim(key: ClaimKey, lease: Lease, now: number, free: Where): Promise<boolean> {
    const { numUpdatedRows } = await this.#db
      .updateTable(this.#spec.table)
      .set({ status: this.#spec.held, owner: lease.owner, lease_until: lease.until })
      .where((eb) => eb.and([this.#keyIs(eb, key), eb.or([free(eb), this.#expired(eb, now)])]))
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /**
   * Claim up to `limit` rows that are free or whose lease ended before `now`, in `orderBy`
   * order (the inbox's dequeue), among the rows `scope` admits (e.g. a consumer's topics), and
   * writing `set` beside the claim (e.g. counting the attempt). Returns the rows as claimed.
   */
  async claimNext(options: { lease: Lease; now: number; free: Where; orderBy: string; limit: number; scope?: Where; set?: Readonly<Record<string, unknown>> }): Promise<ClaimRow[]> {
    const { table, held, key } = this.#spec;
    const { scope } = options;
    let pick = this.#db
      .selectFrom(table)
      .select(key as string[])
      .where((eb) => {
        const claimable = eb.or([options.free(eb), this.#expired(eb, options.now)]);
        return scope ? eb.and([scope(eb), claimable]) : claimable;
      })
      .orderBy(options.orderBy)
      .limit(options.limit);
    if (this.#dialect.skipLocked) pick = pick.forUpdate().skipLocked();
    return this.#db
      .updateTable(table)
      .set({ ...options.set, status: held, owner: options.lease.owner, lease_until: options.lease.until })
      // Row-value IN: standard, and in SQLite since 3.15.
      .where(sql<SqlBool>`(${sql.join(key.map((k) => sql.ref(k)))}) in (${pick})`)
      .returningAll()
      .execute() as Promise<ClaimRow[]>;
  }

  /** Extend a held claim. False when the row is no longer held by `lease.owner` (taken over, or released): stop working on it. */
  async renew(key: ClaimKey, lease: Lease): Promise<boolean> {
    const { numUpdatedRows } = await this.#db
      .updateTable(this.#spec.table)
      .set({ lease_until: lease.until })
      .where((eb) => eb.and([this.#keyIs(eb, key), this.#heldBy(eb, lease.owner)]))
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /** Extend every claim `owner` holds in this table: one statement per renewal round, however many runs are going. */
  async renewAll(lease: Lease): Promise<number> {
    const { numUpdatedRows } = await this.#db
      .updateTable(this.#spec.table)
      .set({ lease_until: lease.until })
      .where((eb) => this.#heldBy(eb, lease.owner))
      .executeTakeFirst();
    return Number(numUpdatedRows);
  }

  /**
   * End a held claim, writing `set` (its new status and results); the lease is cleared. Only
   * its owner can: false when the row is no longer held by `owner`, so a gateway that lost
   * its claim cannot overwrite what the one that took it over wrote.
   */
  async release(key: ClaimKey, owner: string, set: Readonly<Record<string, unknown>> & { status: string }): Promise<boolean> {
    const { numUpdatedRows } = await this.#db
      .updateTable(this.#spec.table)
      .set({ ...set, lease_until: null })
      .where((eb) => eb.and([this.#keyIs(eb, key), this.#heldBy(eb, owner)]))
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /**
   * End the claims of owners that are gone, writing `set` (e.g. status `interrupted`): held rows
   * whose lease ended before `now`, and held rows of the owners in `owners.gone` whatever their
   * lease. Rows of `owners.alive` are never touched. Returns how many.
   */
  async expire(options: { now: number; owners: { alive: string; gone: readonly string[] | 'all-others' }; set: Readonly<Record<string, unknown>> & { status: string }; key?: ClaimKey }): Promise<number> {
    const { alive, gone } = options.owners;
    const { key } = options;
    const { numUpdatedRows } = await this.#db
      .updateTable(this.#spec.table)
      .set({ ...options.set, lease_until: null })
      .where((eb) => {
        const reasons = [this.#expired(eb, options.now)];
        if (gone === 'all-others') reasons.push(eb.lit(true));
        else if (gone.length > 0) reasons.push(eb('owner', 'in', [...gone]));
        return eb.and([
          ...(key ? [this.#keyIs(eb, key)] : []),
          eb('status', '=', this.#spec.held),
          eb.or([eb('owner', '<>', alive), eb('owner', 'is', null)]),
          eb.or(reasons),
        ]);
      })
      .executeTakeFirst();
    return Number(numUpdatedRows);
  }

  #keyIs(eb: ExpressionBuilder<ClaimDb, string>, key: ClaimKey): Expression<SqlBool> {
    return eb.and(this.#spec.key.map((column) => eb(column, '=', key[column])));
  }

  #heldBy(eb: ExpressionBuilder<ClaimDb, string>, owner: string): Expression<SqlBool> {
    return eb.and([eb('status', '=', this.#spec.held), eb('owner', '=', owner)]);
  }

  // A held row without a lease (written before leases existed) counts as expired: nobody renews it.
  #expired(eb: ExpressionBuilder<ClaimDb, string>, now: number): Expression<SqlBool> {
    return eb.and([eb('status', '=', this.#spec.held), eb.or([eb('lease_until', '<', now), eb('lease_until', 'is', null)])]);
  }
}

/** The `free` predicate of a table whose rows are never free once written (the ledger): only expired claims can be taken. */
export const neverFree: Where = () => sql<SqlBool>`1 = 0`;
