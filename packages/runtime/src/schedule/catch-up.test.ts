// Catch-up planning as a table: one row per situation, the plan the scheduler must carry out.
import { describe, expect, it } from 'vitest';
import type { MissedPolicy } from '../daemons/types.js';
import { at, HOUR, MINUTE } from './__fixtures__/harness.js';
import { planCatchUp, type CatchUpEvent, type CatchUpPlan } from './catch-up.js';
import { CronGrid, IntervalGrid, type SlotGrid } from './slots.js';

interface Row {
  name: string;
  grid: SlotGrid;
  missed?: MissedPolicy;
  runOnStart?: boolean;
  event: CatchUpEvent;
  now: string;
  expected: {
    missed?: { first: string; last: string; count: number; error: string | RegExp } | null;
    runNow?: string | null;
    next: string | null;
    note?: string | RegExp | null;
  };
}

const t = (hm: string) => `2026-01-01T${hm}Z`;
const every = (ms: number, offset = 0) => new IntervalGrid(ms, offset);
const cron = (expression: string, timezone = 'UTC') => new CronGrid(expression, timezone);

const rows: Row[] = [
  {
    name: 'first schedule: nothing missed, the first run is the next slot',
    grid: every(5 * MINUTE),
    event: { kind: 'scheduled', lastSlot: null },
    now: t('10:02:30'),
    expected: { next: t('10:05:00') },
  },
  {
    name: 'first schedule with runOnStart: the current slot runs now',
    grid: every(5 * MINUTE),
    runOnStart: true,
    event: { kind: 'scheduled', lastSlot: null },
    now: t('10:02:30'),
    expected: { runNow: t('10:00:00'), next: t('10:05:00') },
  },
  {
    name: 'restart without misses: the current slot already has its row',
    grid: every(5 * MINUTE),
    missed: 'run-once',
    event: { kind: 'scheduled', lastSlot: at(t('09:35:00')) },
    now: t('09:37:00'),
    expected: { next: t('09:40:00') },
  },
  {
    name: 'restart with misses under skip: one row for all of them, nothing runs now',
    grid: every(5 * MINUTE),
    missed: 'skip',
    event: { kind: 'scheduled', lastSlot: at(t('09:00:00')) },
    now: t('09:37:00'),
    expected: { missed: { first: t('09:05:00'), last: t('09:35:00'), count: 7, error: '7 slots missed while the gateway was down' }, next: t('09:40:00') },
  },
  {
    name: 'restart with misses under run-once: the latest runs now, the ones before are missed',
    grid: every(2 * HOUR),
    missed: 'run-once',
    event: { kind: 'scheduled', lastSlot: at(t('00:00:00')) },
    now: t('09:00:00'),
    expected: {
      missed: { first: t('02:00:00'), last: t('06:00:00'), count: 3, error: '3 slots missed while the gateway was down; slot 2026-01-01T08:00:00.000Z runs late instead (missed: run-once)' },
      runNow: t('08:00:00'),
      next: t('10:00:00'),
    },
  },
  {
    name: 'restart with one miss under run-once: it runs late, no missed row, a warning',
    grid: every(2 * HOUR),
    missed: 'run-once',
    event: { kind: 'scheduled', lastSlot: at(t('06:00:00')) },
    now: t('09:00:00'),
    expected: { runNow: t('08:00:00'), next: t('10:00:00'), note: '1 slot missed while the gateway was down; running it late (missed: run-once)' },
  },
  {
    name: 'restart with misses and runOnStart under skip: runOnStart runs the current slot',
    grid: every(5 * MINUTE),
    missed: 'skip',
    runOnStart: true,
    event: { kind: 'scheduled', lastSlot: at(t('09:00:00')) },
    now: t('09:37:00'),
    expected: {
      missed: { first: t('09:05:00'), last: t('09:30:00'), count: 6, error: '6 slots missed while the gateway was down; slot 2026-01-01T09:35:00.000Z runs late instead (runOnStart)' },
      runNow: t('09:35:00'),
      next: t('09:40:00'),
    },
  },
  {
    name: 'restart of a cron task: its slots are counted one by one',
    grid: cron('*/15 * * * *'),
    missed: 'skip',
    event: { kind: 'scheduled', lastSlot: at(t('09:00:00')) },
    now: t('10:05:00'),
    expected: { missed: { first: t('09:15:00'), last: t('10:00:00'), count: 4, error: '4 slots missed while the gateway was down' }, next: t('10:15:00') },
  },
  {
    name: 'restart of a cron task in its time zone under run-once',
    grid: cron('0 9 * * *', 'Europe/Berlin'),
    missed: 'run-once',
    event: { kind: 'scheduled', lastSlot: at('2026-06-28T07:00:00Z') },
    now: '2026-07-01T12:00:00Z',
    expected: {
      missed: { first: '2026-06-29T07:00:00Z', last: '2026-06-30T07:00:00Z', count: 2, error: /^2 slots missed while the gateway was down; slot 2026-07-01T07:00:00.000Z runs late/ },
      runNow: '2026-07-01T07:00:00Z',
      next: '2026-07-02T07:00:00Z',
    },
  },
  {
    name: 'restart of a cron task down for longer than it counts: "or more"',
    grid: cron('* * * * * *'),
    missed: 'skip',
    event: { kind: 'scheduled', lastSlot: at(t('00:00:00')) },
    now: t('12:00:00'),
    expected: { missed: { first: t('00:00:01'), last: t('12:00:00'), count: 10_000, error: '10000 or more slots missed while the gateway was down' }, next: t('12:00:01') },
  },
  {
    name: 'restart after the clock was stepped back behind the ledger: nothing missed, a warning',
    grid: every(MINUTE),
    missed: 'run-once',
    event: { kind: 'scheduled', lastSlot: at(t('12:00:00')) },
    now: t('10:00:30'),
    expected: { next: t('10:01:00'), note: /^the ledger's latest row is for 2026-01-01T12:00:00.000Z, after the current time .*slots that already have a row will not run again$/ },
  },
  {
    name: 'late by less than a period: the slot runs late, nothing missed',
    grid: every(MINUTE),
    event: { kind: 'late', due: at(t('10:01:00')), stepMs: 0 },
    now: t('10:01:40'),
    expected: { runNow: t('10:01:00'), next: t('10:02:00') },
  },
  {
    name: 'stall past several slots: the latest runs, the ones before are missed',
    grid: every(MINUTE),
    missed: 'skip',
    event: { kind: 'late', due: at(t('10:01:00')), stepMs: 0 },
    now: t('10:04:00'),
    expected: {
      missed: { first: t('10:01:00'), last: t('10:03:00'), count: 3, error: '3 slots missed: the scheduler fell 3m behind (event loop stall or machine sleep)' },
      runNow: t('10:04:00'),
      next: t('10:05:00'),
    },
  },
  {
    name: 'stall under run-once: the same, the latest is still within its period',
    grid: every(6 * HOUR),
    missed: 'run-once',
    event: { kind: 'late', due: at(t('12:00:00')), stepMs: 0 },
    now: '2026-01-02T06:01:00Z',
    expected: {
      missed: { first: t('12:00:00'), last: '2026-01-02T00:00:00Z', count: 3, error: '3 slots missed: the scheduler fell 18h1m behind (event loop stall or machine sleep)' },
      runNow: '2026-01-02T06:00:00Z',
      next: '2026-01-02T12:00:00Z',
    },
  },
  {
    name: 'wall clock stepped forward: the stall path, saying it was the clock',
    grid: every(MINUTE),
    event: { kind: 'late', due: at(t('10:01:00')), stepMs: 2 * HOUR },
    now: t('12:00:30'),
    expected: {
      missed: { first: t('10:01:00'), last: t('11:59:00'), count: 119, error: '119 slots missed: the wall clock stepped forward by 2h (clock change or machine sleep)' },
      runNow: t('12:00:00'),
      next: t('12:01:00'),
    },
  },
  {
    name: 'cron stall',
    grid: cron('*/10 * * * *'),
    event: { kind: 'late', due: at(t('10:10:00')), stepMs: 0 },
    now: t('10:45:00'),
    expected: {
      missed: { first: t('10:10:00'), last: t('10:30:00'), count: 3, error: '3 slots missed: the scheduler fell 35m behind (event loop stall or machine sleep)' },
      runNow: t('10:40:00'),
      next: t('10:50:00'),
    },
  },
  {
    name: 'wall clock stepped back, noticed at once: the next slot after the new now',
    grid: every(MINUTE),
    event: { kind: 'stepped-back', stepMs: 2 * HOUR, since: at(t('08:02:30')), lastHandled: at(t('10:02:00')) },
    now: t('08:02:30'),
    expected: { next: t('08:03:00') },
  },
  {
    name: 'wall clock stepped back, noticed 40 s later: the slot that passed since is due at once',
    grid: every(MINUTE),
    event: { kind: 'stepped-back', stepMs: 2 * HOUR, since: at(t('08:02:30')), lastHandled: at(t('10:02:00')) },
    now: t('08:03:10'),
    expected: { next: t('08:03:00') },
  },
  {
    name: 'wall clock stepped back, noticed when the old wall-clock time came back: what ran meanwhile counts',
    grid: every(MINUTE),
    event: { kind: 'stepped-back', stepMs: 2 * MINUTE, since: at(t('10:00:30')), lastHandled: at(t('10:02:00')) },
    now: t('10:03:00'),
    expected: { next: t('10:03:00') },
  },
  {
    name: 'wall clock stepped back before the task ever ran',
    grid: every(HOUR, 15 * MINUTE),
    event: { kind: 'stepped-back', stepMs: 3 * HOUR, since: at(t('10:20:00')), lastHandled: null },
    now: t('10:20:00'),
    expected: { next: t('11:15:00') },
  },
  {
    name: 'wall clock stepped back, a yearly cron',
    grid: cron('0 0 1 1 *'),
    event: { kind: 'stepped-back', stepMs: HOUR, since: at(t('10:00:00')), lastHandled: null },
    now: t('10:00:00'),
    expected: { next: '2027-01-01T00:00:00Z' },
  },
];

const ms = (x: string | null | undefined) => (x === null || x === undefined ? null : at(x));

describe('planCatchUp', () => {
  it.each(rows)('$name', ({ grid, missed = 'skip', runOnStart = false, event, now, expected }) => {
    const plan: CatchUpPlan = planCatchUp({ grid, missed, runOnStart }, event, at(now));
    expect(plan).toEqual({
      missed:
        expected.missed === undefined || expected.missed === null
          ? null
          : {
              first: at(expected.missed.first),
              last: at(expected.missed.last),
              count: expected.missed.count,
              error: typeof expected.missed.error === 'string' ? expected.missed.error : expect.stringMatching(expected.missed.error),
            },
      runNow: ms(expected.runNow),
      next: expected.next === null ? Infinity : at(expected.next),
      note: expected.note === undefined || expected.note === null ? null : typeof expected.note === 'string' ? expected.note : expect.stringMatching(expected.note),
    });
  });
});
