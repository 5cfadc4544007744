// A run still going when its next slot is due: that slot is skipped and recorded, never run alongside.
import { afterEach, describe, expect, it } from 'vitest';
import { at, harness, iso, recorder, sleep, task, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('overlap', () => {
  it('records the slots that fall due during a run as skipped_overlap and runs the next free one', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    let concurrent = 0;
    let maxConcurrent = 0;
    const r = recorder(h.clock, async () => {
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await sleep(h.clock, 25 * SECOND);
      concurrent--;
    });
    await h.scheduler.add('d1', [task('long', { every: 10 * SECOND, timeoutMs: 60 * SECOND, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:00:40Z'));
    expect(maxConcurrent).toBe(1);
    expect(r.slots()).toEqual(['2026-01-01T10:00:10.000Z', '2026-01-01T10:00:40.000Z']);
    const rows = await h.rows('long');
    expect(rows.map((row) => [iso(row.slot).slice(11, 19), row.status])).toEqual([
      ['10:00:10', 'ok'],
      ['10:00:20', 'skipped_overlap'],
      ['10:00:30', 'skipped_overlap'],
      ['10:00:40', 'running'],
    ]);
    expect(rows[1]).toMatchObject({ startedAt: null, durationMs: null, error: 'the run for 2026-01-01T10:00:10.000Z was still going', owner: 'gw-test' });
    expect(h.scheduler.status()[0]).toMatchObject({ runs: 2, skips: 2, failures: 0, running: true });
  });

  it('does not let one task\'s long run hold up another task', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const slow = recorder(h.clock, () => sleep(h.clock, 25 * SECOND));
    const quick = recorder(h.clock);
    await h.scheduler.add('d1', [task('slow', { every: 10 * SECOND, timeoutMs: 60 * SECOND, run: slow.run }), task('quick', { every: 10 * SECOND, run: quick.run })]);
    await h.clock.advance(30 * SECOND);
    expect(quick.calls).toHaveLength(3);
    expect(slow.calls).toHaveLength(1);
  });
});
