// What becomes of an inbox item that fails: retried when its consumer says, with every error
// kept; dead-lettered with its payload; replayed or discarded by the operator; put back at once
// when the gateway holding it is gone; and done items pruned within bounds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { ManualClock } from '../time/clock.js';
import type { Store } from './index.js';
import { openTestStore, storeKind } from './test-stores.test-helper.js';
import { openSqliteStore } from './sqlite.js';
import { resolveStoreUrl, type StoreTarget } from './url.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;
const TOPIC = 'email.inbound';

let home: string;
let clock: ManualClock;
let store: Store;
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-inbox-fail-'));
  clock = new ManualClock(T0);
  store = await openTestStore({ home, clock });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const claimOne = async (s: Store, owner = 'gw-1', now = clock.now()) => (await s.inbox.claim({ topics: [TOPIC], owner, leaseMs: LEASE, now }))[0];

/** Deliver the item, failing it each time, until it is dead. */
async function failUntilDead(errors: string[]): Promise<number> {
  let id = -1;
  for (const [i, error] of errors.entries()) {
    const item = await claimOne(store);
    if (!item) throw new Error(`no item to claim at delivery ${i + 1}`);
    id = item.id;
    const last = i === errors.length - 1;
    expect(await store.inbox.fail(id, 'gw-1', last ? { error, dead: true } : { error, retryAt: clock.now() + 1_000 })).toBe(true);
    await clock.advance(1_000);
  }
  return id;
}

describe('inbox.fail', () => {
  it('puts the item back to pending until retryAt, then delivers it again as the next attempt', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: { subject: 's' } });
    const first = await claimOne(store);
    expect(await store.inbox.fail(first!.id, 'gw-1', { error: 'SMTP 451', retryAt: T0 + 5_000 })).toBe(true);
    expect(await claimOne(store, 'gw-1', T0 + 4_999)).toBeUndefined();
    const second = await claimOne(store, 'gw-2', T0 + 5_000);
    expect(second).toMatchObject({ id: first!.id, attempt: 2, payload: { subject: 's' } });
  });

  it('dead-letters the item with its payload, its attempts and every error, in order', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: { subject: 's', body: 'b' } });
    const id = await failUntilDead(['first', 'second', 'third']);
    expect(await claimOne(store)).toBeUndefined();
    expect(await store.inbox.dead()).toEqual([
      {
        id,
        topic: TOPIC,
        key: '<m1@x>',
        payload: { subject: 's', body: 'b' },
        attempts: 3,
        replays: 0,
        errors: [
          { at: T0, attempt: 1, error: 'first' },
          { at: T0 + 1_000, attempt: 2, error: 'second' },
          { at: T0 + 2_000, attempt: 3, error: 'third' },
        ],
        enqueuedAt: T0,
        deadAt: T0 + 2_000,
      },
    ]);
  });

  it('keeps a failure of an item taken over from a dead gateway under its own attempt number', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: 1 });
    await claimOne(store, 'crashed', T0);
    const taken = await claimOne(store, 'gw-2', T0 + LEASE + 1);
    await store.inbox.fail(taken!.id, 'gw-2', { error: 'boom', dead: true });
    expect((await store.inbox.dead())[0]).toMatchObject({ attempts: 2, errors: [{ attempt: 2, error: 'boom' }] });
  });

  it('cuts a very long error message, and keeps the rest of the list', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: 1 });
    await failUntilDead(['short', 'x'.repeat(10_000)]);
    const [letter] = await store.inbox.dead();
    expect(letter?.errors.map((e) => e.error.length)).toEqual([5, 4096]);
    expect(letter?.errors[1]?.error.endsWith('…')).toBe(true);
  });

  it('refuses a retry time that is not a number', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: 1 });
    const item = await claimOne(store);
    await expect(store.inbox.fail(item!.id, 'gw-1', { error: 'x', retryAt: Number.NaN })).rejects.toMatchObject({ code: 'KORA_ERR_INBOX_INVALID' });
  });
});

describe('dead letters', () => {
  it('are listed most recently dead first, filtered by topic and limited', async () => {
    for (const key of ['a', 'b', 'c']) {
      await store.inbox.enqueue({ topic: TOPIC, key, payload: key });
      await failUntilDead([`${key} failed`]);
    }
    await store.inbox.enqueue({ topic: 'slack.events', key: 'e', payload: 'e' });
    const [e] = await store.inbox.claim({ topics: ['slack.events'], owner: 'gw-1', leaseMs: LEASE, now: clock.now() });
    await store.inbox.fail(e!.id, 'gw-1', { error: 'nope', dead: true });

    expect((await store.inbox.dead()).map((d) => d.key)).toEqual(['e', 'c', 'b', 'a']);
    expect((await store.inbox.dead({ topic: TOPIC, limit: 2 })).map((d) => d.key)).toEqual(['c', 'b']);
    expect(await store.inbox.dead({ topic: 'alerts.dispatch' })).toEqual([]);
  });

  it('replayed: pending again at once, attempts starting over, the earlier errors kept', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: { n: 1 } });
    const id = await failUntilDead(['one', 'two']);
    expect(await store.inbox.replay(id, T0 + 10_000)).toBe(true);
    expect(await store.inbox.replay(id)).toBe(false); // no longer dead
    expect(await store.inbox.dead()).toEqual([]);
    expect(await store.inbox.stats()).toEqual({ [TOPIC]: { pending: 1, inFlight: 0, dead: 0 } });

    const again = await claimOne(store, 'gw-1', T0 + 10_000);
    expect(again).toMatchObject({ id, attempt: 1, payload: { n: 1 } });
    await store.inbox.fail(id, 'gw-1', { error: 'three', dead: true });
    const [letter] = await store.inbox.dead();
    expect(letter).toMatchObject({ attempts: 1, replays: 1 });
    expect(letter?.errors.map((e) => [e.attempt, e.error])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [1, 'three'],
    ]);
  });

  it('discarded: gone for good, and its key can be enqueued again', async () => {
    const { id } = await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: 1 });
    await failUntilDead(['boom']);
    expect(await store.inbox.discard(id)).toBe(true);
    expect(await store.inbox.discard(id)).toBe(false);
    expect(await store.inbox.dead()).toEqual([]);
    expect(await store.inbox.stats()).toEqual({});
    expect(await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: 2 })).toMatchObject({ duplicate: false });
  });

  it('only dead items can be replayed or discarded', async () => {
    const { id } = await store.inbox.enqueue({ topic: TOPIC, key: '<m1@x>', payload: 1 });
    expect(await store.inbox.replay(id)).toBe(false);
    expect(await store.inbox.discard(id)).toBe(false);
    await claimOne(store);
    expect(await store.inbox.replay(id)).toBe(false);
    expect(await store.inbox.discard(id)).toBe(false);
    expect(await store.inbox.stats()).toEqual({ [TOPIC]: { pending: 0, inFlight: 1, dead: 0 } });
  });
});

