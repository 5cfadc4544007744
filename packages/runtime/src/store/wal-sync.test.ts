// The WAL is synced within everyMs of any change, once per window however many changes land in
// it, again when a change lands during a sync, never when nothing changed; a sync that fails
// makes the store unhealthy until one succeeds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { ManualClock } from '../time/clock.js';
import { StoreHealthMonitor } from './health.js';
import { WAL_AUTOCHECKPOINT_PAGES, openSqliteStore } from './sqlite.js';
import { resolveStoreUrl } from './url.js';
import { WAL_SYNC_EVERY_MS, WalSync } from './wal-sync.js';

function setup(syncFile?: (file: string) => Promise<void>) {
  const clock = new ManualClock(1_000_000);
  const health = new StoreHealthMonitor(clock, createSilentLogger());
  const synced: number[] = [];
  const sync = new WalSync({
    file: '/data/kora.db-wal',
    clock,
    health,
    syncFile:
      syncFile ??
      (async (file) => {
        expect(file).toBe('/data/kora.db-wal');
        synced.push(clock.monotonic());
      }),
  });
  return { clock, health, synced, sync };
}

describe('WalSync', () => {
  it('syncs once, everyMs after the first change of a window', async () => {
    const { clock, synced, sync } = setup();
    await clock.advance(1_000);
    expect(synced).toEqual([]);
    const start = clock.monotonic();
    sync.changed();
    await clock.advance(50);
    sync.changed();
    sync.changed();
    await clock.advance(WAL_SYNC_EVERY_MS - 50 - 1);
    expect(synced).toEqual([]);
    await clock.advance(1);
    expect(synced).toEqual([start + WAL_SYNC_EVERY_MS]);
    await clock.advance(10 * WAL_SYNC_EVERY_MS);
    expect(synced).toHaveLength(1);
  });

  it('syncs again after a change that landed while a sync ran', async () => {
    let finish!: () => void;
    const calls: number[] = [];
    const { clock, sync } = setup(async () => {
      calls.push(clock.monotonic());
      if (calls.length === 1) await new Promise<void>((resolve) => (finish = resolve));
    });
    sync.changed();
    await clock.advance(WAL_SYNC_EVERY_MS);
    expect(calls).toHaveLength(1);
    sync.changed(); // a commit while the first sync is on the disk: it may not be in it
    await clock.advance(5 * WAL_SYNC_EVERY_MS);
    expect(calls).toHaveLength(1);
    finish();
    await clock.advance(WAL_SYNC_EVERY_MS);
    expect(calls).toHaveLength(2);
  });

  it('is unhealthy with a coded reason while the sync fails, healthy once one succeeds', async () => {
    let fail = true;
    const { clock, health, sync } = setup(async () => {
      if (fail) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    sync.changed();
    await clock.advance(WAL_SYNC_EVERY_MS);
    expect(health.current).toMatchObject({ ok: false, code: 'KORA_ERR_STORE_IO' });
    expect(health.current.ok || health.current.reason).toMatch(/kora\.db-wal cannot be synced to disk \(EIO.*power cut/);
    // A write that succeeds does not clear it: writes land in the page cache either way.
    health.writeSucceeded();
    expect(health.current.ok).toBe(false);
    fail = false;
    sync.changed();
    await clock.advance(WAL_SYNC_EVERY_MS);
    expect(health.current).toEqual({ ok: true });
  });

  it('treats a missing WAL file as nothing to sync', async () => {
    const { clock, health, sync } = setup(async () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    sync.changed();
    await clock.advance(WAL_SYNC_EVERY_MS);
    expect(health.current).toEqual({ ok: true });
  });

  it('stops at close, waiting for the sync in flight', async () => {
    let finish!: () => void;
    let calls = 0;
    const { clock, sync } = setup(async () => {
      calls++;
      await new Promise<void>((resolve) => (finish = resolve));
    });
    sync.changed();
    await clock.advance(WAL_SYNC_EVERY_MS);
    let closed = false;
    const closing = sync.close().then(() => (closed = true));
    await clock.advance(1);
    expect(closed).toBe(false);
    finish();
    await closing;
    sync.changed();
    await clock.advance(10 * WAL_SYNC_EVERY_MS);
    expect(calls).toBe(1);
  });
});

describe('the SQLite store', () => {
  let home: string | undefined;
  afterEach(() => {
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('syncs its WAL after a write, and checkpoints every WAL_AUTOCHECKPOINT_PAGES pages', async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-walsync-'));
    const clock = new ManualClock(1_000_000);
    const synced: string[] = [];
    const store = await openSqliteStore(resolveStoreUrl(undefined, home) as never, {
      logger: createSilentLogger(),
      clock,
      syncWal: async (file) => {
        synced.push(file);
      },
    });
    try {
      // Opening migrated the file: that was synced too.
      await clock.advance(WAL_SYNC_EVERY_MS);
      synced.length = 0;
      await clock.advance(10 * WAL_SYNC_EVERY_MS);
      expect(synced).toEqual([]);
      // Reads write nothing to the WAL: nothing to sync.
      await store.kv('t').get('k');
      await store.kv('t').keys();
      await clock.advance(2 * WAL_SYNC_EVERY_MS);
      expect(synced).toEqual([]);
      await store.kv('t').set('k', { v: 1 });
      await clock.advance(WAL_SYNC_EVERY_MS);
      expect(synced).toEqual([`${store.location}-wal`]);
      const pages = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.pluginDb('t'));
      expect(pages.rows[0]?.wal_autocheckpoint).toBe(WAL_AUTOCHECKPOINT_PAGES);
    } finally {
      await store.close();
    }
  });
});
