// Slots that pass while nothing could run them are never silent: one `missed` row per gap, and
// the task's missed policy decides whether the latest runs late.
import { afterEach, describe, expect, it } from 'vitest';
import type { MissedPolicy } from '../daemons/types.js';
import { at, harness, iso, recorder, task, HOUR, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

async function ranBefore(task: string, slot: string) {
  const s = at(slot);
  await h.store.ledger.claim({ task, daemon: 'd1', slot: s, startedAt: s, owner: 'gw-before' });
  await h.store.ledger.complete(task, s, { status: 'ok', finishedAt: s + 10, durationMs: 10, error: null });
}

const summary = async (name: string) => (await h.rows(name)).map((r) => [iso(r.slot).slice(11, 16), r.status, r.count ?? null]);

describe('missed after a restart', () => {
  it('with missed: skip, records one `missed` row for all the slots since the last one, and runs nothing now', async () => {
    h = await harness({ start: '2026-01-01T09:37:00Z' });
    await ranBefore('five', '2026-01-01T09:00:00Z');
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, missed: 'skip', run: r.run })]);
    await h.clock.advance(0);
    expect(r.calls).toHaveLength(0);
    expect(await summary('five')).toEqual([
      ['09:00', 'ok', null],
      ['09:35', 'missed', 7],
    ]);
    const [, missed] = await h.rows('five');
    expect(missed).toMatchObject({ error: '7 slots missed while the gateway was down', owner: 'gw-test', startedAt: null });
    expect(h.scheduler.status()[0]).toMatchObject({ misses: 7, runs: 0, nextRun: '2026-01-01T09:40:00.000Z', lastRun: { status: 'missed' } });
    await h.clock.advanceTo(at('2026-01-01T09:40:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T09:40:00.000Z']);
  });

  it('with missed: run-once, runs the latest missed slot right away and records the ones before it', async () => {
    h = await harness({ start: '2026-01-01T09:00:00Z' });
    await ranBefore('two-hourly', '2026-01-01T00:00:00Z');
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('two-hourly', { every: 2 * HOUR, missed: 'run-once', run: r.run })]);
    await h.clock.advance(0);
    expect(r.calls).toEqual([expect.objectContaining({ slot: at('2026-01-01T08:00:00Z'), at: at('2026-01-01T09:00:00Z') })]);
    expect(await summary('two-hourly')).toEqual([
      ['00:00', 'ok', null],
      ['06:00', 'missed', 3],
      ['08:00', 'ok', null],
    ]);
    expect((await h.rows('two-hourly'))[1]?.error).toBe(
      '3 slots missed while the gateway was down; slot 2026-01-01T08:00:00.000Z runs late instead (missed: run-once)',
    );
    expect(h.scheduler.status()[0]).toMatchObject({ misses: 3, runs: 1, nextRun: '2026-01-01T10:00:00.000Z' });
  });

  it('with missed: run-once and a single missed slot, runs it late; its own row shows when it started', async () => {
    h = await harness({ start: '2026-01-01T09:00:00Z' });
    await ranBefore('two-hourly', '2026-01-01T06:00:00Z');
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('two-hourly', { every: 2 * HOUR, missed: 'run-once', run: r.run })]);
    await h.clock.advance(0);
    expect(r.slots()).toEqual(['2026-01-01T08:00:00.000Z']);
    const rows = await h.rows('two-hourly');
    expect(rows.map((x) => [iso(x.slot).slice(11, 16), x.status])).toEqual([
      ['06:00', 'ok'],
      ['08:00', 'ok'],
    ]);
    expect(rows[1]?.startedAt).toBe(at('2026-01-01T09:00:00Z'));
  });

  it('with runOnStart, runs the current slot and records the earlier ones as missed', async () => {
    h = await harness({ start: '2026-01-01T09:37:00Z' });
    await ranBefore('five', '2026-01-01T09:00:00Z');
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, missed: 'skip', runOnStart: true, run: r.run })]);
    await h.clock.advance(0);
    expect(r.slots()).toEqual(['2026-01-01T09:35:00.000Z']);
    expect(await summary('five')).toEqual([
      ['09:00', 'ok', null],
      ['09:30', 'missed', 6],
      ['09:35', 'ok', null],
    ]);
  });

  it('records nothing for a task the ledger has never seen, or one whose current slot already has a row', async () => {
    h = await harness({ start: '2026-01-01T09:37:00Z' });
    await ranBefore('recent', '2026-01-01T09:35:00Z');
    await h.scheduler.add('d1', [task('fresh', { every: 5 * MINUTE, missed: 'run-once' }), task('recent', { every: 5 * MINUTE, missed: 'run-once' })]);
    await h.clock.advance(0);
    expect(await h.rows('fresh')).toEqual([]);
    expect(await summary('recent')).toEqual([['09:35', 'ok', null]]);
  });

  it('counts the slots of a cron schedule', async () => {
    h = await harness({ start: '2026-01-01T10:05:00Z' });
    await ranBefore('cron', '2026-01-01T09:00:00Z');
    await h.scheduler.add('d1', [task('cron', { cron: '*/15 * * * *', missed: 'skip' })]);
    expect(await summary('cron')).toEqual([
      ['09:00', 'ok', null],
      ['10:00', 'missed', 4],
    ]);
  });
});

