// Ledger rows the store refused are retried with backoff, in order, within a bound; the
// gateway hears when the trouble starts and ends; stop() gives them one last try.
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { ManualClock } from '../time/clock.js';
import { FlakyLedger } from './__fixtures__/flaky-ledger.js';
import { at, harness, iso, task, DAY, HOUR, MINUTE, SECOND, type Harness } from './__fixtures__/harness.js';
import { LedgerWriter } from './ledger-writer.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

interface Events {
  trouble: { error: string; backlog: number; at: string }[];
  recovered: string[];
}

async function flakyHarness(options: { start?: string; ledgerRetry?: { maxBacklog?: number; retryMinMs?: number; retryMaxMs?: number } } = {}) {
  let flaky: FlakyLedger | undefined;
  const events: Events = { trouble: [], recovered: [] };
  h = await harness({
    start: options.start ?? '2026-01-01T10:00:30Z',
    wrapLedger: (real) => (flaky = new FlakyLedger(real)),
    scheduler: {
      onLedgerTrouble: (error, backlog) => events.trouble.push({ error: error.message, backlog, at: iso(h.clock.now()) }),
      onLedgerRecovered: () => events.recovered.push(iso(h.clock.now())),
      ...(options.ledgerRetry ? { ledgerRetry: options.ledgerRetry } : {}),
    },
  });
  return { ledger: flaky as FlakyLedger, events };
}

const statuses = async (name: string) => (await h.rows(name)).map((r) => [iso(r.slot).slice(11, 16), r.status]);

describe('a ledger write that fails', () => {
  it('is kept and retried after 1 s, then 2 s, until it is written; the gateway hears trouble and recovery', async () => {
    const { ledger, events } = await flakyHarness();
    ledger.failNext.complete = 2;
    await h.scheduler.add('d1', [task('t', { every: DAY, runOnStart: true })]);
    await h.clock.advance(0);
    expect(await statuses('t')).toEqual([['00:00', 'running']]);
    expect(h.scheduler.ledgerStatus()).toEqual({
      state: 'failing',
      backlog: 1,
      dropped: 0,
      lastError: 'ledger.complete failed: SQLITE_FULL: database or disk is full',
      lastErrorAt: '2026-01-01T10:00:30.000Z',
      nextRetry: '2026-01-01T10:00:31.000Z',
    });
    expect(events.trouble).toEqual([{ error: 'ledger.complete failed: SQLITE_FULL: database or disk is full', backlog: 1, at: '2026-01-01T10:00:30.000Z' }]);
    await h.clock.advance(SECOND);
    expect(h.scheduler.ledgerStatus()).toMatchObject({ state: 'failing', backlog: 1, nextRetry: '2026-01-01T10:00:33.000Z' });
    expect(events.trouble).toHaveLength(2);
    await h.clock.advance(2 * SECOND);
    expect(await statuses('t')).toEqual([['00:00', 'ok']]);
    expect(h.scheduler.ledgerStatus()).toMatchObject({ state: 'ok', backlog: 0, nextRetry: null, lastError: expect.stringContaining('SQLITE_FULL') });
    expect(events.recovered).toEqual(['2026-01-01T10:00:33.000Z']);
    expect(ledger.attempts.filter((a) => a.startsWith('complete'))).toEqual(['complete t@00:00:00 !', 'complete t@00:00:00 !', 'complete t@00:00:00']);
    // The status file is rewritten for the row that landed late, as for any other.
    expect(h.changes).toEqual(['t']);
  });

  it('is retried with the wait doubling from 1 s up to 60 s', async () => {
    const { ledger } = await flakyHarness();
    ledger.down.add('complete');
    await h.scheduler.add('d1', [task('t', { every: DAY, runOnStart: true })]);
    await h.clock.advance(0);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const next = h.scheduler.ledgerStatus().nextRetry;
      if (next === null) throw new Error('no retry planned');
      waits.push((at(next) - h.clock.now()) / SECOND);
      await h.clock.advanceTo(at(next));
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    ledger.down.delete('complete');
    await h.clock.advance(MINUTE);
    expect(await statuses('t')).toEqual([['00:00', 'ok']]);
    expect(h.scheduler.ledgerStatus().nextRetry).toBeNull();
  });

  it('is retried at once, not at the end of its backoff, when the ledger answers a claim', async () => {
    const { ledger, events } = await flakyHarness({ ledgerRetry: { retryMinMs: 10 * MINUTE } });
    ledger.failNext.complete = 1;
    await h.scheduler.add('d1', [task('t', { every: MINUTE })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    expect(await statuses('t')).toEqual([['10:01', 'running']]);
    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    expect(await statuses('t')).toEqual([
      ['10:01', 'ok'],
      ['10:02', 'ok'],
    ]);
    expect(events.recovered).toEqual(['2026-01-01T10:02:00.000Z']);
  });

  it('a missed row is retried too', async () => {
    const { ledger } = await flakyHarness({ start: '2026-01-01T09:37:00Z' });
    await h.store.ledger.claim({ task: 'five', daemon: 'd1', slot: at('2026-01-01T09:00:00Z'), startedAt: 0, owner: 'gw-before' });
    ledger.failNext.note = 1;
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, missed: 'skip' })]);
    expect(h.scheduler.ledgerStatus().backlog).toBe(1);
    await h.clock.advance(SECOND);
    expect((await h.rows('five')).map((r) => [iso(r.slot).slice(11, 16), r.status, r.count])).toEqual([
      ['09:00', 'running', undefined],
      ['09:35', 'missed', 7],
    ]);
  });

  it('keeps at most maxBacklog rows, dropping the oldest, counting and saying so', async () => {
    const { ledger } = await flakyHarness({ ledgerRetry: { maxBacklog: 3 } });
    ledger.down.add('complete');
    await h.scheduler.add('d1', [task('t', { every: MINUTE })]);
    await h.clock.advanceTo(at('2026-01-01T10:05:00Z'));
    expect(h.scheduler.ledgerStatus()).toMatchObject({ backlog: 3, dropped: 2 });
    expect(h.logs.filter((l) => /backlog is full \(3 rows\)/.test(l.msg))).toHaveLength(1);
    ledger.down.delete('complete');
    await h.clock.advance(MINUTE);
    expect(await statuses('t')).toEqual([
      ['10:01', 'running'],
      ['10:02', 'running'],
      ['10:03', 'ok'],
      ['10:04', 'ok'],
      ['10:05', 'ok'],
      ['10:06', 'ok'],
    ]);
    expect(h.scheduler.ledgerStatus()).toMatchObject({ state: 'ok', backlog: 0, dropped: 2 });
  });

  it('counts a claim the ledger refused as trouble, records the slot it could not run as missed, and the next write it takes as recovery', async () => {
    const { ledger, events } = await flakyHarness();
    ledger.failNext.claim = 1;
    ledger.failNext.note = 1;
    await h.scheduler.add('d1', [task('t', { every: MINUTE })]);
    await h.clock.advanceTo(at('2026-01-01T10:01:00Z'));
    expect(events.trouble[0]).toEqual(expect.objectContaining({ backlog: 0, error: expect.stringContaining('ledger.claim failed') }));
    // The missed row waits for the ledger like any refused write: never silent.
    expect(h.scheduler.ledgerStatus()).toMatchObject({ state: 'failing', backlog: 1 });
    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    expect(events.recovered).toHaveLength(1);
    expect(h.scheduler.ledgerStatus().state).toBe('ok');
    expect(await statuses('t')).toEqual([
      ['10:01', 'missed'],
      ['10:02', 'ok'],
    ]);
    expect((await h.rows('t')).find((r) => r.status === 'missed')?.error).toMatch(/not run: the run ledger could not claim the slot/);
  });
});

