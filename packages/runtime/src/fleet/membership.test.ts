// A gateway's membership of the fleet, on a real store (SQLite, and PostgreSQL shared by two
// members): registration and heartbeat, the lead taken and renewed, taken over only once the
// leader's lease expired, and given up by a leader that lost the store before anyone takes it.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { openShared, openTestStore, storeKind } from '../store/test-stores.test-helper.js';
import type { Store } from '../store/types.js';
import { ManualClock } from '../time/clock.js';
import { FleetMembership } from './membership.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 15_000;

function member(store: Store, clock: ManualClock, sessionId: string, events: string[]): FleetMembership {
  return new FleetMembership({
    store,
    clock,
    logger: createSilentLogger(),
    sessionId,
    startedAt: clock.now(),
    leaseMs: LEASE,
    heartbeatEveryMs: LEASE / 3,
    state: () => 'running',
    onLeadership: async (leading) => void events.push(`${sessionId}:${leading ? 'lead' : 'follow'}@${clock.now() - T0}`),
  });
}

describe('fleet membership', () => {
  it('registers, leads the store it has to itself at once (whoever an earlier session left holding the lease), heartbeats and leaves', async () => {
    const clock = new ManualClock(T0);
    const store = await openTestStore({ home: os.tmpdir(), url: 'sqlite::memory:', clock });
    try {
      const events: string[] = [];
      if (store.exclusive) await store.fleet.lead('earlier-session', T0, LEASE);
      const m = member(store, clock, 'gw-a', events);
      await m.join();
      expect(m.leading).toBe(true);
      expect(m.status()).toMatchObject({ leader: 'gw-a', leading: true, leaseMs: LEASE, heartbeatAt: new Date(T0).toISOString() });
      clock.jump(5_000);
      await m.beat();
      expect((await store.fleet.members())[0]).toMatchObject({ sessionId: 'gw-a', heartbeatAt: T0 + 5_000, state: 'running', host: os.hostname(), pid: process.pid });
      expect((await store.fleet.leadership())?.until).toBe(T0 + 5_000 + LEASE);
      await m.leave();
      expect(await store.fleet.leadership()).toBeNull();
      expect((await store.fleet.members())[0]).toMatchObject({ state: 'stopped', stoppedAt: T0 + 5_000 });
      expect(events).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.runIf(storeKind === 'postgres')('hands the lead to a follower only once the silent leader’s lease expired, then never back', async () => {
    const clock = new ManualClock(T0);
    const shared = await openShared(2, { clock });
    try {
      const events: string[] = [];
      const [a, b] = [member(shared.stores[0]!, clock, 'gw-a', events), member(shared.stores[1]!, clock, 'gw-b', events)];
      await a.join();
      await b.join();
      expect([a.leading, b.leading]).toEqual([true, false]);
      expect(b.status()).toMatchObject({ leader: 'gw-a', leading: false });
      // gw-a falls silent (SIGKILL): gw-b keeps beating, and takes the lead only after the lease.
      for (const t of [5_000, 10_000, LEASE]) {
        clock.jump(t - (clock.now() - T0));
        await b.beat();
        expect(b.leading).toBe(false);
      }
      clock.jump(1);
      await b.beat();
      expect(b.leading).toBe(true);
      expect(events).toEqual([`gw-b:lead@${LEASE + 1}`]);
      // gw-a comes back (it was stalled, not dead): it finds the lease taken and stays a follower.
      await a.beat();
      expect(a.leading).toBe(false);
      expect(events).toEqual([`gw-b:lead@${LEASE + 1}`, `gw-a:follow@${LEASE + 1}`]);
    } finally {
      await shared.close();
    }
  });

  it.runIf(storeKind === 'postgres')('steps a leader that cannot reach the store down a third of a lease before its lease ends, before anyone can take over', async () => {
    const clock = new ManualClock(T0);
    const shared = await openShared(2, { clock });
    try {
      const events: string[] = [];
      const [a, b] = [member(shared.stores[0]!, clock, 'gw-a', events), member(shared.stores[1]!, clock, 'gw-b', events)];
      await a.join();
      await b.join();
      await shared.stores[0]!.close(); // gw-a's store is gone: every call fails
      clock.jump(5_000);
      await a.beat();
      expect(a.leading).toBe(true);
      clock.jump(5_000);
      await a.beat();
      expect(a.leading).toBe(false);
      expect(events).toEqual(['gw-a:follow@10000']);
      // The lease still holds until 15 s: nobody has taken over meanwhile.
      await b.beat();
      expect(b.leading).toBe(false);
      clock.jump(5_001);
      await b.beat();
      expect(events).toEqual(['gw-a:follow@10000', 'gw-b:lead@15001']);
    } finally {
      await shared.close().catch(() => undefined);
    }
  });
});
