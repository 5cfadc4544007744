// Errors are recorded and never stop the schedule; a slot another gateway claimed is not run here.
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { at, harness, iso, recorder, task, MINUTE, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('a failing run', () => {
  it('is recorded `failed` with its message, and the next slot still runs', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock, (ctx) => {
      if (ctx.slot === at('2026-01-01T10:01:00Z')) throw new Error('upstream said 503');
      if (ctx.slot === at('2026-01-01T10:02:00Z')) return Promise.reject(new Error('async 500'));
    });
    await h.scheduler.add('d1', [task('flaky', { every: MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:03:00Z'));
    expect(r.calls).toHaveLength(3);
    expect((await h.rows('flaky')).map((x) => [x.status, x.error])).toEqual([
      ['failed', 'upstream said 503'],
      ['failed', 'async 500'],
      ['ok', null],
    ]);
    expect(h.scheduler.status()[0]).toMatchObject({ runs: 3, failures: 2, lastRun: { status: 'ok', error: null } });
    // The line names its task in the text, not only in a field: a human reading the log sees which.
    expect(h.logs.filter((l) => /run failed/.test(l.msg)).map((l) => l.msg)).toEqual(['task flaky: run failed', 'task flaky: run failed']);
  });

  it('is recorded `failed` when the function throws synchronously', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    await h.scheduler.add('d1', [
      task('sync', {
        every: MINUTE,
        run: () => {
          throw new TypeError('not a function');
        },
      }),
    ]);
    await h.clock.advance(2 * MINUTE);
    expect((await h.rows('sync')).map((x) => [x.status, x.error])).toEqual([
      ['failed', 'not a function'],
      ['failed', 'not a function'],
    ]);
  });
});

describe('claims', () => {
  it('does not run a slot another gateway already claimed, and does not count it as a failure', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const r = recorder(h.clock);
    await h.store.ledger.claim({ task: 'shared', daemon: 'd1', slot: at('2026-01-01T10:01:00Z'), startedAt: at('2026-01-01T10:01:00Z'), owner: 'gw-other' });
    await h.scheduler.add('d1', [task('shared', { every: MINUTE, run: r.run })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    expect(r.slots()).toEqual(['2026-01-01T10:02:00.000Z']);
    expect(h.scheduler.status()[0]).toMatchObject({ runs: 1, failures: 0, running: false });
    expect((await h.rows('shared')).map((x) => x.owner)).toEqual(['gw-other', 'gw-test']);
  });

  it('runs each slot once across two gateways sharing a store', async () => {
    h = await harness({ start: '2026-01-01T10:00:00Z' });
    const mine = recorder(h.clock);
    const theirs = recorder(h.clock);
    const peer = h.peer('gw-peer');
    await h.scheduler.add('d1', [task('fleet', { every: MINUTE, run: mine.run })]);
    await peer.add('d1', [task('fleet', { every: MINUTE, run: theirs.run })]);
    await h.clock.advance(10 * MINUTE);
    expect(mine.calls.length + theirs.calls.length).toBe(10);
    const slots = [...mine.slots(), ...theirs.slots()].sort();
    expect(new Set(slots).size).toBe(10);
    expect((await h.rows('fleet')).every((x) => x.status === 'ok')).toBe(true);
  });

  it('does not run a slot whose claim fails (the ledger is down), counts a failure and keeps the schedule', async () => {
    let down = true;
    h = await harness({
      start: '2026-01-01T10:00:00Z',
      wrapLedger: (real) =>
        new Proxy(real, {
          get(target, prop, receiver) {
            if (prop === 'claim' && down) return () => Promise.reject(new StoreError('ledger.claim failed: disk I/O error'));
            const value: unknown = Reflect.get(target, prop, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('t', { every: MINUTE, run: r.run })]);
    await h.clock.advance(MINUTE);
    expect(r.calls).toHaveLength(0);
    expect(h.scheduler.status()[0]).toMatchObject({
      runs: 0,
      failures: 1,
      running: false,
      lastRun: { status: 'failed', startedAt: null, error: expect.stringMatching(/^not run: the run ledger could not claim the slot: .*disk I\/O error/) },
    });
    down = false;
    await h.clock.advance(MINUTE);
    expect(r.slots()).toEqual([iso(at('2026-01-01T10:02:00Z'))]);
  });
});
