// The run ledger's claims carry leases: renewed by this ledger while a run goes on, cleared
// when it finishes, and the basis on which runs of a gateway that is gone are interrupted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { ManualClock } from '../time/clock.js';
import type { Store } from './index.js';
import { openShared, openTestStore, storeKind } from './test-stores.test-helper.js';
import { openSqliteStore } from './sqlite.js';
import { resolveStoreUrl, type StoreTarget } from './url.js';

const LEASE = 30_000;
const T0 = Date.UTC(2026, 0, 1);

let home: string;
let clock: ManualClock;
let store: Store;
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-leases-'));
  clock = new ManualClock(T0);
  store = await openTestStore({ home, clock, leaseMs: LEASE, busyRetryMs: 200 });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const claim = (s: Store, task: string, owner = 'gw-1') => s.ledger.claim({ task, daemon: 'd', slot: T0, startedAt: T0, owner });
const leaseOf = async (s: Store, task: string) => (await s.ledger.recent({ task }))[0]?.leaseUntil ?? null;

describe('run leases', () => {
  it('gives a claimed run a lease and renews it while the run goes on', async () => {
    await claim(store, 'long');
    expect(await leaseOf(store, 'long')).toBe(T0 + LEASE);
    // One third of the lease at a time, each renewal let through (on PostgreSQL it is network I/O).
    for (let third = 1; third <= 15; third++) {
      await clock.advance(LEASE / 3);
      const want = T0 + (third * LEASE) / 3 + LEASE;
      await vi.waitFor(async () => expect(await leaseOf(store, 'long')).toBe(want));
    }
    expect(await leaseOf(store, 'long')).toBeGreaterThan(clock.now());
  });

  it('clears the lease when the run finishes and stops renewing', async () => {
    await claim(store, 'short');
    await store.ledger.complete('short', T0, { status: 'ok', finishedAt: T0 + 10, durationMs: 10, error: null });
    const [row] = await store.ledger.recent({ task: 'short' });
    expect(row?.status).toBe('ok');
    expect(row?.leaseUntil).toBeUndefined();
    await clock.advance(LEASE);
    expect(clock.pending).toBe(0);
  });

  // A second SQLite connection's write lock stands for a store refusing writes.
  it.skipIf(storeKind === 'postgres')('rejects an outcome the store refused with a coded error, leaving the row to the caller to write again', async () => {
    await claim(store, 'kept');
    const locker = new Database(store.location);
    locker.exec('begin immediate');
    const refused = store.ledger.complete('kept', T0, { status: 'ok', finishedAt: T0 + 5, durationMs: 5, error: null });
    const outcome = refused.catch((err: unknown) => err);
    await clock.advance(1_000);
    expect(await outcome).toMatchObject({ code: 'KORA_ERR_STORE_BUSY' });
    locker.exec('commit');
    locker.close();

    // Nothing retries under the caller (the scheduler's LedgerWriter does, with backoff): the row is still running.
    await clock.advance(LEASE / 3);
    expect((await store.ledger.recent({ task: 'kept' }))[0]?.status).toBe('running');
    await store.ledger.complete('kept', T0, { status: 'ok', finishedAt: T0 + 5, durationMs: 5, error: null });
    expect((await store.ledger.recent({ task: 'kept' }))[0]).toMatchObject({ status: 'ok', durationMs: 5 });
  });
});

describe('ledger.interruptStale', () => {
  it.skipIf(storeKind === 'postgres')('on a store one gateway has to itself, interrupts every other owner’s running rows, however fresh their lease', async () => {
    await claim(store, 'crashed', 'earlier-session');
    await claim(store, 'mine', 'me');
    expect(await store.ledger.interruptStale({ not: 'me' })).toBe(1);
    const status = Object.fromEntries((await store.ledger.recent()).map((r) => [r.task, r.status]));
    expect(status).toEqual({ crashed: 'interrupted', mine: 'running' });
  });

  it('on a shared store, interrupts only runs whose lease expired or whose owner is a listed previous session', async () => {
    // PostgreSQL is always shared; SQLite is when opened so.
    const open = () => openSqliteStore(resolveStoreUrl('sqlite:shared.db', home) as Extract<StoreTarget, { kind: 'sqlite' }>, { logger: createSilentLogger(), clock, leaseMs: LEASE, exclusive: false });
    const pg = storeKind === 'postgres' ? await openShared(3, { clock, leaseMs: LEASE }) : undefined;
    const [mine, other, crashed] = (pg?.stores ?? [await open(), await open(), await open()]) as [Store, Store, Store];
    try {
      await claim(other, 'alive', 'gw-other'); // renewed by `other`, which keeps running
      await claim(crashed, 'previous', 'me-before');
      await claim(crashed, 'dead', 'gw-dead');
      await crashed.close(); // nobody renews those two any more
      await clock.advance(LEASE - 1);
      expect(await mine.ledger.interruptStale({ not: 'me', previous: ['me-before'] })).toBe(1);
      await clock.advance(2);
      expect(await mine.ledger.interruptStale({ not: 'me' })).toBe(1);
      const status = Object.fromEntries((await other.ledger.recent()).map((r) => [r.task, r.status]));
      expect(status).toEqual({ alive: 'running', previous: 'interrupted', dead: 'interrupted' });
    } finally {
      await Promise.all([mine.close(), other.close()]);
      await pg?.close();
    }
  });
});
