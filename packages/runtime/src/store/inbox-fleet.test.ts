// The inbox consumed once across gateways sharing a database (DESIGN §7): several stores claim
// from one inbox at once, in batches, and every item is delivered to exactly one of them. On
// PostgreSQL the claims pick rows with FOR UPDATE SKIP LOCKED; on SQLite they take turns.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/clock.js';
import { openShared } from './test-stores.test-helper.js';

const T0 = Date.UTC(2026, 0, 1);
const TOPIC = 'fleet.jobs';

describe('the inbox across gateways', () => {
  it('delivers each of 300 items to exactly one of three gateways claiming at once', async () => {
    const clock = new ManualClock(T0);
    const shared = await openShared(3, { clock });
    try {
      const [producer] = shared.stores;
      for (let i = 0; i < 300; i++) await producer!.inbox.enqueue({ topic: TOPIC, key: `k${i}`, payload: i }, T0);
      const got = new Map<string, string[]>();
      await Promise.all(
        shared.stores.map(async (store, g) => {
          const owner = `gw-${g}`;
          for (;;) {
            const items = await store.inbox.claim({ topics: [TOPIC], owner, leaseMs: 30_000, now: T0 + 1, limit: 7 });
            if (items.length === 0) return;
            for (const item of items) {
              got.set(item.key, [...(got.get(item.key) ?? []), owner]);
              expect(await store.inbox.complete(item.id, owner)).toBe(true);
            }
          }
        }),
      );
      expect(got.size).toBe(300);
      expect([...got.values()].filter((owners) => owners.length !== 1)).toEqual([]);
      expect(await producer!.inbox.stats()).toEqual({});
    } finally {
      await shared.close();
    }
  });

  it('lets another gateway take over an item only once the claim’s lease ended', async () => {
    const clock = new ManualClock(T0);
    const shared = await openShared(2, { clock });
    try {
      const [a, b] = shared.stores as [NonNullable<(typeof shared.stores)[0]>, NonNullable<(typeof shared.stores)[0]>];
      await a.inbox.enqueue({ topic: TOPIC, key: 'only', payload: 1 }, T0);
      expect(await a.inbox.claim({ topics: [TOPIC], owner: 'gw-a', leaseMs: 10_000, now: T0 })).toHaveLength(1);
      expect(await b.inbox.claim({ topics: [TOPIC], owner: 'gw-b', leaseMs: 10_000, now: T0 + 10_000 })).toEqual([]);
      const [taken] = await b.inbox.claim({ topics: [TOPIC], owner: 'gw-b', leaseMs: 10_000, now: T0 + 10_001 });
      expect(taken).toMatchObject({ key: 'only', attempt: 2 });
      // The gateway that lost it cannot complete it over the one that took it.
      expect(await a.inbox.complete(taken!.id, 'gw-a')).toBe(false);
      expect(await b.inbox.complete(taken!.id, 'gw-b')).toBe(true);
    } finally {
      await shared.close();
    }
  });
});
