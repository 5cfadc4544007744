import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { ManualClock } from '../time/clock.js';
import { openStore } from './index.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import type { StoreSchema } from './schema.js';
import { sqliteMigrationDialect } from './sqlite.js';

let home: string;
let file: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-migrations-'));
  file = path.join(home, 'kora.db');
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

function raw<T>(query: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(query).all() as T[];
  } finally {
    db.close();
  }
}

function tables(): string[] {
  return raw<{ name: string }>("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").map((r) => r.name);
}

const table = (name: string): Migration['up'] => async (db) => {
  await db.schema.createTable(name).addColumn('x', 'integer').execute();
};
const one: Migration = { version: 1, name: 'one', up: table('t1') };
const two: Migration = { version: 2, name: 'two', up: table('t2') };

async function withKysely<T>(fn: (db: Kysely<StoreSchema>) => Promise<T>): Promise<T> {
  const db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: new Database(file) }) });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

const run = (migrations: readonly Migration[]) =>
  withKysely((db) => migrate(db, sqliteMigrationDialect, { now: 1, location: file, migrations }));

describe('store migrations', () => {
  it('brings a fresh database to the newest version, recording each migration', async () => {
    const store = await openStore({ home, clock: new ManualClock(1_000) });
    await store.close();
    const rows = raw<{ version: number; applied_at: number }>('select version, applied_at from kora_migrations order by version');
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, applied_at: 1_000 })));
    expect(tables()).toEqual(['kora_audit', 'kora_fleet', 'kora_fleet_leader', 'kora_inbox', 'kora_kv', 'kora_migrations', 'kora_plugin_migrations', 'kora_runs', 'kora_store_probe']);
  });

  it('runs each migration once: a reopened database keeps its data and its migration rows', async () => {
    const first = await openStore({ home, clock: new ManualClock(1_000) });
    await first.kv('kora').set('k', { v: 1 });
    await first.audit.append({ at: 1, plugin: 'kora', seam: 's', details: {} });
    await first.ledger.claim({ task: 't', daemon: 'd', slot: 1, startedAt: 1, owner: 'o' });
    await first.close();
    const before = raw('select * from kora_migrations');

    const second = await openStore({ home, clock: new ManualClock(9_000) });
    expect(await second.kv('kora').get('k')).toEqual({ v: 1 });
    expect(await second.audit.list()).toHaveLength(1);
    expect(await second.ledger.lastSlot('t')).toBe(1);
    await second.close();
    expect(raw('select * from kora_migrations')).toEqual(before);
  });

  it('adds the inbox to a database at version 2, keeping what it holds', async () => {
    await withKysely((db) => migrate(db, sqliteMigrationDialect, { now: 1, location: file, migrations: MIGRATIONS.slice(0, 2) }));
    await withKysely((db) => db.insertInto('kora_kv').values({ namespace: 'kora', key: 'k', value: '1', updated_at: 1 }).execute());
    const store = await openStore({ home, clock: new ManualClock(1_000) });
    try {
      expect(await store.kv('kora').get('k')).toBe(1);
      expect(await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: {} })).toMatchObject({ duplicate: false });
    } finally {
      await store.close();
    }
    expect(raw<{ version: number }>('select version from kora_migrations order by version').map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('adds the manual-run trigger to a ledger at version 3: old rows read as scheduled, missed-slot judgement skips manual ones', async () => {
    await withKysely((db) => migrate(db, sqliteMigrationDialect, { now: 1, location: file, migrations: MIGRATIONS.slice(0, 3) }));
    await withKysely((db) =>
      db.insertInto('kora_runs').values({ task: 't', slot: 60_000, daemon: 'd', status: 'ok', started_at: 60_000, finished_at: 60_010, duration_ms: 10, error: null, owner: 'o', count: null, lease_until: null } as never).execute(),
    );
    const store = await openStore({ home, clock: new ManualClock(100_000) });
    try {
      expect((await store.ledger.recent({ task: 't' }))[0]).not.toHaveProperty('trigger');
      expect(await store.ledger.claim({ task: 't', daemon: 'd', slot: 90_123, startedAt: 90_123, owner: 'o', trigger: 'manual' })).toBe(true);
      expect((await store.ledger.recent({ task: 't' }))[0]).toMatchObject({ slot: 90_123, trigger: 'manual', status: 'running' });
      expect(await store.ledger.lastSlot('t')).toBe(60_000);
    } finally {
      await store.close();
    }
  });

  it('applies only the migrations a database has not had yet, in order', async () => {
    expect(await run([one])).toEqual({ from: 0, to: 1, applied: 1 });
    expect(await run([one, two])).toEqual({ from: 1, to: 2, applied: 1 });
    expect(await run([one, two])).toEqual({ from: 2, to: 2, applied: 0 });
    expect(raw<{ version: number }>('select version from kora_migrations order by version').map((r) => r.version)).toEqual([1, 2]);
  });

  it('changes nothing when a migration fails: all pending ones roll back together', async () => {
    const broken: Migration = {
      version: 2,
      name: 'broken',
      async up(db) {
        await db.schema.createTable('t2').addColumn('x', 'integer').execute();
        throw new Error('bad DDL');
      },
    };
    const failure = run([one, broken]);
    await expect(failure).rejects.toBeInstanceOf(StoreError);
    await expect(failure).rejects.toThrow(/migration 2 \(broken\).*bad DDL/);
    expect(tables()).toEqual([]);

    expect(await run([one, two])).toEqual({ from: 0, to: 2, applied: 2 });
  });

  it('refuses a database migrated by a newer release', async () => {
    await run([one, two]);
    await expect(run([one])).rejects.toThrow(/schema version 2, newer than this Kora knows \(1\)/);
  });

  it('refuses migrations that are not numbered 1, 2, 3…', async () => {
    await expect(run([two])).rejects.toThrow(/numbered 1, 2, 3/);
  });

  it('lets several stores open one fresh file at once and migrates it once', async () => {
    const stores = await Promise.all([openStore({ home }), openStore({ home }), openStore({ home })]);
    await Promise.all(stores.map((s) => s.close()));
    expect(raw('select version from kora_migrations')).toHaveLength(MIGRATIONS.length);
  });
});
