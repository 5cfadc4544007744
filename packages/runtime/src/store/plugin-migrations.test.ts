// Plugin tables on a real SQLite file: migrations run in name order, once, each in its own
// transaction; a failing or wrongly named one is rolled back with a coded error naming the
// plugin and the migration; `pluginDb` queries go over the store's own connection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginError } from '../errors.js';
import { ManualClock } from '../time/clock.js';
import type { PluginMigrations, Store } from './index.js';
import { openTestStore, rawRows, reopenTestStore, storeKind } from './test-stores.test-helper.js';

let home: string;
let store: Store;
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-plugin-migrations-'));
  store = await openTestStore({ home, clock: new ManualClock(7_000) });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const raw = <T>(query: string): Promise<T[]> => rawRows<T>(store, query);

const TABLES =
  storeKind === 'postgres'
    ? "select table_name as name from information_schema.tables where table_schema = current_schema() and table_name not like 'kora_%' order by table_name"
    : "select name from sqlite_master where type = 'table' and name not like 'kora_%' and name not like 'sqlite_%' order by name";
const tables = async () => (await raw<{ name: string }>(TABLES)).map((r) => r.name);
const recorded = () => raw<{ plugin: string; name: string; applied_at: number }>('select plugin, name, applied_at from kora_plugin_migrations order by plugin, name');

