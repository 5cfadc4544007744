// When a task first runs, and that it keeps to its slot grid from then on.
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { at, harness, iso, recorder, sleep, task, DAY, HOUR, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('first run', () => {
  it('is the next midnight UTC for a daily task started at 10:00, not 24 h later', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('daily', { every: DAY, run: r.run })]);
    expect(h.scheduler.status()[0]?.nextRun).toBe('2026-01-02T00:00:00.000Z');
    await h.clock.advanceTo(at('2026-01-01T23:59:59.999Z'));
    expect(r.calls).toHaveLength(0);
    await h.clock.advanceTo(at('2026-01-02T00:00:00Z'));
    expect(r.slots()).toEqual(['2026-01-02T00:00:00.000Z']);
    expect(r.calls[0]?.at).toBe(at('2026-01-02T00:00:00Z'));
  });

  it('is 10:05:00 for a 5-minute task started at 10:02:30', async () => {
    h = await harness({ start: '2026-01-01T10:02:30Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:16:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T10:05:00.000Z', '2026-01-01T10:10:00.000Z', '2026-01-01T10:15:00.000Z']);
  });

  it('is the next slot, not this one, when started exactly on a slot', async () => {
    h = await harness({ start: '2026-01-01T10:05:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, run: r.run })]);
    await h.clock.advance(5 * MINUTE);
    expect(r.slots()).toEqual(['2026-01-01T10:10:00.000Z']);
  });

  it('is right away as well with runOnStart, recorded at the slot at or before now', async () => {
    h = await harness({ start: '2026-01-01T10:02:30Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, runOnStart: true, run: r.run })]);
    await h.clock.advance(0);
    expect(r.calls).toEqual([expect.objectContaining({ slot: at('2026-01-01T10:00:00Z'), at: at('2026-01-01T10:02:30Z') })]);
    await h.clock.advanceTo(at('2026-01-01T10:05:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T10:05:00.000Z']);
    expect((await h.rows('five')).map((row) => [iso(row.slot), row.status])).toEqual([
      ['2026-01-01T10:00:00.000Z', 'ok'],
      ['2026-01-01T10:05:00.000Z', 'ok'],
    ]);
  });

  it('follows the offset', async () => {
    h = await harness({ start: '2026-01-01T10:20:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('hourly', { every: HOUR, offset: 15 * MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T12:20:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T11:15:00.000Z', '2026-01-01T12:15:00.000Z']);
  });

  it('follows a cron expression in its time zone', async () => {
    h = await harness({ start: '2026-06-30T12:00:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('berlin', { cron: '0 9 * * *', timezone: 'Europe/Berlin', run: r.run })]);
    expect(h.scheduler.status()[0]).toMatchObject({ schedule: 'cron 0 9 * * * (Europe/Berlin)', nextRun: '2026-07-01T07:00:00.000Z' });
    await h.clock.advanceTo(at('2026-07-02T12:00:00Z'));
    // 09:00 in Berlin is 07:00 UTC in summer.
    expect(r.slots()).toEqual(['2026-07-01T07:00:00.000Z', '2026-07-02T07:00:00.000Z']);
  });
});

describe('fixed rate', () => {
  it('starts every run on its slot however long the previous one took: no drift', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock, () => sleep(h.clock, 7 * SECOND));
    await h.scheduler.add('d1', [task('slow', { every: 10 * SECOND, run: r.run })]);
    await h.clock.advance(60 * SECOND);
    expect(r.calls).toHaveLength(6);
    for (const call of r.calls) expect(call.at).toBe(call.slot);
    expect(r.calls.map((c) => c.slot - at('2026-01-01T10:00:00Z'))).toEqual([10, 20, 30, 40, 50, 60].map((s) => s * SECOND));
    const rows = await h.rows('slow');
    expect(rows.slice(0, 5).map((row) => [row.status, row.durationMs])).toEqual(Array(5).fill(['ok', 7 * SECOND]));
  });

  it('keeps to the grid when runs finish at odd times, with one timer for all tasks', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const a = recorder(h.clock, () => sleep(h.clock, 1234));
    const b = recorder(h.clock, () => sleep(h.clock, 333));
    await h.scheduler.add('d1', [task('a', { every: 3 * SECOND, run: a.run }), task('b', { every: 2 * SECOND, offset: 500, run: b.run })]);
    // One scheduler timer (the tasks' sleeps are their own).
    expect(h.clock.pending).toBe(1);
    await h.clock.advance(12 * SECOND);
    expect(a.calls.map((c) => (c.slot % 60_000) / SECOND)).toEqual([3, 6, 9, 12]);
    expect(b.calls.map((c) => (c.slot % 60_000) / SECOND)).toEqual([0.5, 2.5, 4.5, 6.5, 8.5, 10.5]);
    for (const call of [...a.calls, ...b.calls]) expect(call.at).toBe(call.slot);
  });
});

describe('wake grid (timer slack)', () => {
  it('starts a slot that is off the 2 ms grid at the next grid point: late by under 2 ms, never early', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('odd', { every: SECOND, offset: 1, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:00:00.001Z'));
    expect(r.calls).toHaveLength(0);
    await h.clock.advanceTo(at('2026-01-01T10:00:00.002Z'));
    expect(r.slots()).toEqual(['2026-01-01T10:00:00.001Z']);
    expect(r.calls[0]?.at).toBe(at('2026-01-01T10:00:00.002Z'));
  });

  it('refuses a granularity that is not a whole number of ms from 1 to 1000', async () => {
    h = await harness();
    const { Scheduler } = await import('./scheduler.js');
    for (const wakeGranularityMs of [0, 1.5, 5000]) {
      expect(() => new Scheduler({ clock: h.clock, ledger: h.store.ledger, logger: createSilentLogger(), owner: 'x', wakeGranularityMs })).toThrow(/wakeGranularityMs/);
    }
  });
});
