// The wall clock stepping (NTP, an operator setting the date, a VM resumed) is noticed by
// comparing it with monotonic time, logged with its size, and no slot is silently skipped.
import { afterEach, describe, expect, it } from 'vitest';
import { at, harness, iso, MonotonicTimerClock, recorder, task, HOUR, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const summary = async (name: string) => (await h.rows(name)).map((r) => [iso(r.slot).slice(11, 16), r.status, r.count ?? null]);
const warnings = (pattern: RegExp) => h.logs.filter((l) => l.level >= 40 && pattern.test(l.msg));

async function ranBefore(name: string, slot: string) {
  const s = at(slot);
  await h.store.ledger.claim({ task: name, daemon: 'd1', slot: s, startedAt: s, owner: 'gw-before' });
  await h.store.ledger.complete(name, s, { status: 'ok', finishedAt: s + 10, durationMs: 10, error: null });
}

describe('a forward step of the wall clock', () => {
  it('is the stall path: the slots it passed over are one `missed` row, saying the clock stepped, and the latest runs', async () => {
    h = await harness({ start: '2026-01-01T10:00:30Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    h.clock.setWall(at('2026-01-01T12:00:30Z'));
    await h.clock.advance(0);
    expect(r.slots()).toEqual(['2026-01-01T12:00:00.000Z']);
    expect(await summary('minutely')).toEqual([
      ['11:59', 'missed', 119],
      ['12:00', 'ok', null],
    ]);
    expect((await h.rows('minutely'))[0]?.error).toBe('119 slots missed: the wall clock stepped forward by 2h (clock change or machine sleep)');
    expect(warnings(/^scheduler: the wall clock stepped forward by 2h /)).toEqual([expect.objectContaining({ stepMs: 2 * HOUR })]);
    await h.clock.advanceTo(at('2026-01-01T12:01:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T12:00:00.000Z', '2026-01-01T12:01:00.000Z']);
  });

  it('is told from a stall when the timers count monotonic time, as Node\'s do: noticed at the next wake-up', async () => {
    let wall: MonotonicTimerClock | undefined;
    h = await harness({ start: '2026-01-01T10:00:30Z', clock: (manual) => (wall = new MonotonicTimerClock(manual)) });
    const r = recorder({ now: () => wall?.now() ?? NaN });
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    wall?.stepWall(2 * HOUR);
    await h.clock.advance(29 * SECOND);
    expect(r.calls).toHaveLength(0);
    await h.clock.advance(SECOND);
    expect(r.slots()).toEqual(['2026-01-01T12:01:00.000Z']);
    expect(await summary('minutely')).toEqual([
      ['12:00', 'missed', 120],
      ['12:01', 'ok', null],
    ]);
    expect((await h.rows('minutely'))[0]?.error).toBe('120 slots missed: the wall clock stepped forward by 2h (clock change or machine sleep)');
  });

  it('does not time out a run that has not run for long: its deadline moves with the step', async () => {
    let wall: MonotonicTimerClock | undefined;
    h = await harness({ start: '2026-01-01T10:09:30Z', clock: (manual) => (wall = new MonotonicTimerClock(manual)) });
    await h.scheduler.add('d1', [task('slow', { every: 10 * MINUTE, timeoutMs: 5 * MINUTE, run: () => new Promise(() => undefined) })]);
    await h.clock.advanceTo(at('2026-01-01T10:11:00Z'));
    wall?.stepWall(3 * HOUR);
    await h.clock.advance(2 * MINUTE);
    const slot = async () => (await h.rows('slow')).find((x) => x.slot === at('2026-01-01T10:10:00Z'));
    expect((await slot())?.status).toBe('running');
    await h.clock.advance(2 * MINUTE);
    expect(await slot()).toMatchObject({ status: 'timeout', durationMs: 5 * MINUTE });
  });
});

describe('a backward step of the wall clock', () => {
  it('with Node-like timers, plans every task again from the new time: it keeps running instead of waiting for the old time to come back', async () => {
    let wall: MonotonicTimerClock | undefined;
    h = await harness({ start: '2026-01-01T10:00:30Z', clock: (manual) => (wall = new MonotonicTimerClock(manual)) });
    const r = recorder({ now: () => wall?.now() ?? NaN });
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:30Z'));
    wall?.stepWall(-2 * HOUR);
    await h.clock.advance(5 * MINUTE);
    expect(r.slots()).toEqual(['10:01', '10:02', '08:03', '08:04', '08:05', '08:06', '08:07'].map((hm) => `2026-01-01T${hm}:00.000Z`));
    expect(warnings(/^scheduler: the wall clock stepped back by 2h /)).toEqual([expect.objectContaining({ stepMs: -2 * HOUR, tasks: 1 })]);
    expect(h.scheduler.status()[0]).toMatchObject({ nextRun: '2026-01-01T08:08:00.000Z', misses: 0 });
  });

  it('does not run again a slot that already has a ledger row, and says so once per task', async () => {
    let wall: MonotonicTimerClock | undefined;
    h = await harness({ start: '2026-01-01T10:00:30Z', clock: (manual) => (wall = new MonotonicTimerClock(manual)) });
    // The clock was set wrongly ahead and the task ran at 10:01 and 10:02; NTP then fixes the clock
    // back to 09:59:30... and later, 10:01 and 10:02 come round again.
    const r = recorder({ now: () => wall?.now() ?? NaN });
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:30Z'));
    wall?.stepWall(-3 * MINUTE);
    await h.clock.advance(4 * MINUTE);
    expect(r.slots()).toEqual(['10:01', '10:02', '10:00', '10:03'].map((hm) => `2026-01-01T${hm}:00.000Z`));
    expect(await summary('minutely')).toEqual([
      ['10:00', 'ok', null],
      ['10:01', 'ok', null],
      ['10:02', 'ok', null],
      ['10:03', 'ok', null],
    ]);
    expect(warnings(/already has a ledger row from before the wall clock stepped back/)).toEqual([
      expect.objectContaining({ task: 'minutely', slot: '2026-01-01T10:01:00.000Z', msg: expect.stringMatching(/^task "minutely": slot 2026-01-01T10:01:00.000Z already has/) }),
    ]);
    expect(warnings(/stepped back by 3m/)).toHaveLength(1);
  });

  it('with ManualClock\'s wall-clock timers, is noticed when the timer fires, logged with its size, and nothing runs twice or is counted missed', async () => {
    h = await harness({ start: '2026-01-01T10:00:30Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:30Z'));
    h.clock.setWall(at('2026-01-01T10:00:30Z'));
    await h.clock.advanceTo(at('2026-01-01T10:05:00Z'));
    expect(r.slots()).toEqual(['10:01', '10:02', '10:03', '10:04', '10:05'].map((hm) => `2026-01-01T${hm}:00.000Z`));
    expect(warnings(/^scheduler: the wall clock stepped back by 2m /)).toHaveLength(1);
    expect(h.scheduler.status()[0]).toMatchObject({ misses: 0, runs: 5 });
  });

  it('keeps a run\'s timeout at its real length', async () => {
    let wall: MonotonicTimerClock | undefined;
    h = await harness({ start: '2026-01-01T10:09:30Z', clock: (manual) => (wall = new MonotonicTimerClock(manual)) });
    await h.scheduler.add('d1', [task('slow', { every: 10 * MINUTE, timeoutMs: 5 * MINUTE, run: () => new Promise(() => undefined) })]);
    await h.clock.advanceTo(at('2026-01-01T10:11:00Z'));
    wall?.stepWall(-HOUR);
    await h.clock.advanceTo(at('2026-01-01T10:15:00Z'));
    expect(await summary('slow')).toEqual([['10:10', 'timeout', null]]);
    expect((await h.rows('slow'))[0]?.durationMs).toBe(5 * MINUTE);
  });

  it('after a restart with the clock behind the ledger, misses nothing and says why the slots with rows do not run', async () => {
    h = await harness({ start: '2026-01-01T09:00:30Z' });
    await ranBefore('five', '2026-01-01T09:05:00Z');
    await ranBefore('five', '2026-01-01T09:10:00Z');
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, missed: 'run-once', run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T09:15:30Z'));
    expect(r.slots()).toEqual(['2026-01-01T09:15:00.000Z']);
    expect(h.scheduler.status()[0]).toMatchObject({ misses: 0, runs: 1 });
    expect(warnings(/^task \S+: the ledger's latest row is for 2026-01-01T09:10:00.000Z, after the current time/)).toHaveLength(1);
    expect(warnings(/slot 2026-01-01T09:05:00.000Z already has a ledger row/)).toHaveLength(1);
    expect(warnings(/slot 2026-01-01T09:10:00.000Z already has a ledger row/)).toHaveLength(0);
  });
});

describe('not a step', () => {
  it('is a difference of under a second between the wall clock and monotonic time, or a stall (both move)', async () => {
    h = await harness({ start: '2026-01-01T10:00:30Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('minutely', { every: MINUTE, run: r.run })]);
    h.clock.setWall(h.clock.now() - 900);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    h.clock.jump(3 * MINUTE);
    await h.clock.advance(0);
    expect(warnings(/wall clock stepped/)).toEqual([]);
    expect(r.slots()).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:04:00.000Z']);
    expect((await h.rows('minutely')).find((x) => x.status === 'missed')?.error).toBe('2 slots missed: the scheduler fell 2m behind (event loop stall or machine sleep)');
  });
});
