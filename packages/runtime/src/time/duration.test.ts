import { describe, expect, it } from 'vitest';
import { DurationError, KoraError } from '../errors.js';
import { MAX_TIMER_MS, parseDuration, tryParseDuration } from './duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    [' 0s ', 0],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5 minutes', '5', '1.5s', '-1s', '', 'm'])('refuses %j with a coded DurationError, not a TypeError', (text) => {
    let caught: unknown;
    try {
      parseDuration(text, 'daemons.web.startTimeout');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DurationError);
    expect(caught).toBeInstanceOf(KoraError);
    expect(caught).not.toBeInstanceOf(TypeError);
    expect((caught as DurationError).code).toBe('KORA_ERR_DURATION_INVALID');
    expect((caught as Error).message).toMatch(/^daemons\.web\.startTimeout: .* is not a duration; write an integer and a unit/);
  });

  it('refuses negative and non-finite milliseconds', () => {
    expect(() => parseDuration(-1)).toThrow(DurationError);
    expect(() => parseDuration(Number.NaN)).toThrow(DurationError);
    expect(parseDuration(250)).toBe(250);
  });

  it('refuses a value from plain JS that is neither a string nor a number', () => {
    expect(() => parseDuration(null as unknown as string, 'tasks.x.every')).toThrowError(/tasks\.x\.every: expected a duration/);
  });

  it('does not read a number too large to count in milliseconds', () => {
    expect(tryParseDuration('99999999999999999999d')).toBeUndefined();
    expect(tryParseDuration(`${MAX_TIMER_MS}ms`)).toBe(MAX_TIMER_MS);
  });
});
