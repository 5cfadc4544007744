// The snapshot plugin's table (portable schema builder only: SQLite and PostgreSQL alike): one row
// per computed snapshot, its time and its roll-up as JSON.
import type { PluginMigrations } from '@kora/runtime';

export const SNAPSHOTS_TABLE = 'snapshot_snapshots';

export const migrations: PluginMigrations = {
  '001_snapshots': {
    async up(db) {
      await db.schema
        .createTable(SNAPSHOTS_TABLE)
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('snapshot_snapshots_at').on(SNAPSHOTS_TABLE).column('at').execute();
    },
  },
};
