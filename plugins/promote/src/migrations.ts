// The plugin's one table, with Kysely's portable schema builder only (SQLite and PostgreSQL get
// the same schema). Ids are random text, times epoch ms in bigints, payload and evidence JSON text.
import type { PluginMigrations } from '@kora/runtime';

export const PROPOSALS_TABLE = 'promote_proposals';

export const migrations: PluginMigrations = {
  '001_proposals': {
    async up(db) {
      await db.schema
        .createTable(PROPOSALS_TABLE)
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('loop', 'varchar(32)', (c) => c.notNull())
        .addColumn('key', 'varchar(512)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('title', 'varchar(512)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'varchar(160)')
        .addColumn('reason', 'varchar(512)')
        .execute();
      // A cycle looks its findings up by (loop, key); the surfaces list by status.
      await db.schema.createIndex('promote_proposals_loop_key').on(PROPOSALS_TABLE).columns(['loop', 'key']).execute();
      await db.schema.createIndex('promote_proposals_status').on(PROPOSALS_TABLE).columns(['status', 'created_at']).execute();
    },
  },
};
