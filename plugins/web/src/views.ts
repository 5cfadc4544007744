// What the API and the UI both show, read the same way: the status's tasks with their recent
// runs, inbox topics with their consumers, an audit page with the cursor for the next one.
import { tasksWithRecentRuns, type AuditEntry, type AuditPageQuery, type GatewayOperations, type GatewayView, type TaskView } from '@kora/runtime';
import { BadRequest } from './errors.js';

export type { TaskView } from '@kora/runtime';

export const DEFAULT_RUNS = 20;
const MAX_RUNS = 200;
export const DEFAULT_AUDIT = 50;
const MAX_AUDIT = 500;

export function tasksWithRuns(gateway: GatewayView, limit = DEFAULT_RUNS): Promise<TaskView[]> {
  return tasksWithRecentRuns(gateway, limit);
}

export interface TopicView {
  topic: string;
  consumer: string | null;
  pending: number;
  inFlight: number;
  dead: number;
}

export async function inboxTopics(gateway: GatewayView, operations: GatewayOperations): Promise<TopicView[]> {
  const stats = await operations.inbox.topics();
  const consumers = new Map(gateway.status().inbox.map((t) => [t.topic, t.consumer]));
  return Object.entries(stats)
    .map(([topic, s]) => ({ topic, consumer: consumers.get(topic) ?? null, pending: s.pending, inFlight: s.inFlight, dead: s.dead }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

export interface AuditPageView {
  entries: AuditEntry[];
  /** The `before` of the next (older) page; null when this is the last. */
  next: number | null;
}

/** The query of an audit page from a request's query string (the API's and the UI's). */
export function auditQuery(query: Readonly<Record<string, unknown>>): AuditPageQuery & { limit: number } {
  const out: AuditPageQuery & { limit: number } = { limit: DEFAULT_AUDIT };
  const text = (name: string) => {
    const value = single(query[name]);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const seam = text('seam');
  const plugin = text('plugin');
  if (seam) out.seam = seam;
  if (plugin) out.plugin = plugin;
  const since = text('since');
  const until = text('until');
  if (since) out.since = instant('since', since);
  if (until) out.until = instant('until', until);
  const before = text('before');
  if (before) out.beforeId = positiveInt('before', before, Number.MAX_SAFE_INTEGER);
  const limit = text('limit');
  if (limit) out.limit = positiveInt('limit', limit, MAX_AUDIT);
  return out;
}

export async function auditPage(gateway: GatewayView, query: AuditPageQuery & { limit: number }): Promise<AuditPageView> {
  // One more than asked tells whether an older page exists without a second query.
  const ask = Math.min(query.limit + 1, MAX_AUDIT);
  const rows = await gateway.auditPage({ ...query, limit: ask });
  const more = rows.length > query.limit || (ask === query.limit && rows.length === query.limit);
  const entries = rows.slice(0, query.limit);
  const last = entries[entries.length - 1];
  return { entries, next: more && last?.id !== undefined ? last.id : null };
}

export function runLimit(query: Readonly<Record<string, unknown>>): number {
  const value = single(query.runs);
  return value === undefined || value === '' ? DEFAULT_RUNS : positiveInt('runs', value, MAX_RUNS);
}

export function single(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** An ISO 8601 time or epoch milliseconds. */
export function instant(name: string, value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new BadRequest(`${name}=${JSON.stringify(value)} is not a time: give an ISO 8601 time (2026-01-01T10:00:00Z) or epoch milliseconds`);
  return ms;
}

export function positiveInt(name: string, value: string, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new BadRequest(`${name}=${JSON.stringify(value)} is not a whole number from 1 to ${max}`);
  return n;
}
