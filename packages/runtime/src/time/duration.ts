// Kora's duration grammar for config and daemon specs: an integer and a unit, `500ms`, `30s`,
// `5m`, `2h`, `1d`. Strict on purpose: `5 minutes` or `5` is a config error, not a guess.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;

export type Duration = `${number}${keyof typeof UNIT_MS}`;

/** Parse a duration; returns undefined when the text is not one. */
export function tryParseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Parse a duration, or throw a TypeError saying what the grammar is. */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new TypeError(`${what}: expected a non-negative number of milliseconds, got ${text}`);
  }
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new TypeError(`${what}: "${text}" is not a duration; write an integer and a unit: 500ms, 30s, 5m, 2h, 1d`);
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
