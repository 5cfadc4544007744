// Every run has a deadline: past it the run is recorded `timeout` and its signal aborted.
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRunContext } from '../daemons/types.js';
import { TimeoutError } from '../errors.js';
import { at, harness, iso, recorder, sleep, task, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('timeout', () => {
  it('aborts the run\'s signal and records `timeout`; the next slot runs as usual', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const signals: AbortSignal[] = [];
    const r = recorder(h.clock, async (ctx) => {
      signals.push(ctx.signal);
      if (signals.length === 1) await sleep(h.clock, 10 * MINUTE, ctx.signal);
    });
    await h.scheduler.add('d1', [task('t', { every: MINUTE, timeoutMs: 5 * SECOND, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:04.999Z'));
    expect(signals[0]?.aborted).toBe(false);
    await h.clock.advance(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
    expect((signals[0]?.reason as TimeoutError).code).toBe('KORA_ERR_TASK_TIMEOUT');
    const [row] = await h.rows('t');
    expect(row).toMatchObject({ slot: at('2026-01-01T10:01:00Z'), status: 'timeout', durationMs: 5 * SECOND, error: 'task "t" timed out after 5s' });

    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z']);
    expect((await h.rows('t')).map((x) => x.status)).toEqual(['timeout', 'ok']);
    expect(h.scheduler.status()[0]).toMatchObject({ runs: 2, failures: 1, running: false });
  });

  it('keeps a run that ignores its signal marked running, so its next slots are skipped, not run alongside', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock, (ctx) => (ctx.slot === at('2026-01-01T10:01:00Z') ? sleep(h.clock, 150 * SECOND) : undefined));
    await h.scheduler.add('d1', [task('stubborn', { every: MINUTE, timeoutMs: 5 * SECOND, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:10Z'));
    expect(h.scheduler.status()[0]).toMatchObject({ running: true, lastRun: { status: 'timeout' } });
    await h.clock.advanceTo(at('2026-01-01T10:04:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:04:00.000Z']);
    expect((await h.rows('stubborn')).map((x) => [iso(x.slot).slice(11, 16), x.status])).toEqual([
      ['10:01', 'timeout'],
      ['10:02', 'skipped_overlap'],
      ['10:03', 'skipped_overlap'],
      ['10:04', 'ok'],
    ]);
  });

  it('gives a signal that is already aborted to a run that reads it only after its timeout', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    let late: TaskRunContext | undefined;
    await h.scheduler.add('d1', [
      task('lazy', {
        every: MINUTE,
        timeoutMs: SECOND,
        run: async (ctx) => {
          late = ctx;
          await sleep(h.clock, 2 * SECOND);
        },
      }),
    ]);
    await h.clock.advanceTo(at('2026-01-01T10:01:01.500Z'));
    expect(late?.signal.aborted).toBe(true);
    expect(late?.signal.reason).toBeInstanceOf(TimeoutError);
  });
});
