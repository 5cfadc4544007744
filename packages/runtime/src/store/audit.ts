// The audit log: append-only events from plugins and the runtime, tailed by id. Secrets in
// `details` are redacted before the row is written, so they never reach the database.
import type { Kysely } from 'kysely';
import { StoreError, describeError } from '../errors.js';
import { redactSecrets } from '../log/redact.js';
import type { StoreGate } from './gate.js';
import { checkCount } from './ledger.js';
import type { StoreSchema } from './schema.js';
import type { AuditEntry, AuditLog } from './types.js';

/** Without a limit, `list` returns at most this many entries; tail with `afterId` for more. */
const DEFAULT_LIST_LIMIT = 1000;

export class SqlAuditLog implements AuditLog {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate) {
    this.#db = db;
    this.#gate = gate;
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
      return rows.map((row) => ({
        id: Number(row.id),
        at: Number(row.at),
        plugin: row.plugin,
        seam: row.seam,
        details: JSON.parse(row.details) as Record<string, unknown>,
      }));
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