describe('missed while running (event loop stall, machine sleep)', () => {
  it.each<MissedPolicy>(['skip', 'run-once'])(
    'with missed: %s, records the slots the scheduler fell behind as `missed` and runs the latest, which is still in its period',
    async (missed) => {
      h = await harness({ start: '2026-01-01T10:00:30Z' });
      const r = recorder(h.clock);
      await h.scheduler.add('d1', [task('minutely', { every: MINUTE, missed, run: r.run })]);
      h.clock.jump(3.5 * MINUTE);
      await h.clock.advance(0);
      expect(r.calls).toEqual([expect.objectContaining({ slot: at('2026-01-01T10:04:00Z'), at: at('2026-01-01T10:04:00Z') })]);
      expect(await summary('minutely')).toEqual([
        ['10:03', 'missed', 3],
        ['10:04', 'ok', null],
      ]);
      expect((await h.rows('minutely'))[0]?.error).toBe('3 slots missed: the scheduler fell 3m behind (event loop stall or machine sleep)');
      expect(h.scheduler.status()[0]).toMatchObject({ misses: 3, runs: 1, nextRun: '2026-01-01T10:05:00.000Z' });
      await h.clock.advanceTo(at('2026-01-01T10:05:00Z'));
      expect(r.slots()).toEqual(['2026-01-01T10:04:00.000Z', '2026-01-01T10:05:00.000Z']);
    },
  );

  it('runs a slot late, and misses nothing, when the delay is shorter than the period', async () => {
    h = await harness({ start: '2026-01-01T10:00:30Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    h.clock.jump(70 * SECOND);
    await h.clock.advance(0);
    expect(r.calls).toEqual([expect.objectContaining({ slot: at('2026-01-01T10:01:00Z'), at: at('2026-01-01T10:01:40Z') })]);
    expect(await summary('minutely')).toEqual([['10:01', 'ok', null]]);
  });

  it('notices a long sleep within a minute of waking even when the next slot is hours away', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('six-hourly', { every: 6 * HOUR, missed: 'run-once', run: r.run })]);
    // The machine sleeps 20 h: the wall clock moves, the (monotonic) timer does not.
    h.clock.jump(20 * HOUR);
    await h.clock.advance(MINUTE);
    expect(r.slots()).toEqual(['2026-01-02T06:00:00.000Z']);
    expect(await summary('six-hourly')).toEqual([
      ['00:00', 'missed', 3],
      ['06:00', 'ok', null],
    ]);
  });
});
