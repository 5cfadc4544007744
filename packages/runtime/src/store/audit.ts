// The audit log: append-only events from plugins and the runtime, tailed by a cursor that
// cannot skip an entry committed late. Secrets in `details` are redacted before the row is
// written, so they never reach the database.
import type { ExpressionBuilder, Kysely, Selectable, SqlBool, Expression } from 'kysely';
import { StoreError, describeError } from '../errors.js';
import { redactSecrets } from '../log/redact.js';
import type { Clock } from '../time/clock.js';
import { START, fill, isCursor, unexpired } from './audit-cursor.js';
import type { StoreGate } from './gate.js';
import { checkCount } from './ledger.js';
import type { AuditTable, StoreSchema } from './schema.js';
import type { AuditCursor, AuditEntry, AuditGap, AuditLog, AuditPageQuery, AuditTailOptions } from './types.js';

/** Without a limit, `list` returns at most this many entries; tail with `afterId` for more. */
const DEFAULT_LIST_LIMIT = 1000;
const DEFAULT_PAGE_LIMIT = 50;
const MAX_PAGE_LIMIT = 500;

export interface AuditOptions {
  clock: Clock;
  /** How long a tail keeps looking for an id it found missing below newer ones. */
  tailGraceMs: number;
}

export class SqlAuditLog implements AuditLog {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #options: AuditOptions;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate, options: AuditOptions) {
    this.#db = db;
    this.#gate = gate;
    this.#options = options;
  }

  append(entry: Omit<AuditEntry, 'id'>): Promise<number> {
    return this.#gate.run('audit.append', async () => {
      const details = serialize(entry);
      const row = await this.#db
        .insertInto('kora_audit')
        .values({ at: entry.at, plugin: entry.plugin, seam: entry.seam, details })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    });
  }

  list(query: { seam?: string; plugin?: string; afterId?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.#gate.run('audit.list', async () => {
      const limit = checkCount('audit.list limit', query.limit ?? DEFAULT_LIST_LIMIT);
      let q = this.#db.selectFrom('kora_audit').selectAll();
      if (query.seam !== undefined) q = q.where('seam', '=', query.seam);
      if (query.plugin !== undefined) q = q.where('plugin', '=', query.plugin);
      if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
      const rows = await q.orderBy('id').limit(limit).execute();
      return rows.map(toEntry);
    });
  }

  page(query: AuditPageQuery = {}): Promise<AuditEntry[]> {
    return this.#gate.run('audit.page', async () => {
      const limit = Math.min(checkCount('audit.page limit', query.limit ?? DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT);
      let q = this.#db.selectFrom('kora_audit').selectAll();
      if (query.seam !== undefined) q = q.where('seam', '=', query.seam);
      if (query.plugin !== undefined) q = q.where('plugin', '=', query.plugin);
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.until !== undefined) q = q.where('at', '<', query.until);
      if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toEntry);
    });
  }

  tail(cursor: AuditCursor = START, options: AuditTailOptions = {}): Promise<{ entries: AuditEntry[]; cursor: AuditCursor }> {
    return this.#gate.run('audit.tail', async () => {
      if (!isCursor(cursor)) throw new StoreError(`audit.tail: not a cursor returned by audit.tail: ${describeError(cursor)}`, {});
      const limit = checkCount('audit.tail limit', options.limit ?? DEFAULT_LIST_LIMIT);
      const now = this.#options.clock.now();
      const matches = (eb: ExpressionBuilder<StoreSchema, 'kora_audit'>): Expression<SqlBool> => {
        const conditions: Expression<SqlBool>[] = [];
        if (options.seam !== undefined) conditions.push(eb('seam', '=', options.seam));
        if (options.plugin !== undefined) conditions.push(eb('plugin', '=', options.plugin));
        return eb.and(conditions);
      };
      const inGaps = (eb: ExpressionBuilder<StoreSchema, 'kora_audit'>): Expression<SqlBool> =>
        eb.or(cursor.gaps.map((g) => eb.between('id', g.from, g.to)));

      // One snapshot for every read below: an id counted as present is one this call delivered
      // (or filtered out), never one that committed between two of the reads.
      return this.#db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          let late: Selectable<AuditTable>[] = [];
          let arrived: number[] = [];
          if (cursor.gaps.length > 0) {
            arrived = (await trx.selectFrom('kora_audit').select('id').where(inGaps).orderBy('id').execute()).map((r) => Number(r.id));
            if (arrived.length > 0) late = await trx.selectFrom('kora_audit').selectAll().where((eb) => eb.and([inGaps(eb), matches(eb)])).orderBy('id').execute();
          }
          const top = await trx.selectFrom('kora_audit').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
          const maxId = Math.max(cursor.after, Number(top?.id ?? 0));
          const fresh = await trx
            .selectFrom('kora_audit')
            .selectAll()
            .where((eb) => eb.and([eb('id', '>', cursor.after), eb('id', '<=', maxId), matches(eb)]))
            .orderBy('id')
            .limit(limit)
            .execute();
          const after = fresh.length === limit ? Number(fresh.at(-1)!.id) : maxId;
          const missing = await this.#missing(trx, cursor.after, after, now);
          const gaps = unexpired([...fill(cursor.gaps, arrived), ...missing], now, this.#options.tailGraceMs);
          return { entries: [...late, ...fresh].map(toEntry), cursor: { after, gaps } };
        });
    });
  }

  prune(policy: { before: number }): Promise<number> {
    return this.#gate.run('audit.prune', async () => {
      if (!Number.isFinite(policy.before)) {
        throw new StoreError(`audit.prune: before must be a time in epoch ms, got ${policy.before}`, { before: String(policy.before) });
      }
      const { numDeletedRows } = await this.#db.deleteFrom('kora_audit').where('at', '<', policy.before).executeTakeFirst();
      return Number(numDeletedRows);
    });
  }

  /**
   * The ids in (after, upTo] that do not exist, as ranges; `upTo` itself exists. Computed in SQL
   * from the ids whose successor is missing, so a stretch of a million pruned ids is one row,
   * and a range with nothing missing (the usual case) costs one count.
   */
  async #missing(trx: Kysely<StoreSchema>, after: number, upTo: number, since: number): Promise<AuditGap[]> {
    if (upTo <= after) return [];
    const inRange = trx.selectFrom('kora_audit').where('id', '>', after).where('id', '<=', upTo);
    const summary = await inRange.select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('id').as('first')]).executeTakeFirstOrThrow();
    if (Number(summary.n) === upTo - after) return [];
    const gaps: AuditGap[] = [];
    const first = summary.first === null ? upTo + 1 : Number(summary.first);
    if (first > after + 1) gaps.push({ from: after + 1, to: Math.min(first, upTo + 1) - 1, since });
    const holes = await trx
      .selectFrom('kora_audit as a')
      .select((eb) => [
        'a.id',
        eb.selectFrom('kora_audit as b').select((b) => b.fn.min('b.id').as('next')).whereRef('b.id', '>', 'a.id').as('next'),
      ])
      .where('a.id', '>', after)
      .where('a.id', '<', upTo)
      .where(({ eb, not, exists, selectFrom }) => not(exists(selectFrom('kora_audit as c').select('c.id').where('c.id', '=', eb('a.id', '+', 1)))))
      .orderBy('a.id')
      .execute();
    for (const hole of holes) gaps.push({ from: Number(hole.id) + 1, to: Number(hole.next) - 1, since });
    return gaps;
  }
}

function toEntry(row: Selectable<AuditTable>): AuditEntry {
  return { id: Number(row.id), at: Number(row.at), plugin: row.plugin, seam: row.seam, details: JSON.parse(row.details) as Record<string, unknown> };
}

function serialize(entry: Omit<AuditEntry, 'id'>): string {
  try {
    return JSON.stringify(redactSecrets(entry.details ?? {}), errorsAsObjects);
  } catch (err) {
    throw new StoreError(`Audit details for seam ${entry.seam} (plugin ${entry.plugin}) are not JSON-serialisable: ${describeError(err)}`, {
      seam: entry.seam,
      plugin: entry.plugin,
    });
  }
}

// JSON.stringify turns an Error into `{}`; an audit row should say what went wrong.
function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
