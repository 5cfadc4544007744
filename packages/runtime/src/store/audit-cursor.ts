// The arithmetic of an audit tail's cursor, kept pure: which ids below the high-water mark are
// still missing (gaps), as inclusive ranges so a stretch of pruned ids costs one entry.
import type { AuditCursor, AuditGap } from './types.js';

export const START: AuditCursor = Object.freeze({ after: 0, gaps: Object.freeze([]) as readonly AuditGap[] });

/** `gaps` without the ids in `present` (ascending): a range split around each id that arrived. */
export function fill(gaps: readonly AuditGap[], present: readonly number[]): AuditGap[] {
  if (present.length === 0) return [...gaps];
  const out: AuditGap[] = [];
  for (const gap of gaps) {
    let from = gap.from;
    for (const id of present) {
      if (id < from || id > gap.to) continue;
      if (id > from) out.push({ from, to: id - 1, since: gap.since });
      from = id + 1;
    }
    if (from <= gap.to) out.push({ from, to: gap.to, since: gap.since });
  }
  return out;
}

/** Gaps still inside their grace period at `now`; the others are given up (rolled back, or pruned). */
export function unexpired(gaps: readonly AuditGap[], now: number, graceMs: number): AuditGap[] {
  return gaps.filter((g) => now - g.since < graceMs);
}

/** A cursor from outside (a plugin's kv) checked before its numbers reach SQL. */
export function isCursor(value: unknown): value is AuditCursor {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as { after?: unknown; gaps?: unknown };
  return (
    Number.isSafeInteger(c.after) &&
    Array.isArray(c.gaps) &&
    c.gaps.every(
      (g: { from?: unknown; to?: unknown; since?: unknown } | null) =>
        typeof g === 'object' && g !== null && Number.isSafeInteger(g.from) && Number.isSafeInteger(g.to) && Number.isFinite(g.since) && (g.from as number) <= (g.to as number),
    )
  );
}
