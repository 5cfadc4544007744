// The stores every store test runs against: SQLite and PostgreSQL (DESIGN §7, "same behaviour").
// A PostgreSQL store opened here lives in a schema of its own within the run's database
// (test/postgres/global-setup.ts), so each test starts empty, as with a fresh SQLite file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { openStore, type OpenStoreOptions, type Store } from './index.js';

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/**
 * Which database this run of the test file is on: vitest runs the store tests once per kind
 * (the `sqlite` and `postgres` projects of vitest.config.ts); every other test is on SQLite.
 */
export const storeKind: StoreKind = inject('storeKind') ?? 'sqlite';

/** A new, empty schema in the run's database, and the store URL that uses it. */
export async function freshPostgresUrl(): Promise<string> {
  const base = inject('postgresUrl');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * Open a store of `kind`: SQLite as `options` say (a file in `options.home` unless `url` is
 * given), PostgreSQL in a fresh schema. The other options apply to both.
 */
export async function openTestStore(options: OpenStoreOptions, kind: StoreKind = storeKind): Promise<Store> {
  if (kind === 'sqlite') return openStore(options);
  const url = await freshPostgresUrl();
  const store = await openStore({ ...options, url });
  urls.set(store, url);
  return store;
}

const urls = new WeakMap<Store, string>();

/** The URL a PostgreSQL store of openTestStore was opened with (with its schema), for a raw client of the same database. */
export function testStoreUrl(store: Store): string | undefined {
  return urls.get(store);
}

/** Open the database of `store` (opened by openTestStore) again: SQLite as `options` say, PostgreSQL in the same schema. */
export function reopenTestStore(store: Store, options: OpenStoreOptions): Promise<Store> {
  const url = urls.get(store);
  if (url === undefined) return openStore(options);
  return openStore({ ...options, url }).then((again) => (urls.set(again, url), again));
}

/**
 * `count` stores on one database, as gateways sharing it: a SQLite file in a temporary home, or
 * a fresh PostgreSQL schema. `close()` closes them all (and removes the home).
 */
export async function openShared(count: number, options: Omit<OpenStoreOptions, 'home' | 'url'> = {}, kind: StoreKind = storeKind): Promise<{ stores: Store[]; url: string; close(): Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-shared-'));
  const url = kind === 'sqlite' ? `sqlite:${path.join(home, 'kora.db')}` : await freshPostgresUrl();
  const stores: Store[] = [];
  // One after the other: the first migrates, the others find the schema up to date.
  for (let i = 0; i < count; i++) stores.push(await openStore({ ...options, home, url }));
  return {
    stores,
    url,
    close: async () => {
      await Promise.all(stores.map((s) => s.close()));
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Rows of a raw query, on whichever database `store` is (portable SQL only). */
export async function rawRows<T = Record<string, unknown>>(store: Store, text: string): Promise<T[]> {
  const { rows } = await sql.raw<T>(text).execute(store.pluginDb('kora_test'));
  return rows;
}