const usage: PluginMigrations = {
  '001_usage': {
    async up(db) {
      await db.schema
        .createTable('telemetry_usage')
        // No auto-increment id: its spelling is not portable (plugins/reasoning takes random ids).
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '002_usage_by_model': {
    async up(db) {
      await db.schema.createIndex('telemetry_usage_model').on('telemetry_usage').column('model').execute();
    },
  },
};

async function failure(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe('store.migratePlugin', () => {
  it('runs a plugin’s migrations in name order and records each for that plugin', async () => {
    const order: string[] = [];
    const tracked: PluginMigrations = {
      b_second: { up: async () => void order.push('b_second') },
      a_first: { up: async () => void order.push('a_first') },
      '10_third': { up: async () => void order.push('10_third') },
    };
    expect(await store.migratePlugin('probes', tracked)).toEqual({ applied: ['10_third', 'a_first', 'b_second'] });
    expect(order).toEqual(['10_third', 'a_first', 'b_second']);
    expect(await recorded()).toEqual([
      { plugin: 'probes', name: '10_third', applied_at: 7_000 },
      { plugin: 'probes', name: 'a_first', applied_at: 7_000 },
      { plugin: 'probes', name: 'b_second', applied_at: 7_000 },
    ]);
  });

  it('applies each migration once: a second load, or a reopened store, runs only what is new', async () => {
    expect(await store.migratePlugin('telemetry', { '001_usage': usage['001_usage']! })).toEqual({ applied: ['001_usage'] });
    expect(await store.migratePlugin('telemetry', { '001_usage': usage['001_usage']! })).toEqual({ applied: [] });
    await store.close();
    store = await reopenTestStore(store, { home });
    expect(await store.migratePlugin('telemetry', usage)).toEqual({ applied: ['002_usage_by_model'] });
    expect(await tables()).toEqual(['telemetry_usage']);
  });

  it('tracks plugins apart: the same migration name in two plugins runs for each', async () => {
    const make = (table: string): PluginMigrations => ({
      '001_init': { up: (db) => db.schema.createTable(table).addColumn('x', 'integer').execute() },
    });
    expect(await store.migratePlugin('alerts', make('alerts_sent'))).toEqual({ applied: ['001_init'] });
    expect(await store.migratePlugin('promote', make('promote_proposals'))).toEqual({ applied: ['001_init'] });
    expect(await tables()).toEqual(['alerts_sent', 'promote_proposals']);
  });

  it('rolls back a migration that throws and names the plugin and the migration; the ones before it stay', async () => {
    const broken: PluginMigrations = {
      ...usage,
      '003_broken': {
        async up(db) {
          await db.schema.createTable('telemetry_half').addColumn('x', 'integer').execute();
          await db.insertInto('telemetry_usage').values({ model: 'm', tokens: 1 }).execute();
          throw new Error('column does not exist');
        },
      },
    };
    const err = await failure(store.migratePlugin('telemetry', broken));
    expect(err.code).toBe('KORA_ERR_PLUGIN_MIGRATION');
    expect(err.pluginId).toBe('telemetry');
    expect(err.details.migration).toBe('003_broken');
    expect(err.message).toMatch(/Plugin telemetry: migration "003_broken" failed: column does not exist/);
    expect(await tables()).toEqual(['telemetry_usage']);
    expect(await raw('select * from telemetry_usage')).toEqual([]);
    expect((await recorded()).map((r) => r.name)).toEqual(['001_usage', '002_usage_by_model']);
  });

  it('rolls back a migration that creates a table outside <pluginId>_* and says which name was expected', async () => {
    const squatting: PluginMigrations = {
      '001_ok': { up: (db) => db.schema.createTable('alerts_sent').addColumn('x', 'integer').execute() },
      '002_squat': { up: (db) => db.schema.createTable('sent_alerts').addColumn('x', 'integer').execute() },
    };
    const err = await failure(store.migratePlugin('alerts', squatting));
    expect(err.code).toBe('KORA_ERR_PLUGIN_MIGRATION');
    expect(err.details).toMatchObject({ pluginId: 'alerts', migration: '002_squat', table: 'sent_alerts', expected: 'alerts_*' });
    expect(err.message).toMatch(/created table "sent_alerts", but a plugin's tables must be named "alerts_\*"/);
    expect(await tables()).toEqual(['alerts_sent']);
    expect((await recorded()).map((r) => r.name)).toEqual(['001_ok']);
  });

  it('refuses a migration that alters or drops a table that is not the plugin’s own', async () => {
    const alter: PluginMigrations = { '001_alter': { up: (db) => db.schema.alterTable('kora_runs').addColumn('mine', 'text').execute() } };
    const err = await failure(store.migratePlugin('sneaky', alter));
    expect(err.message).toMatch(/altered table "kora_runs", which is not its own/);
    const runs = (await store.pluginDb('sneaky').introspection.getTables()).find((t) => t.name === 'kora_runs');
    expect(runs?.columns.map((c) => c.name)).not.toContain('mine');

    await store.migratePlugin('alerts', { '001': { up: (db) => db.schema.createTable('alerts_sent').addColumn('x', 'integer').execute() } });
    const drop: PluginMigrations = { '001_drop': { up: (db) => db.schema.dropTable('alerts_sent').execute() } };
    expect((await failure(store.migratePlugin('sneaky', drop))).message).toMatch(/dropped table "alerts_sent"/);
    expect(await tables()).toContain('alerts_sent');
  });

  it('refuses a new migration that sorts before one already applied, and an applied one the plugin no longer declares', async () => {
    await store.migratePlugin('telemetry', { '002_usage': usage['001_usage']! });
    const early = await failure(store.migratePlugin('telemetry', { '001_new': { up: async () => {} }, '002_usage': usage['001_usage']! }));
    expect(early.message).toMatch(/"001_new" is new but sorts before "002_usage"/);
    const gone = await failure(store.migratePlugin('telemetry', {}));
    expect(gone.message).toMatch(/"002_usage" was applied to this database but the plugin no longer declares it/);
  });

  it('refuses a definition without up()', async () => {
    const err = await failure(store.migratePlugin('x', { '001': {} as never }));
    expect(err.message).toMatch(/migration "001" has no up\(db\) function/);
  });
});

describe('store.pluginDb', () => {
  it('queries the plugin’s tables over the store’s connection: rows written are in the database file', async () => {
    await store.migratePlugin('telemetry', usage);
    const db = store.pluginDb<{ telemetry_usage: { model: string; tokens: number } }>('telemetry');
    await db.insertInto('telemetry_usage').values({ model: 'haiku', tokens: 120 }).execute();
    const rows = await db.selectFrom('telemetry_usage').select(['model', 'tokens']).execute();
    expect(rows).toEqual([{ model: 'haiku', tokens: 120 }]);
    expect(await raw('select model, tokens from telemetry_usage')).toEqual([{ model: 'haiku', tokens: 120 }]);
  });

  it('cannot close the gateway’s store: destroy() rejects and the store keeps working', async () => {
    const db = store.pluginDb('telemetry');
    await expect(db.destroy()).rejects.toThrow(/closes with the store/);
    await store.kv('telemetry').set('still', 'open');
    expect(await store.kv('telemetry').get('still')).toBe('open');
  });
});
