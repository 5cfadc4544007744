// The plugin's tables (DESIGN §7), with Kysely's portable schema builder only, so SQLite and
// PostgreSQL get the same schema. No auto-increment column (its spelling differs per database):
// usage rows take a random id, conversation turns a per-conversation sequence number.
import type { PluginMigrations } from '@kora/runtime';

export const USAGE_TABLE = 'reasoning_usage';
export const TURNS_TABLE = 'reasoning_turns';
/** The width of both tables' `conversation` column; a longer id is keyed by `conversationKey` (history.ts). */
export const CONVERSATION_CHARS = 512;

export const migrations: PluginMigrations = {
  '001_usage': {
    async up(db) {
      await db.schema
        .createTable(USAGE_TABLE)
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('route', 'varchar(64)', (c) => c.notNull())
        .addColumn('conversation', 'varchar(512)')
        .addColumn('model', 'varchar(128)', (c) => c.notNull())
        .addColumn('input_tokens', 'integer', (c) => c.notNull())
        .addColumn('output_tokens', 'integer', (c) => c.notNull())
        .addColumn('cache_read_tokens', 'integer', (c) => c.notNull())
        .addColumn('cache_write_tokens', 'integer', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('error_code', 'varchar(64)')
        .execute();
      // `kora usage` and the cost windows read by time.
      await db.schema.createIndex('reasoning_usage_at').on(USAGE_TABLE).column('at').execute();
    },
  },
  '002_turns': {
    async up(db) {
      await db.schema
        .createTable(TURNS_TABLE)
        .addColumn('conversation', 'varchar(512)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('route', 'varchar(64)', (c) => c.notNull())
        // The turn's messages (user, assistant tool_use, user tool_result, …, assistant text) as JSON.
        .addColumn('messages', 'text', (c) => c.notNull())
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('reasoning_turns_pk', ['conversation', 'seq'])
        .execute();
    },
  },
};
