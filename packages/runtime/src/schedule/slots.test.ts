import { describe, expect, it } from 'vitest';
import { at, iso, DAY, HOUR, MINUTE } from './__fixtures__/harness.js';
import { CRON_COUNT_LIMIT, CronGrid, IntervalGrid } from './slots.js';

describe('interval slots', () => {
  it('are multiples of the period since the Unix epoch', () => {
    const grid = new IntervalGrid(5 * MINUTE);
    expect(iso(grid.slotAtOrBefore(at('2026-01-01T10:02:30Z')))).toBe('2026-01-01T10:00:00.000Z');
    expect(iso(grid.nextSlotAfter(at('2026-01-01T10:02:30Z')))).toBe('2026-01-01T10:05:00.000Z');
  });

  it('put a daily slot at midnight UTC', () => {
    const grid = new IntervalGrid(DAY);
    expect(iso(grid.nextSlotAfter(at('2026-01-01T10:00:00Z')))).toBe('2026-01-02T00:00:00.000Z');
  });

  it('count a slot time as at-or-before itself, and not as after itself', () => {
    const grid = new IntervalGrid(MINUTE);
    const t = at('2026-01-01T10:05:00Z');
    expect(grid.slotAtOrBefore(t)).toBe(t);
    expect(grid.nextSlotAfter(t)).toBe(t + MINUTE);
    expect(grid.slotBefore(t)).toBe(t - MINUTE);
  });

  it('shift by the offset', () => {
    const grid = new IntervalGrid(DAY, 3 * HOUR);
    expect(iso(grid.nextSlotAfter(at('2026-01-01T10:00:00Z')))).toBe('2026-01-02T03:00:00.000Z');
    expect(iso(grid.slotAtOrBefore(at('2026-01-01T02:00:00Z')))).toBe('2025-12-31T03:00:00.000Z');
  });

  it('count the slots in a closed range', () => {
    const grid = new IntervalGrid(5 * MINUTE);
    expect(grid.countSlots(at('2026-01-01T09:05:00Z'), at('2026-01-01T09:35:00Z'))).toBe(7);
    expect(grid.countSlots(at('2026-01-01T09:05:00Z'), at('2026-01-01T09:00:00Z'))).toBe(0);
  });
});

describe('cron slots', () => {
  it('are the fire times, strictly after the given time', () => {
    const grid = new CronGrid('*/10 * * * *', 'UTC');
    expect(iso(grid.nextSlotAfter(at('2026-01-01T10:00:00Z')))).toBe('2026-01-01T10:10:00.000Z');
    expect(iso(grid.nextSlotAfter(at('2026-01-01T09:59:59.999Z')))).toBe('2026-01-01T10:00:00.000Z');
    expect(iso(grid.nextSlotAfter(at('2026-01-01T10:00:00.500Z')))).toBe('2026-01-01T10:10:00.000Z');
  });

  it('find the latest fire time at or before a time', () => {
    const grid = new CronGrid('*/10 * * * *', 'UTC');
    expect(iso(grid.slotAtOrBefore(at('2026-01-01T10:00:00Z')))).toBe('2026-01-01T10:00:00.000Z');
    expect(iso(grid.slotAtOrBefore(at('2026-01-01T10:00:00.999Z')))).toBe('2026-01-01T10:00:00.000Z');
    expect(iso(grid.slotAtOrBefore(at('2026-01-01T10:09:59.999Z')))).toBe('2026-01-01T10:00:00.000Z');
    expect(iso(grid.slotBefore(at('2026-01-01T10:00:00Z')))).toBe('2026-01-01T09:50:00.000Z');
  });

  it('take seconds in a 6-field expression', () => {
    const grid = new CronGrid('*/15 * * * * *', 'UTC');
    expect(iso(grid.nextSlotAfter(at('2026-01-01T10:00:00.200Z')))).toBe('2026-01-01T10:00:15.000Z');
    expect(iso(grid.slotAtOrBefore(at('2026-01-01T10:00:14.999Z')))).toBe('2026-01-01T10:00:00.000Z');
  });

  it('follow the time zone, across daylight saving time', () => {
    const grid = new CronGrid('0 9 * * *', 'Europe/Berlin');
    expect(iso(grid.nextSlotAfter(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T08:00:00.000Z');
    expect(iso(grid.nextSlotAfter(at('2026-07-01T00:00:00Z')))).toBe('2026-07-01T07:00:00.000Z');
    expect(iso(grid.slotAtOrBefore(at('2026-07-01T12:00:00Z')))).toBe('2026-07-01T07:00:00.000Z');
  });

  it('agree between "next" and "at or before" on the repeated hour when DST ends', () => {
    const grid = new CronGrid('0 * * * *', 'Europe/Berlin');
    for (let t = at('2026-10-24T22:30:00Z'); t < at('2026-10-25T04:00:00Z'); t += 10 * MINUTE) {
      const before = grid.slotAtOrBefore(t);
      expect(before).toBeLessThanOrEqual(t);
      expect(grid.nextSlotAfter(before)).toBeGreaterThan(t);
    }
  });

  it('count slots one by one, up to a limit', () => {
    const grid = new CronGrid('*/10 * * * *', 'UTC');
    expect(grid.countSlots(at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z'))).toBe(7);
    const everySecond = new CronGrid('* * * * * *', 'UTC');
    expect(everySecond.countSlots(at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'))).toBe(CRON_COUNT_LIMIT);
  });
});