describe('inbox.requeueStale', () => {
  it.skipIf(storeKind === 'postgres')('on a store one gateway has to itself, puts back every other owner’s claims at once, however fresh their lease', async () => {
    await store.inbox.enqueue({ topic: TOPIC, key: 'a', payload: 1 });
    await store.inbox.enqueue({ topic: TOPIC, key: 'b', payload: 2 });
    await claimOne(store, 'earlier-session', T0);
    await claimOne(store, 'me', T0);
    expect(await store.inbox.requeueStale({ not: 'me' })).toBe(1);
    expect(await store.inbox.stats()).toEqual({ [TOPIC]: { pending: 1, inFlight: 1, dead: 0 } });
    expect(await claimOne(store, 'me', T0 + 1)).toMatchObject({ key: 'a', attempt: 2 });
  });

  it('on a shared store, puts back only claims whose lease ended or whose owner is a listed previous session', async () => {
    // PostgreSQL is always shared; SQLite is when opened so.
    const shared = storeKind === 'postgres' ? store : await openSqliteStore(resolveStoreUrl('sqlite:shared.db', home) as Extract<StoreTarget, { kind: 'sqlite' }>, { logger: createSilentLogger(), clock, exclusive: false });
    try {
      for (const key of ['alive', 'previous', 'expired']) await shared.inbox.enqueue({ topic: TOPIC, key, payload: key });
      await claimOne(shared, 'gw-other', T0 + LEASE);
      await claimOne(shared, 'me-before', T0 + LEASE);
      await claimOne(shared, 'gw-dead', T0);
      expect(await shared.inbox.requeueStale({ not: 'me', previous: ['me-before'], now: T0 + LEASE + 1 })).toBe(2);
      const back = await shared.inbox.claim({ topics: [TOPIC], owner: 'me', leaseMs: LEASE, now: T0 + LEASE + 1, limit: 10 });
      expect(back.map((i) => i.key)).toEqual(['previous', 'expired']);
    } finally {
      if (shared !== store) await shared.close();
    }
  });
});

describe('inbox.prune', () => {
  it('deletes done items past the age or beyond the newest per topic, never pending, claimed or dead ones', async () => {
    const done = async (topic: string, key: string) => {
      await store.inbox.enqueue({ topic, key, payload: key });
      const [item] = await store.inbox.claim({ topics: [topic], owner: 'gw-1', leaseMs: LEASE, now: clock.now() });
      await store.inbox.complete(item!.id, 'gw-1');
      await clock.advance(1_000);
    };
    for (const key of ['d1', 'd2', 'd3', 'd4']) await done(TOPIC, key);
    await done('slack.events', 's1');
    await store.inbox.enqueue({ topic: TOPIC, key: 'dead', payload: 1 }, T0 - 100_000);
    const [dead] = await store.inbox.claim({ topics: [TOPIC], owner: 'gw-1', leaseMs: LEASE, now: clock.now() });
    await store.inbox.fail(dead!.id, 'gw-1', { error: 'x', dead: true });
    await store.inbox.enqueue({ topic: TOPIC, key: 'pending', payload: 1 }, T0 - 100_000);

    // d1 finished at T0, d2 at T0 + 1 s…: older than 1.5 s at T0 + 3.5 s means d1 and d2.
    expect(await store.inbox.prune({ now: T0 + 3_500, maxAgeMs: 1_500 })).toBe(2);
    expect(await store.inbox.prune({ now: clock.now(), maxDonePerTopic: 1 })).toBe(1); // d3
    expect(await store.inbox.enqueue({ topic: TOPIC, key: 'd3', payload: 1 })).toMatchObject({ duplicate: false });
    expect(await store.inbox.enqueue({ topic: TOPIC, key: 'd4', payload: 1 })).toMatchObject({ duplicate: true });
    expect(await store.inbox.enqueue({ topic: 'slack.events', key: 's1', payload: 1 })).toMatchObject({ duplicate: true });
    expect(await store.inbox.enqueue({ topic: TOPIC, key: 'pending', payload: 1 })).toMatchObject({ duplicate: true });
    expect((await store.inbox.dead()).map((d) => d.key)).toEqual(['dead']);
  });
});