describe('stop', () => {
  it('tries the waiting rows once more and writes them when the ledger is back', async () => {
    const { ledger } = await flakyHarness({ ledgerRetry: { retryMinMs: HOUR } });
    ledger.down.add('complete');
    await h.scheduler.add('d1', [task('t', { every: MINUTE })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    ledger.down.delete('complete');
    await expect(h.scheduler.stop(0)).resolves.toEqual({ unwrittenRows: 0 });
    expect(await statuses('t')).toEqual([
      ['10:01', 'ok'],
      ['10:02', 'ok'],
    ]);
    expect(h.clock.pending).toBe(0);
  });

  it('says how many rows it could not write', async () => {
    const { ledger } = await flakyHarness();
    ledger.down.add('complete');
    await h.scheduler.add('d1', [task('t', { every: MINUTE })]);
    await h.clock.advanceTo(at('2026-01-01T10:02:00Z'));
    await expect(h.scheduler.stop(0)).resolves.toEqual({ unwrittenRows: 2 });
    expect(h.logs.filter((l) => l.level >= 50 && /^scheduler: stopping with 2 run ledger rows that could not be written: ledger.complete failed/.test(l.msg))).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
  });
});

describe('LedgerWriter', () => {
  it('never lets a row overtake a waiting row of the same (task, slot); other rows go straight through', async () => {
    const { openStore } = await import('../store/index.js');
    const os = await import('node:os');
    const store = await openStore({ home: os.tmpdir(), url: 'sqlite::memory:' });
    try {
      const ledger = new FlakyLedger(store.ledger);
      const clock = new ManualClock(at('2026-01-01T10:00:00Z'));
      const writer = new LedgerWriter({ ledger, clock, log: createSilentLogger(), onWritten: () => undefined });
      const slot = at('2026-01-01T10:00:00Z');
      await store.ledger.claim({ task: 'a', daemon: 'd', slot, startedAt: slot, owner: 'gw' });
      ledger.failNext.complete = 1;
      await writer.complete('a', slot, { status: 'timeout', finishedAt: slot + 5, durationMs: 5, error: 'timed out' });
      await writer.note({ task: 'a', daemon: 'd', slot, status: 'missed', startedAt: null, finishedAt: null, durationMs: null, error: 'late note', owner: 'gw', count: 1 });
      await writer.note({ task: 'b', daemon: 'd', slot, status: 'missed', startedAt: null, finishedAt: null, durationMs: null, error: 'other', owner: 'gw', count: 1 });
      expect(writer.backlog).toBe(2);
      await clock.advance(SECOND);
      expect(ledger.attempts).toEqual(['complete a@10:00:00 !', 'note b@10:00:00', 'complete a@10:00:00', 'note a@10:00:00']);
      expect((await store.ledger.recent({ task: 'a' }))[0]).toMatchObject({ status: 'timeout', error: 'timed out' });
      expect(await writer.close()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
