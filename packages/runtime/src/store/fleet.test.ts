// The fleet's rows on either database: registration and heartbeats, and the leadership lease
// that only one gateway can hold at a time, taken over only once it expired.
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './index.js';
import { openShared, openTestStore } from './test-stores.test-helper.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 15_000;

let store: Store;
beforeEach(async () => {
  store = await openTestStore({ home: os.tmpdir(), url: 'sqlite::memory:' });
});
afterEach(async () => {
  await store.close();
});

const member = (sessionId: string, at = T0) => ({ sessionId, host: 'web-1', pid: 4242, version: '0.1.0', startedAt: at, heartbeatAt: at, state: 'booting' });

describe('fleet membership', () => {
  it('registers a gateway, rewrites its heartbeat and state, and marks a clean stop', async () => {
    await store.fleet.register(member('gw-a'));
    expect(await store.fleet.heartbeat('gw-a', T0 + 5_000, 'running')).toBe(true);
    expect(await store.fleet.members()).toEqual([{ ...member('gw-a'), heartbeatAt: T0 + 5_000, state: 'running', stoppedAt: null }]);
    await store.fleet.leave('gw-a', T0 + 9_000);
    expect((await store.fleet.members())[0]).toMatchObject({ state: 'stopped', stoppedAt: T0 + 9_000, heartbeatAt: T0 + 9_000 });
  });

  it('says a heartbeat of a gateway without a row found nothing, so it registers again', async () => {
    expect(await store.fleet.heartbeat('never-registered', T0, 'running')).toBe(false);
  });

  it('lists the newest gateways first and prunes those silent since before a time', async () => {
    await store.fleet.register(member('old', T0));
    await store.fleet.register(member('new', T0 + 1_000));
    expect((await store.fleet.members()).map((m) => m.sessionId)).toEqual(['new', 'old']);
    expect(await store.fleet.prune({ before: T0 + 500 })).toBe(1);
    expect((await store.fleet.members()).map((m) => m.sessionId)).toEqual(['new']);
  });
});

describe('fleet leadership', () => {
  it('gives a free lease to the first gateway, renews it for its holder only, and keeps the time it was taken', async () => {
    expect(await store.fleet.lead('gw-a', T0, LEASE)).toEqual({ leading: true, leadership: { owner: 'gw-a', since: T0, until: T0 + LEASE } });
    expect(await store.fleet.lead('gw-b', T0 + 1_000, LEASE)).toEqual({ leading: false, leadership: { owner: 'gw-a', since: T0, until: T0 + LEASE } });
    expect(await store.fleet.lead('gw-a', T0 + 5_000, LEASE)).toEqual({ leading: true, leadership: { owner: 'gw-a', since: T0, until: T0 + 5_000 + LEASE } });
  });

  it('hands an expired lease to the next gateway that asks, and never before it expired', async () => {
    await store.fleet.lead('gw-a', T0, LEASE);
    expect((await store.fleet.lead('gw-b', T0 + LEASE, LEASE)).leading).toBe(false);
    expect(await store.fleet.lead('gw-b', T0 + LEASE + 1, LEASE)).toEqual({ leading: true, leadership: { owner: 'gw-b', since: T0 + LEASE + 1, until: T0 + 2 * LEASE + 1 } });
    // The old leader's renewal comes too late: it lost the lead.
    expect((await store.fleet.lead('gw-a', T0 + LEASE + 2, LEASE)).leading).toBe(false);
  });

  it('lets the holder resign, so another takes the lead at once; a resignation of a non-holder changes nothing', async () => {
    await store.fleet.lead('gw-a', T0, LEASE);
    expect(await store.fleet.resign('gw-b')).toBe(false);
    expect(await store.fleet.resign('gw-a')).toBe(true);
    expect(await store.fleet.leadership()).toBeNull();
    expect((await store.fleet.lead('gw-b', T0 + 1, LEASE)).leading).toBe(true);
  });

  it('takes the lead by force on a store one gateway has to itself, whoever an earlier session left holding it', async () => {
    await store.fleet.lead('earlier-session', T0, LEASE);
    expect(await store.fleet.lead('gw-now', T0 + 1, LEASE, { force: true })).toEqual({ leading: true, leadership: { owner: 'gw-now', since: T0 + 1, until: T0 + 1 + LEASE } });
  });

  it('gives the lease to exactly one of several gateways asking at once on a shared database', async () => {
    const shared = await openShared(3);
    try {
      for (let round = 0; round < 10; round++) {
        const now = T0 + round * (LEASE + 1);
        const outcomes = await Promise.all(shared.stores.map((s, i) => s.fleet.lead(`gw-${round}-${i}`, now, LEASE)));
        expect(outcomes.filter((o) => o.leading)).toHaveLength(1);
        const winner = outcomes.find((o) => o.leading)?.leadership?.owner;
        for (const o of outcomes) expect(o.leadership?.owner).toBe(winner);
      }
    } finally {
      await shared.close();
    }
  });
});
