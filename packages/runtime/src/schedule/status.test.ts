// status(): what the gateway shows per task; onChange: when it should rewrite its status file.
import { afterEach, describe, expect, it } from 'vitest';
import { at, harness, sleep, task, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('status', () => {
  it('shows schedule, next run, last run, counters and whether a run is going', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    await h.scheduler.add('d1', [
      task('t', {
        pluginId: 'p9',
        every: MINUTE,
        timeoutMs: 5 * MINUTE,
        run: async (ctx) => {
          if (ctx.slot === at('2026-01-01T10:02:00Z')) throw new Error('boom');
          if (ctx.slot === at('2026-01-01T10:03:00Z')) await sleep(h.clock, 90 * SECOND);
        },
      }),
    ]);
    expect(h.scheduler.status()).toEqual([
      {
        name: 't',
        daemon: 'd1',
        pluginId: 'p9',
        schedule: 'every 1m',
        enabled: true,
        nextRun: '2026-01-01T10:01:00.000Z',
        lastRun: null,
        runs: 0,
        failures: 0,
        skips: 0,
        misses: 0,
        running: false,
      },
    ]);
    await h.clock.advanceTo(at('2026-01-01T10:03:30Z'));
    expect(h.scheduler.status()[0]).toMatchObject({
      nextRun: '2026-01-01T10:04:00.000Z',
      lastRun: { slot: '2026-01-01T10:03:00.000Z', startedAt: '2026-01-01T10:03:00.000Z', status: 'running', durationMs: null, error: null },
      runs: 3,
      failures: 1,
      running: true,
    });
    await h.clock.advanceTo(at('2026-01-01T10:04:00Z'));
    expect(h.scheduler.status()[0]).toMatchObject({
      lastRun: { slot: '2026-01-01T10:04:00.000Z', startedAt: null, status: 'skipped_overlap', durationMs: null, error: 'the run for 2026-01-01T10:03:00.000Z was still going' },
      skips: 1,
      running: true,
    });
    await h.clock.advanceTo(at('2026-01-01T10:04:30Z'));
    expect(h.scheduler.status()[0]).toMatchObject({
      lastRun: { slot: '2026-01-01T10:03:00.000Z', status: 'ok', durationMs: 90 * SECOND },
      runs: 3,
      failures: 1,
      skips: 1,
      running: false,
    });
  });

  it('calls onChange after each row is recorded: runs, skips and misses', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    await h.scheduler.add('d1', [task('a', { every: MINUTE, timeoutMs: 5 * MINUTE, run: (ctx) => (ctx.slot === at('2026-01-01T10:01:00Z') ? sleep(h.clock, 70 * SECOND) : undefined) }), task('b', { every: 2 * MINUTE })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    // a@10:01 finishes at 10:02:10; a@10:02 is skipped; b@10:02 runs.
    expect(h.changes.sort()).toEqual(['a', 'b']);
    await h.clock.advanceTo(at('2026-01-01T10:02:10Z'));
    expect(h.changes.sort()).toEqual(['a', 'a', 'b']);
    h.clock.jump(3 * MINUTE);
    await h.clock.advance(0);
    // a: a missed row and a run; b: a run.
    expect(h.changes.filter((t) => t === 'a')).toHaveLength(4);
    expect(h.changes.filter((t) => t === 'b')).toHaveLength(2);
    expect(h.changes).toHaveLength((await h.rows()).length);
  });
});
