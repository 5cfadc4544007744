import os from 'node:os';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import type { RunRecord, Store } from './index.js';
import { openShared, openTestStore, storeKind } from './test-stores.test-helper.js';

const HOUR = 3_600_000;

let store: Store;
beforeEach(async () => {
  store = await openTestStore({ home: os.tmpdir(), url: 'sqlite::memory:' });
});
afterEach(async () => {
  await store.close();
});

function claim(task: string, slot: number, owner = 'gw-1') {
  return store.ledger.claim({ task, daemon: 'd', slot, startedAt: slot + 5, owner });
}

function noted(task: string, slot: number, status: RunRecord['status'] = 'skipped_overlap'): RunRecord {
  return { task, daemon: 'd', slot, status, startedAt: null, finishedAt: null, durationMs: null, error: null, owner: 'gw-1' };
}

describe('ledger.claim', () => {
  it('claims a free slot once; a second claim of the same (task, slot) loses, whoever asks', async () => {
    expect(await claim('a', 1000)).toBe(true);
    expect(await claim('a', 1000)).toBe(false);
    expect(await claim('a', 1000, 'gw-2')).toBe(false);
    const [row] = await store.ledger.recent();
    expect(row).toMatchObject({ task: 'a', slot: 1000, status: 'running', startedAt: 1005, owner: 'gw-1', finishedAt: null });
  });

  it('claims the same slot of different tasks, and other slots of the same task, independently', async () => {
    expect(await claim('a', 1000)).toBe(true);
    expect(await claim('b', 1000)).toBe(true);
    expect(await claim('a', 2000)).toBe(true);
  });

  it('lets only one of two stores sharing a database claim a slot', async () => {
    const shared = await openShared(2);
    try {
      const [one, two] = shared.stores as [Store, Store];
      const run = { task: 'a', daemon: 'd', slot: 60_000, startedAt: 60_000 };
      const results = await Promise.all([one.ledger.claim({ ...run, owner: 'one' }), two.ledger.claim({ ...run, owner: 'two' })]);
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await shared.close();
    }
  });

  it('surfaces a driver error as a StoreError naming the operation', async () => {
    const bad = store.ledger.claim({ task: null as unknown as string, daemon: 'd', slot: 1, startedAt: 1, owner: 'o' });
    await expect(bad).rejects.toBeInstanceOf(StoreError);
    await expect(bad).rejects.toThrow(/ledger\.claim failed/);
  });
});

describe('ledger.complete', () => {
  it('records the outcome of a claimed run', async () => {
    await claim('a', 1000);
    await store.ledger.complete('a', 1000, { status: 'failed', finishedAt: 1500, durationMs: 495.4, error: 'boom' });
    const [row] = await store.ledger.recent({ task: 'a' });
    expect(row).toEqual({
      task: 'a',
      daemon: 'd',
      slot: 1000,
      status: 'failed',
      startedAt: 1005,
      finishedAt: 1500,
      durationMs: 495,
      error: 'boom',
      owner: 'gw-1',
    });
  });

  it('writes nothing for a slot that was never claimed, and warns', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const watched = await openTestStore({ home: os.tmpdir(), url: 'sqlite::memory:', logger });
    await watched.ledger.complete('a', 1000, { status: 'ok', finishedAt: 1, durationMs: 1, error: null });
    expect(await watched.ledger.recent()).toEqual([]);
    expect(lines.join('')).toMatch(/completed a run that has no row/);
    await watched.close();
  });
});

describe('ledger.note', () => {
  it('records a run that did not happen, with the count of a missed row', async () => {
    await store.ledger.note({ ...noted('a', 1000, 'missed'), count: 7 });
    const [row] = await store.ledger.recent();
    expect(row).toMatchObject({ status: 'missed', count: 7, startedAt: null });
  });

  it('is ignored when the slot already has a row', async () => {
    await claim('a', 1000);
    await store.ledger.note(noted('a', 1000));
    const rows = await store.ledger.recent();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('running');
    expect(rows[0]).not.toHaveProperty('count');
  });

  it('turns its own owner\'s running claim of the slot into the miss (a claim committed whose answer was lost), never another owner\'s', async () => {
    await claim('a', 1000, 'gw-1');
    await claim('b', 1000, 'gw-2');
    await store.ledger.note({ ...noted('a', 1000, 'missed'), error: 'not run: the run ledger could not claim the slot', count: 1 });
    await store.ledger.note({ ...noted('b', 1000, 'missed'), count: 1 });
    const rows = await store.ledger.recent();
    expect(rows.find((r) => r.task === 'a')).toMatchObject({ status: 'missed', owner: 'gw-1', count: 1, startedAt: null, error: 'not run: the run ledger could not claim the slot' });
    expect(rows.find((r) => r.task === 'b')).toMatchObject({ status: 'running', owner: 'gw-2' });
  });
});

