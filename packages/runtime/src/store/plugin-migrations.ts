// Plugins' own tables: each plugin's migrations run at its load, in name order, each in its
// own transaction, recorded per plugin in `kora_plugin_migrations`. After a migration, every
// table it created must be named `<pluginId>_*` and no table outside that prefix may have
// changed; otherwise it is rolled back like a migration that threw. Kysely's Migrator keeps one
// table per migrator and runs all pending migrations in one transaction, with no hook between
// `up` and commit to compare the schema, so this is written here; its naming rule (names sort) is kept.
import { sql, type Kysely, type TableMetadata } from 'kysely';
import { KoraError, PluginError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { columnsFingerprint, type MigrationDialect } from './migrations.js';
import type { StoreSchema } from './schema.js';
import type { PluginMigration, PluginMigrations, PluginTables } from './types.js';

export interface PluginMigrationContext {
  db: Kysely<StoreSchema>;
  dialect: MigrationDialect;
  clock: Clock;
  log: Logger;
}

export async function migratePlugin(cx: PluginMigrationContext, pluginId: string, migrations: PluginMigrations): Promise<{ applied: string[] }> {
  const steps = checkDefinition(pluginId, migrations);
  const fail = (message: string, details: Record<string, unknown> = {}, cause?: unknown) =>
    new PluginError('KORA_ERR_PLUGIN_MIGRATION', `Plugin ${pluginId}: ${message}`, { pluginId, ...details }, cause === undefined ? undefined : { cause });

  // Fast path for every load but the first: one read says nothing is pending.
  const done = await appliedNames(cx.db, pluginId);
  checkHistory(steps, done, fail);
  const applied: string[] = [];
  for (const [name, migration] of steps) {
    if (done.has(name)) continue;
    const ran = await cx.db.connection().execute(async (conn) => {
      await cx.dialect.begin(conn);
      try {
        // Read again under the lock: another gateway sharing the database may have run it meanwhile.
        if ((await appliedNames(conn, pluginId)).has(name)) {
          await sql`rollback`.execute(conn);
          return false;
        }
        const schema = await cx.dialect.currentSchema?.(conn);
        const before = await tablesOf(conn, cx.dialect, schema);
        try {
          await migration.up(conn as unknown as Kysely<PluginTables>);
        } catch (err) {
          throw fail(`migration "${name}" failed: ${describeError(err)}. It was rolled back; the migrations before it stay applied.`, { migration: name }, err);
        }
        checkTables(pluginId, name, before, await tablesOf(conn, cx.dialect, schema), fail);
        await conn.insertInto('kora_plugin_migrations').values({ plugin: pluginId, name, applied_at: cx.clock.now() }).execute();
        await sql`commit`.execute(conn);
        return true;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        if (err instanceof KoraError) throw err;
        throw fail(`migration "${name}" could not be run: ${describeError(err)}. It was rolled back.`, { migration: name }, err);
      }
    });
    if (ran) {
      applied.push(name);
      cx.log.info({ plugin: pluginId, migration: name }, `plugin ${pluginId}: migration ${name} applied`);
    }
  }
  return { applied };
}

function checkDefinition(pluginId: string, migrations: PluginMigrations): [string, PluginMigration][] {
  if (typeof migrations !== 'object' || migrations === null || Array.isArray(migrations)) {
    throw new PluginError('KORA_ERR_PLUGIN_MIGRATION', `Plugin ${pluginId}: migrations must be an object of name → { up(db) }, got ${describeError(migrations)}`, { pluginId });
  }
  const steps = Object.entries(migrations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, migration] of steps) {
    if (typeof (migration as Partial<PluginMigration> | null)?.up !== 'function') {
      throw new PluginError('KORA_ERR_PLUGIN_MIGRATION', `Plugin ${pluginId}: migration "${name}" has no up(db) function`, { pluginId, migration: name });
    }
  }
  return steps;
}

// As Kysely's Migrator: the applied migrations must be a prefix of the sorted list, so every
// database ends up with the same schema whatever release it was first migrated by.
function checkHistory(steps: [string, PluginMigration][], done: ReadonlySet<string>, fail: (m: string, d?: Record<string, unknown>) => PluginError): void {
  const names = new Set(steps.map(([name]) => name));
  for (const name of done) {
    if (!names.has(name)) {
      throw fail(`migration "${name}" was applied to this database but the plugin no longer declares it (an older version of the plugin?)`, { migration: name });
    }
  }
  let pendingSeen: string | undefined;
  for (const [name] of steps) {
    if (!done.has(name)) pendingSeen ??= name;
    else if (pendingSeen !== undefined) {
      throw fail(`migration "${pendingSeen}" is new but sorts before "${name}", which is already applied: name new migrations so they sort last`, {
        migration: pendingSeen,
      });
    }
  }
}

function checkTables(
  pluginId: string,
  name: string,
  before: Map<string, string>,
  after: Map<string, string>,
  fail: (m: string, d?: Record<string, unknown>) => PluginError,
): void {
  const prefix = `${pluginId}_`;
  const own = (table: string) => table.startsWith(prefix) && table.length > prefix.length;
  for (const table of after.keys()) {
    if (!before.has(table) && !own(table)) {
      throw fail(
        `migration "${name}" created table "${table}", but a plugin's tables must be named "${prefix}*" (e.g. "${prefix}${table}"). It was rolled back.`,
        { migration: name, table, expected: `${prefix}*` },
      );
    }
  }
  for (const [table, shape] of before) {
    if (own(table)) continue;
    if (after.get(table) !== shape) {
      throw fail(`migration "${name}" ${after.has(table) ? 'altered' : 'dropped'} table "${table}", which is not its own (its tables are "${prefix}*"). It was rolled back.`, {
        migration: name,
        table,
        expected: `${prefix}*`,
      });
    }
  }
}

/**
 * Every table and view (of `schema`, where the database has several), with a fingerprint of its
 * columns: in one statement where the dialect has one (SQLite: ten plugins' first migrations
 * spent ~10 ms of a first boot in the introspector), else through the portable introspector.
 */
async function tablesOf(db: Kysely<StoreSchema>, dialect: MigrationDialect, schema: string | undefined): Promise<Map<string, string>> {
  if (dialect.tableShapes) return dialect.tableShapes(db);
  const all: TableMetadata[] = await db.introspection.getTables({ withInternalKyselyTables: true });
  const tables = schema === undefined ? all : all.filter((t) => t.schema === schema);
  return new Map(tables.map((t) => [t.name, columnsFingerprint(t.columns)]));
}

async function appliedNames(db: Kysely<StoreSchema>, pluginId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('kora_plugin_migrations').select('name').where('plugin', '=', pluginId).execute();
  return new Set(rows.map((r) => r.name));
}
