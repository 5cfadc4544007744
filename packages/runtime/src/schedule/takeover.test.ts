// A run whose gateway died mid-run (its claim's lease expired while `running`) follows its task's
// missed-slot policy once the fleet's leader sweeps: run-once runs the slot again here, once;
// skip (or a slot a later one superseded) is marked interrupted, saying which gateway was gone.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { at, harness, iso, recorder, task, HOUR, SECOND, type Harness } from './__fixtures__/harness.js';

const LEASE = 15 * SECOND;
let h: Harness;
afterEach(async () => {
  await h.close();
});

// A claim as another gateway's ledger wrote it: held under a lease nobody here renews.
async function claimDead(name: string, slot: number): Promise<void> {
  await sql`insert into kora_runs (task, slot, daemon, status, started_at, owner, lease_until) values (${name}, ${slot}, 'd1', 'running', ${slot}, 'gw-dead', ${h.clock.now() + LEASE})`.execute(h.store.pluginDb('test'));
}

describe('runs of a gateway that is gone', () => {
  it('under missed: run-once, runs the slot again once its lease expired, claimed here so no other gateway does', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z', storeLeaseMs: LEASE });
    const slot = at('2026-01-01T10:00:00Z');
    await claimDead('hourly', slot);
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('hourly', { every: HOUR, missed: 'run-once', run: r.run })]);
    // Not before the lease ended: the gateway may be alive and renewing it.
    expect(await h.scheduler.sweepExpired()).toEqual({ takenOver: 0, interrupted: 0 });
    await h.clock.advance(LEASE + 1);
    expect(await h.scheduler.sweepExpired()).toEqual({ takenOver: 1, interrupted: 0 });
    await h.clock.advance(0);
    expect(r.slots()).toEqual([iso(slot)]);
    await h.clock.advance(10);
    const [row] = await h.rows('hourly');
    expect(row).toMatchObject({ slot, status: 'ok', owner: 'gw-test' });
    // A second sweep finds nothing: the slot ran once.
    expect(await h.scheduler.sweepExpired()).toEqual({ takenOver: 0, interrupted: 0 });
  });

  it('under missed: skip, or when a later slot has run since, marks the run interrupted and says why', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z', storeLeaseMs: LEASE });
    const slot = at('2026-01-01T10:00:00Z');
    await claimDead('often', slot);
    await claimDead('hourly', slot - HOUR);
    await h.store.ledger.note({ task: 'hourly', daemon: 'd1', slot, status: 'missed', startedAt: null, finishedAt: null, durationMs: null, error: 'x', owner: 'gw-x', count: 1 });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('often', { every: 10 * SECOND, missed: 'skip', run: r.run }), task('hourly', { every: HOUR, missed: 'run-once', run: r.run })]);
    await h.clock.advance(LEASE + 1);
    const before = r.calls.length;
    expect(await h.scheduler.sweepExpired()).toEqual({ takenOver: 0, interrupted: 2 });
    expect(r.calls.length).toBe(before);
    const often = (await h.rows('often')).find((x) => x.slot === slot);
    expect(often).toMatchObject({ status: 'interrupted', owner: 'gw-dead' });
    expect(often?.error).toMatch(/the gateway running it \(session gw-dead\) is gone: its lease expired before the run finished \(missed: skip\)/);
    expect((await h.rows('hourly'))[0]?.error).toMatch(/a later slot has run since/);
  });
});
