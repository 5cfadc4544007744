// The telemetry plugin's tables, with Kysely's portable schema builder only (SQLite and
// PostgreSQL alike). `telemetry_resets` holds one row per window and period: its primary key is
// what makes a reset happen once, across restarts and across gateways sharing the store.
import type { PluginMigrations } from '@kora/runtime';

export const DAILY_TABLE = 'telemetry_daily';
export const RESETS_TABLE = 'telemetry_resets';
export const STATE_TABLE = 'telemetry_state';

export const migrations: PluginMigrations = {
  '001_cost_telemetry': {
    async up(db) {
      // Spend per UTC day, model and route, as `cost_telemetry.persist` last summed it.
      await db.schema
        .createTable(DAILY_TABLE)
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('model', 'varchar(128)', (c) => c.notNull())
        .addColumn('route', 'varchar(64)', (c) => c.notNull())
        .addColumn('calls', 'integer', (c) => c.notNull())
        .addColumn('failed', 'integer', (c) => c.notNull())
        .addColumn('input_tokens', 'bigint', (c) => c.notNull())
        .addColumn('output_tokens', 'bigint', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('telemetry_daily_pk', ['day', 'model', 'route'])
        .execute();
      // One row per reset: window `rolling_24h` per UTC day, `month` per calendar month (not named
      // `window`, a reserved word in PostgreSQL).
      await db.schema
        .createTable(RESETS_TABLE)
        .addColumn('window_name', 'varchar(32)', (c) => c.notNull())
        .addColumn('period', 'varchar(10)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        // The period that closed: its calls and cost, and the rung it ended on.
        .addColumn('closed_calls', 'integer', (c) => c.notNull())
        .addColumn('closed_cost_usd', 'double precision', (c) => c.notNull())
        .addColumn('closed_rung', 'varchar(16)', (c) => c.notNull())
        .addPrimaryKeyConstraint('telemetry_resets_pk', ['window_name', 'period'])
        .execute();
      // The peak rung of each window since its last reset, and the rung last announced.
      await db.schema
        .createTable(STATE_TABLE)
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};
