// The plugin's table (DESIGN §7), with Kysely's portable schema builder only, so SQLite and
// PostgreSQL get the same schema: one row per inbound email the agent answers, written before
// the reply is sent and marked sent once the SMTP server took it (decision 0080).
import type { PluginMigrations } from '@kora/runtime';

export const REPLIES_TABLE = 'email_replies';

export const migrations: PluginMigrations = {
  '001_replies': {
    async up(db) {
      await db.schema
        .createTable(REPLIES_TABLE)
        // The answered email's Message-ID (the inbox key).
        .addColumn('inbound_message_id', 'varchar(1024)', (c) => c.primaryKey())
        // The reply's own Message-ID, fixed before the first attempt, so a resend is the same message.
        .addColumn('reply_message_id', 'varchar(512)', (c) => c.notNull())
        .addColumn('conversation', 'varchar(1100)', (c) => c.notNull())
        .addColumn('recipient', 'varchar(512)', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        // `pending` (the engine answered, not sent yet) or `sent`.
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('smtp_response', 'varchar(512)')
        .execute();
      // An inbound email whose Message-ID is one of the agent's replies is the agent's own.
      await db.schema.createIndex('email_replies_reply_id').on(REPLIES_TABLE).column('reply_message_id').execute();
      await db.schema.createIndex('email_replies_created').on(REPLIES_TABLE).column('created_at').execute();
    },
  },
};
