// The inbox's intake and delivery, on a real SQLite file: dedup on (topic, key), what a payload
// may be, claims oldest first and per topic, leases taken over only once they have ended, and
// the owner check on everything a claim's holder writes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InboxError } from '../errors.js';
import { ManualClock } from '../time/clock.js';
import type { Store } from './index.js';
import { openTestStore, rawRows, storeKind } from './test-stores.test-helper.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;

let home: string;
let clock: ManualClock;
let store: Store;
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-inbox-'));
  clock = new ManualClock(T0);
  store = await openTestStore({ home, clock });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const claim = (owner: string, now: number, limit = 10, topics = ['slack.events']) => store.inbox.claim({ topics, owner, leaseMs: LEASE, now, limit });
const rows = () => rawRows(store, 'select id, topic, key, payload, status, owner, lease_until, attempts from kora_inbox order by id');

describe('inbox.enqueue', () => {
  it('keeps an item once per (topic, key): a second enqueue returns the first id as a duplicate and changes nothing', async () => {
    const first = await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: { n: 1 } });
    expect(first).toEqual({ id: expect.any(Number), duplicate: false });
    const before = await rows();

    const again = await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: { n: 2 } }, T0 + 5_000);
    expect(again).toEqual({ id: first.id, duplicate: true });
    expect(await rows()).toEqual(before);

    // The same key under another topic is another item.
    const other = await store.inbox.enqueue({ topic: 'email.inbound', key: 'Ev01', payload: null });
    expect(other.duplicate).toBe(false);
    expect(other.id).not.toBe(first.id);
  });

  it('commits a burst of concurrent enqueues together, each with its own answer, a repeated key in the burst a duplicate', async () => {
    const burst = await Promise.all([
      store.inbox.enqueue({ topic: 'slack.events', key: 'A', payload: 1 }),
      store.inbox.enqueue({ topic: 'slack.events', key: 'B', payload: 2 }),
      store.inbox.enqueue({ topic: 'slack.events', key: 'A', payload: 3 }),
      store.inbox.enqueue({ topic: 'email.inbound', key: 'A', payload: 4 }),
    ]);
    expect(burst.map((r) => r.duplicate)).toEqual([false, false, true, false]);
    expect(burst[2]!.id).toBe(burst[0]!.id);
    expect((await rows()).map((r) => [r.topic, r.key, r.payload])).toEqual([
      ['slack.events', 'A', '1'],
      ['slack.events', 'B', '2'],
      ['email.inbound', 'A', '4'],
    ]);
  });

  // On SQLite a commit is done within the turn that runs it, which makes the turns observable.
  it.skipIf(storeKind === 'postgres')('lets a small burst wait one more turn of the event loop for the items of that turn, and commits a large one in its own turn', async () => {
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const settled: string[] = [];
    const enqueue = (key: string) => store.inbox.enqueue({ topic: 'slack.events', key, payload: key }).then((r) => (settled.push(key), r));

    const small = [enqueue('s1'), enqueue('s2')];
    await nextTurn();
    expect(settled).toEqual([]);
    small.push(enqueue('s3'));
    const ids = (await Promise.all(small)).map((r) => r.id);
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2]);

    settled.length = 0;
    const large = Array.from({ length: 16 }, (_, i) => enqueue(`l${i}`));
    const late = nextTurn().then(() => enqueue('late'));
    await Promise.all(large);
    expect(settled).not.toContain('late');
    expect((await late).duplicate).toBe(false);
  });

  it('answers a burst some of whose keys are there already: those as duplicates of their rows, the others with the ids they got', async () => {
    const b = await store.inbox.enqueue({ topic: 'slack.events', key: 'B', payload: 'first' });
    const d = await store.inbox.enqueue({ topic: 'slack.events', key: 'D', payload: 'first' });
    const burst = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((key) => store.inbox.enqueue({ topic: 'slack.events', key, payload: 'burst' })));
    const byKey = new Map((await rows()).map((r) => [String(r.key), r]));
    expect(burst).toEqual([
      { id: Number(byKey.get('A')!.id), duplicate: false },
      { id: b.id, duplicate: true },
      { id: Number(byKey.get('C')!.id), duplicate: false },
      { id: d.id, duplicate: true },
      { id: Number(byKey.get('E')!.id), duplicate: false },
    ]);
    expect([...byKey.values()].map((r) => [r.key, r.payload])).toEqual([
      ['B', '"first"'],
      ['D', '"first"'],
      ['A', '"burst"'],
      ['C', '"burst"'],
      ['E', '"burst"'],
    ]);
    // All there already: each answered with its row.
    expect(await Promise.all(['A', 'E'].map((key) => store.inbox.enqueue({ topic: 'slack.events', key, payload: 'again' })))).toEqual([
      { id: Number(byKey.get('A')!.id), duplicate: true },
      { id: Number(byKey.get('E')!.id), duplicate: true },
    ]);
  });

  it('keeps every row of bursts of every size whole, the same size twice included (its insert compiled once) and one past a statement', async () => {
    // 5 twice: the second runs the insert compiled for the first; 40: past the kept sizes; 250: two statements (200 + 50).
    const sizes = [5, 5, 40, 250];
    const answers: { id: number; duplicate: boolean }[][] = [];
    for (const [b, n] of sizes.entries()) {
      const at = T0 + b * 1000;
      answers.push(await Promise.all(Array.from({ length: n }, (_, i) => store.inbox.enqueue({ topic: 'slack.events', key: `b${b}-${i}`, payload: { b, i } }, at))));
    }
    const all = await rows();
    expect(all).toHaveLength(300);
    expect(answers.flat().every((a) => !a.duplicate)).toBe(true);
    expect(answers.flat().map((a) => a.id)).toEqual(all.map((r) => Number(r.id)));
    for (const [b, n] of sizes.entries()) {
      const kept = all.filter((r) => String(r.key).startsWith(`b${b}-`));
      expect(kept.map((r) => [r.key, typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload, r.status, r.owner, r.lease_until, Number(r.attempts)])).toEqual(
        Array.from({ length: n }, (_, i) => [`b${b}-${i}`, { b, i }, 'pending', null, null, 0]),
      );
    }
    // Claimed in enqueue order, each burst due at its own time.
    const claimed = await claim('w1', T0 + 1000, 20);
    expect(claimed.map((c) => c.key)).toEqual([...Array.from({ length: 5 }, (_, i) => `b0-${i}`), ...Array.from({ length: 5 }, (_, i) => `b1-${i}`)]);
    expect(claimed.map((c) => c.enqueuedAt)).toEqual([...Array(5).fill(T0), ...Array(5).fill(T0 + 1000)]);
  });

  // A trigger in SQLite's dialect stands for a commit that fails.
  it.skipIf(storeKind === 'postgres')('refuses a whole burst when its commit fails, keeping none of it, and takes the next burst', async () => {
    const db = new Database(store.location);
    db.exec("create trigger no_b before insert on kora_inbox when new.key = 'B' begin select raise(abort, 'disk says no'); end");
    const burst = await Promise.allSettled([store.inbox.enqueue({ topic: 'slack.events', key: 'A', payload: 1 }), store.inbox.enqueue({ topic: 'slack.events', key: 'B', payload: 2 })]);
    expect(burst.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await rows()).toEqual([]);
    db.exec('drop trigger no_b');
    db.close();
    expect(await store.inbox.enqueue({ topic: 'slack.events', key: 'A', payload: 1 })).toMatchObject({ duplicate: false });
  });

  it('stays a duplicate after the item was handled, while its row is kept', async () => {
    const { id } = await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: { n: 1 } });
    const [item] = await claim('gw-1', T0);
    expect(await store.inbox.complete(item!.id, 'gw-1')).toBe(true);
    expect(await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: { n: 1 } })).toEqual({ id, duplicate: true });
    expect(await claim('gw-1', T0 + 1)).toEqual([]);
  });

  it('gives a payload back as its JSON round trip', async () => {
    const payload = { text: 'héllo ✓', n: 1.5, list: [1, null, true], nested: { empty: {} }, dropped: undefined, at: new Date(T0) };
    await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload });
    await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev02', payload: 'just a string' });
    const items = await claim('gw-1', T0);
    expect(items.map((i) => i.payload)).toEqual([JSON.parse(JSON.stringify(payload)), 'just a string']);
    expect(items[0]).toMatchObject({ topic: 'slack.events', key: 'Ev01', attempt: 1, enqueuedAt: T0 });
  });

  it('refuses a payload with no JSON form with KORA_ERR_INBOX_PAYLOAD, writing nothing', async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const payload of [{ n: 1n }, cycle, () => 1, undefined, Symbol('s')]) {
      const refused = await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(InboxError);
      expect(refused).toMatchObject({ code: 'KORA_ERR_INBOX_PAYLOAD', details: { topic: 'slack.events', key: 'Ev01' } });
    }
    expect(await rows()).toEqual([]);
  });

  it('refuses a topic not of the form area.what, and an empty or overlong key, with KORA_ERR_INBOX_INVALID', async () => {
    const bad: [unknown, unknown][] = [
      ['', 'k'],
      ['slack', 'k'],
      ['Slack.Events', 'k'],
      ['slack..events', 'k'],
      ['slack.events ', 'k'],
      [42, 'k'],
      ['slack.events', ''],
      ['slack.events', 7],
      ['slack.events', 'x'.repeat(1025)],
    ];
    for (const [topic, key] of bad) {
      await expect(store.inbox.enqueue({ topic, key, payload: 1 } as never)).rejects.toMatchObject({ code: 'KORA_ERR_INBOX_INVALID' });
    }
    await expect(store.inbox.enqueue({ topic: 'email.inbound', key: 'x'.repeat(1024), payload: 1 })).resolves.toMatchObject({ duplicate: false });
    await expect(store.inbox.enqueue({ topic: 'alerts.to_dispatch-2', key: '<a@b>', payload: 1 })).resolves.toMatchObject({ duplicate: false });
  });

  it('does not echo a refused key in the error message', async () => {
    const err = (await store.inbox.enqueue({ topic: 'slack.events', key: 'y'.repeat(2000), payload: 1 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('2000 characters');
    expect(err.message).not.toContain('yyyy');
  });
});

describe('inbox.claim', () => {
  it('hands out due items oldest first, up to the limit, each to one owner, with a lease and attempt 1', async () => {
    for (const key of ['a', 'b', 'c']) {
      await store.inbox.enqueue({ topic: 'slack.events', key, payload: key });
      await clock.advance(10);
    }
    const first = await claim('gw-1', clock.now(), 2);
    expect(first.map((i) => [i.key, i.attempt])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    const second = await claim('gw-2', clock.now(), 5);
    expect(second.map((i) => i.key)).toEqual(['c']);
    expect(await claim('gw-3', clock.now())).toEqual([]);
    expect((await rows()).map((r) => [r.key, r.status, r.owner, r.lease_until])).toEqual([
      ['a', 'claimed', 'gw-1', clock.now() + LEASE],
      ['b', 'claimed', 'gw-1', clock.now() + LEASE],
      ['c', 'claimed', 'gw-2', clock.now() + LEASE],
    ]);
  });

  it('claims one item unless asked for more', async () => {
    await store.inbox.enqueue({ topic: 'slack.events', key: 'a', payload: 1 });
    await store.inbox.enqueue({ topic: 'slack.events', key: 'b', payload: 2 });
    expect((await store.inbox.claim({ topics: ['slack.events'], owner: 'gw-1', leaseMs: LEASE, now: T0 })).map((i) => i.key)).toEqual(['a']);
  });

  it('claims only the topics asked for, expired claims included', async () => {
    await store.inbox.enqueue({ topic: 'email.inbound', key: 'm1', payload: 1 });
    await store.inbox.enqueue({ topic: 'slack.events', key: 'e1', payload: 2 });
    await store.inbox.enqueue({ topic: 'alerts.dispatch', key: 'a1', payload: 3 });
    expect((await claim('gone', T0, 10, ['email.inbound'])).map((i) => i.key)).toEqual(['m1']);
    const later = T0 + LEASE + 1;
    expect((await claim('gw-2', later, 10, ['slack.events', 'alerts.dispatch'])).map((i) => i.key)).toEqual(['e1', 'a1']);
    expect((await claim('gw-2', later, 10, ['email.inbound'])).map((i) => [i.key, i.attempt])).toEqual([['m1', 2]]);
  });

  it('leaves an item enqueued for later until it is due', async () => {
    await store.inbox.enqueue({ topic: 'slack.events', key: 'later', payload: 1 }, T0 + 1_000);
    expect(await claim('gw-1', T0 + 999)).toEqual([]);
    expect((await claim('gw-1', T0 + 1_000)).map((i) => i.key)).toEqual(['later']);
  });

  it('takes over a claim once its lease has ended, not before, counting the delivery', async () => {
    await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: 1 });
    const [item] = await claim('crashed', T0);
    expect(await claim('gw-2', T0 + LEASE - 1)).toEqual([]);
    expect(await claim('gw-2', T0 + LEASE)).toEqual([]); // the lease runs until T0 + LEASE inclusive
    const [taken] = await claim('gw-2', T0 + LEASE + 1);
    expect(taken).toMatchObject({ id: item!.id, attempt: 2, payload: 1 });
    expect((await rows())[0]).toMatchObject({ owner: 'gw-2', lease_until: T0 + LEASE + 1 + LEASE });
  });

  it('refuses a claim without topics, with a bad topic or without an owner', async () => {
    await expect(store.inbox.claim({ topics: [], owner: 'gw', leaseMs: LEASE, now: T0 })).rejects.toMatchObject({ code: 'KORA_ERR_INBOX_INVALID' });
    await expect(store.inbox.claim({ topics: ['nodot'], owner: 'gw', leaseMs: LEASE, now: T0 })).rejects.toMatchObject({ code: 'KORA_ERR_INBOX_INVALID' });
    await expect(store.inbox.claim({ topics: ['slack.events'], owner: '', leaseMs: LEASE, now: T0 })).rejects.toMatchObject({ code: 'KORA_ERR_INBOX_INVALID' });
    await expect(store.inbox.claim({ topics: ['slack.events'], owner: 'gw', leaseMs: 0, now: T0 })).rejects.toMatchObject({ code: 'KORA_ERR_STORE' });
  });
});

