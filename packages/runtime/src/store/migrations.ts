// Versioned schema migrations: numbered, applied in order, each version once, all pending ones
// in one transaction. Written with Kysely's schema builder so PostgreSQL runs the same list;
// what differs per database comes in through `MigrationDialect`.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import { KoraError, StoreError, describeError } from '../errors.js';
import type { StoreSchema } from './schema.js';

export interface MigrationDialect {
  /**
   * Open the transaction the migrations run in, taking the lock that keeps two processes
   * opening the same database from migrating it at once.
   */
  begin(db: Kysely<StoreSchema>): Promise<void>;
  /** The type of an auto-incrementing id column (SQLite needs exactly `integer` for its rowid alias). */
  readonly idType: 'integer' | 'bigint';
  /** An auto-incrementing primary key whose values are never reused (audit tailing relies on it). */
  autoIncrementId(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** The schema the store's tables live in, where the database has several (PostgreSQL); SQLite has none. */
  currentSchema?(db: Kysely<StoreSchema>): Promise<string | undefined>;
  /**
   * Every table and view, each with a fingerprint that changes whenever its columns do, in one
   * statement: a plugin's migration compares them before and after it runs. Without it, the
   * portable introspector's columns are used (`columnsFingerprint`).
   */
  tableShapes?(db: Kysely<StoreSchema>): Promise<Map<string, string>>;
}

/** A table's columns as the plugin-migration check compares them: name, type, nullable, has a default. */
export function columnsFingerprint(columns: readonly { name: string; dataType: string; isNullable: boolean; hasDefaultValue: boolean }[]): string {
  return JSON.stringify(columns.map((c) => [c.name, c.dataType, c.isNullable, c.hasDefaultValue]));
}

export interface Migration {
  /** 1, 2, 3…: the order they run in. Never renumber or edit one that has shipped; add a new one. */
  version: number;
  name: string;
  up(db: Kysely<StoreSchema>, dialect: MigrationDialect): Promise<void>;
}

export interface MigrationOutcome {
  /** Schema version before (0: a fresh database). */
  from: number;
  to: number;
  /** How many migrations ran now. */
  applied: number;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'run ledger, audit log, key-value store',
    async up(db, dialect) {
      // The primary key (task, slot) is the ledger's one index for `claim`, `lastSlot` and
      // `recent({task})`: both SQLite and PostgreSQL read a b-tree backwards for `slot desc`.
      await db.schema
        .createTable('kora_runs')
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('daemon', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('duration_ms', 'bigint')
        .addColumn('error', 'text')
        .addColumn('owner', 'text')
        .addColumn('count', 'integer')
        .addPrimaryKeyConstraint('kora_runs_pk', ['task', 'slot'])
        .execute();
      // For `recent()` across all tasks and for pruning by age.
      await db.schema.createIndex('kora_runs_slot').on('kora_runs').column('slot').execute();

      await db.schema
        .createTable('kora_audit')
        .addColumn('id', dialect.idType, (c) => dialect.autoIncrementId(c))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('plugin', 'text', (c) => c.notNull())
        .addColumn('seam', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      // (seam, id): a tailer reads one seam after an id, in id order, from the index alone.
      await db.schema.createIndex('kora_audit_seam').on('kora_audit').columns(['seam', 'id']).execute();
      // For retention: pruning by age deletes a range of `at`.
      await db.schema.createIndex('kora_audit_at').on('kora_audit').column('at').execute();

      await db.schema
        .createTable('kora_kv')
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('kora_kv_pk', ['namespace', 'key'])
        .execute();
    },
  },
  {
    version: 2,
    name: 'run leases, plugin migrations, store probe',
    async up(db) {
      // Null on the rows already there: a `running` row without a lease counts as expired.
      await db.schema.alterTable('kora_runs').addColumn('lease_until', 'bigint').execute();
      await db.schema
        .createTable('kora_plugin_migrations')
        .addColumn('plugin', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('kora_plugin_migrations_pk', ['plugin', 'name'])
        .execute();
      await db.schema
        .createTable('kora_store_probe')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('checked_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 3,
    name: 'inbox',
    async up(db, dialect) {
      await db.schema
        .createTable('kora_inbox')
        .addColumn('id', dialect.idType, (c) => dialect.autoIncrementId(c))
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('payload', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('available_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('replays', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('enqueued_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        // The dedup: a second enqueue of the same pair conflicts and changes nothing.
        .addUniqueConstraint('kora_inbox_topic_key', ['topic', 'key'])
        .execute();
      // Every query but the dedup starts from a status: a claim reads pending-and-due and
      // claimed-and-expired rows of its topics (one index range each), stats count per status,
      // dead letters and done rows to prune are one status each. Ids never reused (autoincrement)
      // keep "oldest first" and a dead letter's id meaning one item.
      await db.schema.createIndex('kora_inbox_status').on('kora_inbox').columns(['status', 'topic', 'available_at']).execute();
    },
  },
  {
    version: 4,
    name: 'manual runs',
    async up(db) {
      // Null for a scheduled run (every row before this), 'manual' for one an operator asked
      // for: missed-slot judgement reads scheduled rows only.
      await db.schema.alterTable('kora_runs').addColumn('trigger', 'text').execute();
    },
  },
  {
    version: 5,
    name: 'fleet',
    async up(db) {
      // One row per gateway that ever ran on this database, rewritten by its heartbeat. A row
      // whose heartbeat is older than the lease is a gateway that is gone (DESIGN §6a).
      await db.schema
        .createTable('kora_fleet')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('stopped_at', 'bigint')
        .execute();
      // The fleet leader's sweep reads the runs still held whose lease ended (gateways gone).
      await db.schema.createIndex('kora_runs_held').on('kora_runs').columns(['status', 'lease_until']).execute();
      // The leadership lease: one row, held by `owner` until `lease_until` unless renewed.
      await db.schema
        .createTable('kora_fleet_leader')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

/** Bring the database up to the newest migration. Cheap when it already is: one read. */
export async function migrate(
  db: Kysely<StoreSchema>,
  dialect: MigrationDialect,
  options: { now: number; location: string; migrations?: readonly Migration[] },
): Promise<MigrationOutcome> {
  const migrations = options.migrations ?? MIGRATIONS;
  checkNumbering(migrations);
  const latest = migrations.at(-1)?.version ?? 0;

  // Fast path for every boot but the first: a failed read (no table yet) just means "migrate".
  const seen = await readVersion(db).catch(() => undefined);
  if (seen !== undefined) {
    assertNotNewer(seen, latest, options.location);
    if (seen === latest) return { from: seen, to: seen, applied: 0 };
  }

  return db.connection().execute(async (conn) => {
    await dialect.begin(conn);
    let running: Migration | undefined;
    try {
      await conn.schema
        .createTable('kora_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute();
      // Read again under the lock: another process may have migrated since the fast path.
      const from = await readVersion(conn);
      assertNotNewer(from, latest, options.location);
      let applied = 0;
      for (const migration of migrations) {
        if (migration.version <= from) continue;
        running = migration;
        await migration.up(conn, dialect);
        await conn
          .insertInto('kora_migrations')
          .values({ version: migration.version, name: migration.name, applied_at: options.now })
          .execute();
        applied++;
      }
      await sql`commit`.execute(conn);
      return { from, to: latest, applied };
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      if (err instanceof KoraError) throw err;
      const which = running ? `migration ${running.version} (${running.name})` : 'reading the schema version';
      throw new StoreError(
        `Migrating the store at ${options.location} failed at ${which}: ${describeError(err)}. Nothing was changed.`,
        { location: options.location, migration: running?.version },
        { cause: err },
      );
    }
  });
}

async function readVersion(db: Kysely<StoreSchema>): Promise<number> {
  const row = await db
    .selectFrom('kora_migrations')
    .select((eb) => eb.fn.max('version').as('version'))
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

function assertNotNewer(version: number, latest: number, location: string): void {
  if (version > latest) {
    throw new StoreError(
      `The store at ${location} is at schema version ${version}, newer than this Kora knows (${latest}): ` +
        'it was migrated by a newer release. Run that release, or point store.url at another database.',
      { location, version, latest },
    );
  }
}

function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreError(`Store migrations must be numbered 1, 2, 3… in order; found version ${m.version} at position ${i + 1}`, {
        migration: m.version,
      });
    }
  });
}
