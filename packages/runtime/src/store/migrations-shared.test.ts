// Migrations on a database several gateways open at once (PostgreSQL): the first migrates under
// the advisory lock, the others wait and find nothing to do; every version recorded once.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/clock.js';
import { openStore, type PluginMigrations } from './index.js';
import { MIGRATIONS } from './migrations.js';
import { freshPostgresUrl, rawRows, storeKind } from './test-stores.test-helper.js';

describe.runIf(storeKind === 'postgres')('migrations on a shared PostgreSQL', () => {
  it('lets three gateways open a fresh database at once: each version applied and recorded once', async () => {
    const url = await freshPostgresUrl();
    const stores = await Promise.all([1, 2, 3].map((i) => openStore({ url, home: os.tmpdir(), clock: new ManualClock(i * 1000) })));
    try {
      const rows = await rawRows<{ version: number }>(stores[0]!, 'select version from kora_migrations order by version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      // And a plugin's migrations likewise, from three at once.
      const up: PluginMigrations = { '001_t': { up: (db) => db.schema.createTable('demo_t').addColumn('x', 'integer').execute() } };
      const outcomes = await Promise.all(stores.map((s) => s.migratePlugin('demo', up)));
      expect(outcomes.flatMap((o) => o.applied)).toEqual(['001_t']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