describe('a claim’s owner', () => {
  it('is the only one who can renew, complete or fail it; a lost claim is a no-op returning false', async () => {
    await store.inbox.enqueue({ topic: 'slack.events', key: 'Ev01', payload: 1 });
    const [item] = await claim('slow', T0);
    const id = item!.id;
    expect(await store.inbox.renew([id], 'other', T0 + 10 * LEASE)).toEqual([]);
    expect(await store.inbox.complete(id, 'other')).toBe(false);
    expect(await store.inbox.fail(id, 'other', { error: 'boom', dead: true })).toBe(false);
    expect((await rows())[0]).toMatchObject({ status: 'claimed', owner: 'slow', lease_until: T0 + LEASE });

    expect(await store.inbox.renew([id], 'slow', T0 + 2 * LEASE)).toEqual([id]);
    expect(await claim('gw-2', T0 + LEASE + 1)).toEqual([]); // renewed: not taken over
    // The slow owner misses its next renewal: gw-2 takes the item over, and the slow one can write nothing.
    const [taken] = await claim('gw-2', T0 + 2 * LEASE + 1);
    expect(taken?.id).toBe(id);
    expect(await store.inbox.renew([id], 'slow', T0 + 5 * LEASE)).toEqual([]);
    expect(await store.inbox.complete(id, 'slow')).toBe(false);
    expect(await store.inbox.fail(id, 'slow', { error: 'late', retryAt: T0 })).toBe(false);
    expect((await rows())[0]).toMatchObject({ status: 'claimed', owner: 'gw-2' });

    expect(await store.inbox.complete(id, 'gw-2')).toBe(true);
    expect(await store.inbox.complete(id, 'gw-2')).toBe(false);
    expect((await rows())[0]).toMatchObject({ status: 'done', payload: null, lease_until: null });
  });

  it('renews several claims at once and says which it still holds', async () => {
    for (const key of ['a', 'b']) await store.inbox.enqueue({ topic: 'slack.events', key, payload: key });
    const [a, b] = await claim('gw-1', T0);
    expect(await store.inbox.complete(a!.id, 'gw-1')).toBe(true);
    expect(await store.inbox.renew([a!.id, b!.id, 999], 'gw-1', T0 + 5 * LEASE)).toEqual([b!.id]);
    expect((await rows())[1]).toMatchObject({ lease_until: T0 + 5 * LEASE });
  });
});

describe('inbox.stats', () => {
  it('counts per topic the items pending (due or backing off), in flight and dead, but not the done ones', async () => {
    expect(await store.inbox.stats()).toEqual({});
    for (const key of ['a', 'b', 'c', 'd', 'e']) await store.inbox.enqueue({ topic: 'slack.events', key, payload: key });
    await store.inbox.enqueue({ topic: 'email.inbound', key: 'm', payload: 1 });
    const [a, b, c, d] = await claim('gw-1', T0, 4);
    await store.inbox.complete(a!.id, 'gw-1');
    await store.inbox.fail(b!.id, 'gw-1', { error: 'later', retryAt: T0 + 60_000 });
    await store.inbox.fail(c!.id, 'gw-1', { error: 'never', dead: true });
    expect(d).toBeDefined();
    expect(await store.inbox.stats()).toEqual({
      'email.inbound': { pending: 1, inFlight: 0, dead: 0 },
      'slack.events': { pending: 2, inFlight: 1, dead: 1 },
    });
  });
});
