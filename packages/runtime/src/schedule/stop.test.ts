// remove() and stop(): scheduling ends, in-flight runs get a drain budget, then are aborted
// and recorded `interrupted`; no run starts afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonError } from '../errors.js';
import type { RunLedger } from '../store/types.js';
import { at, harness, recorder, sleep, task, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('remove', () => {
  it('stops one daemon\'s tasks, waits for its run in flight, and leaves the other daemons scheduled', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const a = recorder(h.clock, () => sleep(h.clock, 20 * SECOND));
    const b = recorder(h.clock);
    await h.scheduler.add('da', [task('a', { daemon: 'da', every: MINUTE, run: a.run })]);
    await h.scheduler.add('db', [task('b', { daemon: 'db', every: MINUTE, run: b.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:05Z'));
    let removed = false;
    const removing = h.scheduler.remove('da', 30 * SECOND).then(() => (removed = true));
    await h.clock.advance(10 * SECOND);
    expect(removed).toBe(false);
    await h.clock.advance(5 * SECOND);
    expect(removed).toBe(true);
    await removing;
    expect((await h.rows('a')).map((r) => r.status)).toEqual(['ok']);
    expect(h.scheduler.status().map((t) => t.name)).toEqual(['b']);
    await h.clock.advance(5 * MINUTE);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(6);
  });

  it('aborts a run still going after the drain budget and records it `interrupted`', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    let signal: AbortSignal | undefined;
    await h.scheduler.add('da', [
      task('hung', {
        daemon: 'da',
        every: MINUTE,
        run: (ctx) => {
          signal = ctx.signal;
          return new Promise(() => undefined);
        },
      }),
    ]);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    const removing = h.scheduler.remove('da', 5 * SECOND);
    await h.clock.advance(5 * SECOND);
    await removing;
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(DaemonError);
    expect(signal?.reason).toMatchObject({ code: 'KORA_ERR_TASK_INTERRUPTED', details: { daemon: 'da', task: 'hung' } });
    const [row] = await h.rows('hung');
    expect(row).toMatchObject({ status: 'interrupted', durationMs: 5 * SECOND });
    expect(row?.error).toMatch(/daemon "da" is stopping: task "hung" did not finish within the drain budget \(5s\) and was aborted/);
  });

  it('guarantees no run starts after it returns, even one whose slot was being claimed', async () => {
    let release: (() => void) | undefined;
    h = await harness({
      start: '2026-01-01T10:00:00Z',
      wrapLedger: (real): RunLedger => ({
        ...bound(real),
        claim: async (run) => {
          await new Promise<void>((resolve) => (release = resolve));
          return real.claim(run);
        },
      }),
    });
    const r = recorder(h.clock);
    await h.scheduler.add('da', [task('t', { daemon: 'da', every: MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    expect(release).toBeDefined();
    const removing = h.scheduler.remove('da', 0);
    release?.();
    await removing;
    await h.clock.advance(5 * MINUTE);
    expect(r.calls).toHaveLength(0);
    expect((await h.rows('t')).map((x) => [x.status, x.error])).toEqual([['interrupted', 'not started: its daemon stopped while the slot was being claimed']]);
  });

  it('lets the daemon\'s tasks be scheduled again afterwards (a daemon restart)', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock);
    await h.scheduler.add('da', [task('t', { daemon: 'da', run: r.run })]);
    await expect(h.scheduler.add('da', [task('t2', { daemon: 'da' })])).rejects.toThrow(/daemon "da" already has its tasks scheduled/);
    await h.scheduler.remove('da', 0);
    await h.scheduler.add('da', [task('t', { daemon: 'da', run: r.run })]);
    await h.clock.advance(MINUTE);
    expect(r.calls).toHaveLength(1);
  });

  it('refuses a task name another daemon already uses', async () => {
    h = await harness();
    await h.scheduler.add('da', [task('same', { daemon: 'da' })]);
    const err = await h.scheduler.add('db', [task('same', { daemon: 'db' })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect(err).toMatchObject({ code: 'KORA_ERR_TASK_DUPLICATE', message: expect.stringMatching(/task "same" of daemon "db" is already scheduled for daemon "da"/) });
    expect(h.scheduler.status().map((t) => t.daemon)).toEqual(['da']);
  });
});

describe('stop', () => {
  it('waits for runs that finish within the drain budget and records them normally', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    await h.scheduler.add('d1', [task('t', { every: MINUTE, run: () => sleep(h.clock, 3 * SECOND) })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    const stopping = h.scheduler.stop(10 * SECOND);
    await h.clock.advance(3 * SECOND);
    await stopping;
    expect((await h.rows('t')).map((r) => r.status)).toEqual(['ok']);
  });

  it('aborts a hung run after the drain budget, records it `interrupted`, and schedules nothing more', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const signals: AbortSignal[] = [];
    const r = recorder(h.clock, (ctx) => {
      signals.push(ctx.signal);
      return new Promise(() => undefined);
    });
    const other = recorder(h.clock);
    await h.scheduler.add('d1', [task('hung', { every: MINUTE, timeoutMs: 10 * MINUTE, run: r.run }), task('other', { every: MINUTE, offset: 30 * SECOND, run: other.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    expect(other.calls).toHaveLength(1);
    let stopped = false;
    const stopping = h.scheduler.stop(5 * SECOND).then(() => (stopped = true));
    await h.clock.advance(4999);
    expect(stopped).toBe(false);
    expect(signals[0]?.aborted).toBe(false);
    await h.clock.advance(1);
    await stopping;
    expect(signals[0]?.aborted).toBe(true);
    expect((await h.rows('hung')).map((x) => [x.status, x.owner])).toEqual([['interrupted', 'gw-test']]);
    expect((await h.rows('hung'))[0]?.error).toMatch(/^the gateway is stopping: task "hung" did not finish within the drain budget \(5s\)/);
    await h.clock.advance(10 * MINUTE);
    expect(r.calls).toHaveLength(1);
    expect(other.calls).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
    // Scheduling after stop is a no-op, not a crash: a daemon can finish starting while the gateway stops.
    await h.scheduler.add('late', [task('late', { daemon: 'late' })]);
    expect(h.scheduler.status().some((t) => t.name === 'late')).toBe(false);
  });

  it('returns the same promise when called twice', async () => {
    h = await harness();
    expect(h.scheduler.stop(0)).toBe(h.scheduler.stop(0));
  });
});

function bound(ledger: RunLedger): RunLedger {
  return {
    claim: ledger.claim.bind(ledger),
    complete: ledger.complete.bind(ledger),
    note: ledger.note.bind(ledger),
    lastSlot: ledger.lastSlot.bind(ledger),
    recent: ledger.recent.bind(ledger),
    interruptStale: ledger.interruptStale.bind(ledger),
    prune: ledger.prune.bind(ledger),
    expired: ledger.expired.bind(ledger),
    takeOver: ledger.takeOver.bind(ledger),
    interrupt: ledger.interrupt.bind(ledger),
  };
}
