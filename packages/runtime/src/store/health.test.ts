// A store the gateway can no longer write is visible: a lock held by another connection is
// waited out asynchronously and then fails with a coded error naming the database; a full
// database and a deleted or replaced file turn the health to a fault, and back when fixed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { ManualClock } from '../time/clock.js';
import { openStore, type Store, type StoreHealth } from './index.js';

let home: string;
let clock: ManualClock;
let store: Store;
let seen: StoreHealth[];
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-health-'));
  clock = new ManualClock(5_000_000);
  store = await openStore({ home, clock, busyRetryMs: 1_000 });
  seen = [];
  store.onHealthChange((h) => seen.push(h));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function settle<T>(p: Promise<T>): Promise<T | unknown> {
  return p.then(
    (v) => v,
    (e: unknown) => e,
  );
}

describe('a write lock held by another connection', () => {
  let locker: Database.Database;
  beforeEach(() => {
    locker = new Database(store.location);
    locker.exec('begin immediate');
  });
  afterEach(() => {
    if (locker.inTransaction) locker.exec('rollback');
    locker.close();
  });

  it('is waited out without blocking the event loop, then fails with KORA_ERR_STORE_BUSY naming the database', async () => {
    const write = settle(store.kv('p').set('k', 1));
    // Between attempts the event loop is free: an immediate runs, and each blocking attempt is short.
    const blocked = performance.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(performance.now() - blocked).toBeLessThan(500);

    await clock.advance(1_000);
    const err = (await write) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('KORA_ERR_STORE_BUSY');
    expect(err.message).toContain(store.location);
    expect(err.message).toMatch(/kv\.set: The database at .* stayed locked by another connection for \d+ ms \(\d+ attempts\) \(SQLITE_BUSY\)/);
    expect(store.health()).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_BUSY', reason: expect.stringContaining(store.location) as string });
    const { since } = store.health() as { since: number };
    expect(since).toBeGreaterThan(5_000_000);
    expect(since).toBeLessThanOrEqual(clock.now());
    expect(seen).toHaveLength(1);
  });

  it('lets a write through as soon as the lock is released, and the store is healthy again', async () => {
    const refused = settle(store.kv('p').set('first', 1));
    await clock.advance(1_000);
    await refused;
    expect(store.health().ok).toBe(false);

    const write = store.kv('p').set('k', 2);
    await clock.advance(20);
    locker.exec('commit');
    await clock.advance(1_000);
    await write;
    expect(await store.kv('p').get('k')).toBe(2);
    expect(store.health()).toEqual({ ok: true });
    expect(seen.map((h) => h.ok)).toEqual([false, true]);
  });

  it('is reported by check(), the heartbeat probe', async () => {
    const checked = store.check();
    await clock.advance(1_000);
    expect(await checked).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_BUSY' });
  });
});

describe('a full database', () => {
  it('fails writes with KORA_ERR_STORE_FULL and is unhealthy until a write succeeds again', async () => {
    const db = store.pluginDb('t');
    await store.migratePlugin('t', { '001': { up: (d) => d.schema.createTable('t_blobs').addColumn('b', 'text').execute() } });
    const { page_count } = (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]!;
    await sql.raw(`pragma max_page_count = ${page_count + 2}`).execute(db);

    const big = 'x'.repeat(64 * 1024);
    const err = (await settle(store.audit.append({ at: 1, plugin: 't', seam: 'big', details: { big } }))) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('KORA_ERR_STORE_FULL');
    expect(err.message).toContain(store.location);
    expect(store.health()).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_FULL' });
    // Reads still work on a full database, and do not count as proof it can be written.
    expect(await store.kv('t').get('missing')).toBeUndefined();
    expect(store.health().ok).toBe(false);

    await sql.raw('pragma max_page_count = 1073741823').execute(db);
    await store.audit.append({ at: 2, plugin: 't', seam: 'big', details: { big } });
    expect(store.health()).toEqual({ ok: true });
    expect(seen.map((h) => h.ok)).toEqual([false, true]);
  });
});

describe('the database file', () => {
  it('deleted under an open store: check() reports it, and writes that still succeed do not hide it', async () => {
    expect(await store.check()).toEqual({ ok: true });
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(store.location + suffix, { force: true });

    const health = await store.check();
    expect(health).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_FILE_GONE', since: clock.now() });
    expect(health.ok === false && health.reason).toContain(`${store.location} was deleted`);
    await store.kv('p').set('k', 1); // goes to the unlinked file
    expect(store.health()).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_FILE_GONE' });
    expect(seen).toHaveLength(1);
  });

  it('replaced by another file: check() says so', async () => {
    await store.kv('p').set('k', 1);
    fs.copyFileSync(store.location, `${store.location}.copy`);
    fs.renameSync(`${store.location}.copy`, store.location);
    expect(await store.check()).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_FILE_GONE', reason: expect.stringMatching(/was replaced by another file/) as string });
  });

  it('is not the store’s fault when a statement is wrong: a constraint error leaves the health alone', async () => {
    const db = store.pluginDb('t');
    await store.migratePlugin('t', { '001': { up: (d) => d.schema.createTable('t_u').addColumn('k', 'text', (c) => c.primaryKey()).execute() } });
    await db.insertInto('t_u').values({ k: 'a' }).execute();
    await expect(db.insertInto('t_u').values({ k: 'a' }).execute()).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(store.health()).toEqual({ ok: true });
    expect(seen).toEqual([]);
  });
});