describe('ledger.lastSlot', () => {
  it('is null for a task with no rows, else the latest slot whatever the insertion order', async () => {
    expect(await store.ledger.lastSlot('a')).toBeNull();
    await claim('a', 3000);
    await store.ledger.note(noted('a', 1000));
    await claim('b', 9000);
    expect(await store.ledger.lastSlot('a')).toBe(3000);
  });
});

describe('ledger.recent', () => {
  it('returns newest slots first, limited, optionally for one task', async () => {
    for (const slot of [2000, 1000, 4000, 3000]) await claim('a', slot);
    await claim('b', 3500);
    expect((await store.ledger.recent()).map((r) => `${r.task}@${r.slot}`)).toEqual(['a@4000', 'b@3500', 'a@3000', 'a@2000', 'a@1000']);
    expect((await store.ledger.recent({ limit: 2 })).map((r) => r.slot)).toEqual([4000, 3500]);
    expect((await store.ledger.recent({ task: 'a', limit: 3 })).map((r) => r.slot)).toEqual([4000, 3000, 2000]);
  });

  it('returns 100 rows when no limit is given', async () => {
    for (let slot = 0; slot < 120; slot++) await claim('a', slot);
    const rows = await store.ledger.recent();
    expect(rows).toHaveLength(100);
    expect(rows[0]?.slot).toBe(119);
  });

  it('rejects a limit that is not a positive integer', async () => {
    await expect(store.ledger.recent({ limit: 0 })).rejects.toBeInstanceOf(StoreError);
  });
});

describe('ledger.interruptStale', () => {
  it('marks running rows of other owners that are gone interrupted and leaves the rest alone', async () => {
    await claim('a', 1000, 'dead-gw');
    await claim('b', 1000, 'dead-gw');
    await claim('c', 1000, 'me');
    await claim('d', 1000, 'dead-gw');
    await store.ledger.complete('d', 1000, { status: 'ok', finishedAt: 2000, durationMs: 995, error: null });

    // SQLite is one gateway's: every other owner is an earlier session of it. PostgreSQL is
    // shared: an owner is gone once its lease expired, or when named as a previous session.
    if (storeKind === 'postgres') {
      expect(await store.ledger.interruptStale({ not: 'me' })).toBe(0);
      expect(await store.ledger.interruptStale({ not: 'me', previous: ['dead-gw'] })).toBe(2);
    } else {
      expect(await store.ledger.interruptStale({ not: 'me' })).toBe(2);
    }

    const byTask = Object.fromEntries((await store.ledger.recent()).map((r) => [r.task, r]));
    expect(byTask.a?.status).toBe('interrupted');
    expect(byTask.a?.error).toMatch(/stopped before it finished/);
    expect(byTask.b?.status).toBe('interrupted');
    expect(byTask.c?.status).toBe('running');
    expect(byTask.d?.status).toBe('ok');
    expect(await store.ledger.interruptStale({ not: 'me' })).toBe(0);
  });
});

describe('ledger.prune', () => {
  it('keeps the newest rows of each task up to the limit', async () => {
    for (let i = 1; i <= 5; i++) await store.ledger.note(noted('a', i * 1000));
    for (let i = 1; i <= 2; i++) await store.ledger.note(noted('b', i * 1000));

    expect(await store.ledger.prune({ maxRowsPerTask: 3, now: 10_000 })).toBe(2);

    expect((await store.ledger.recent({ task: 'a' })).map((r) => r.slot)).toEqual([5000, 4000, 3000]);
    expect((await store.ledger.recent({ task: 'b' })).map((r) => r.slot)).toEqual([2000, 1000]);
  });

  it('drops rows older than the maximum age', async () => {
    const now = 100 * HOUR;
    for (const hoursAgo of [1, 23, 25, 48]) await store.ledger.note(noted('a', now - hoursAgo * HOUR));

    expect(await store.ledger.prune({ maxRowsPerTask: 1000, maxAgeMs: 24 * HOUR, now })).toBe(2);

    expect((await store.ledger.recent()).map((r) => (now - r.slot) / HOUR)).toEqual([1, 23]);
  });

  it('never deletes a row that is still running', async () => {
    await claim('a', 1000);
    await store.ledger.note(noted('a', 500));
    expect(await store.ledger.prune({ maxRowsPerTask: 0, maxAgeMs: 1, now: 1_000_000 })).toBe(1);
    expect((await store.ledger.recent()).map((r) => r.status)).toEqual(['running']);
  });

  it('rejects a negative row limit', async () => {
    await expect(store.ledger.prune({ maxRowsPerTask: -1, now: 0 })).rejects.toThrow(/maxRowsPerTask/);
  });
});
