// Kora's duration grammar for config and daemon specs: an integer and a unit, `500ms`, `30s`,
// `5m`, `2h`, `1d`. Strict on purpose: `5 minutes` or `5` is a config error, not a guess.
import { DurationError } from '../errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;

export type Duration = `${number}${keyof typeof UNIT_MS}`;

export const DURATION_GRAMMAR = 'an integer and a unit, e.g. 500ms, 30s, 5m, 2h, 1d';

/**
 * The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days). A longer one fires at
 * once, with only a warning, so a timeout beyond it would time everything out immediately.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Parse a duration; returns undefined when the text is not one (or too large to count in whole milliseconds). */
export function tryParseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Parse a duration (or take a number of milliseconds), or throw a DurationError saying what the grammar is. */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new DurationError(`${what}: expected a non-negative number of milliseconds, got ${text}`, { what, value: text });
  }
  if (typeof text !== 'string') {
    throw new DurationError(`${what}: expected a duration (${DURATION_GRAMMAR}), got ${typeof text}`, { what, value: String(text) });
  }
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new DurationError(`${what}: "${text}" is not a duration; write an integer and a unit: 500ms, 30s, 5m, 2h, 1d`, { what, value: text });
  }
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${ms % 60_000 ? `${Math.round((ms % 60_000) / 1000)}s` : ''}`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h${ms % 3_600_000 ? `${Math.round((ms % 3_600_000) / 60_000)}m` : ''}`;
  return `${Math.floor(ms / 86_400_000)}d${ms % 86_400_000 ? `${Math.round((ms % 86_400_000) / 3_600_000)}h` : ''}`;
}
