// Reading audit rows defensively: the loops read rows other plugins wrote (kora's llm.call and
// tool.call, the probes plugin's probe events), and a field that is missing or of another type
// makes that row not count, never the analysis fail.
import type { AuditEntry } from '@kora/runtime';
import type { Candidate, LoopName } from '../proposal.js';

export type Rows = readonly AuditEntry[];

/** What an analysis returns: its findings, and what it could not propose and why (shown as the daemon's note). */
export interface Analysis<L extends LoopName> {
  readonly candidates: Candidate<L>[];
  readonly notes: string[];
}

export function str(details: Record<string, unknown>, key: string): string | null {
  const value = details[key];
  return typeof value === 'string' ? value : null;
}

export function num(details: Record<string, unknown>, key: string): number | null {
  const value = details[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function strings(details: Record<string, unknown>, key: string): string[] | null {
  const value = details[key];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
}

/** Oldest first, ties by id: the order the rows were written in. */
export function chronological(rows: Rows): AuditEntry[] {
  return [...rows].sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
}

export function byKey<T extends { key: string }>(a: T, b: T): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 100)}%`;
}
