// The snapshot as context for the engine (decision 0124): on `pre_llm_call`, for Kora's routes, a
// short text block appended after the identity's system blocks (so the identity's prompt cache
// still hits): what is wrong now, not the whole roll-up. Bounded in length; stale said so.
import type { SnapshotView } from '@kora/runtime';
import { UNAVAILABLE } from './rollup.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isRec) : []);

export function contextText(view: SnapshotView, now: number, maxChars: number): string {
  const { data } = view;
  const age = Math.max(0, Math.round((now - view.at) / 60_000));
  const lines = [`Agent snapshot, ${new Date(view.at).toISOString()} (${age} min ago${view.stale ? ', STALE: may not be current' : ''}). Use it as background; check with tools before acting on it.`];
  const gateway = isRec(data.gateway) ? data.gateway : {};
  lines.push(`Gateway: ${String(gateway.state ?? 'unknown')}${Array.isArray(gateway.problems) && gateway.problems.length ? ` (${gateway.problems.join('; ')})` : ''}.`);
  const failed = list(data.daemons).filter((d) => d.state === 'failed');
  if (failed.length) lines.push(`Failed daemons: ${failed.map((d) => `${String(d.name)}${d.error ? ` (${String(d.error)})` : ''}`).join('; ')}.`);
  const failing = list(data.tasks).filter((t) => t.lastStatus === 'failed' || t.lastStatus === 'timeout');
  if (failing.length) lines.push(`Tasks whose last run failed: ${failing.map((t) => String(t.name)).join(', ')}.`);
  if (isRec(data.costs)) {
    const windows = list(data.costs.windows).map((w) => `${String(w.window)} ${Number(w.costUsd).toFixed(2)}${w.budgetUsd === null || w.budgetUsd === undefined ? '' : ` of ${Number(w.budgetUsd).toFixed(2)}`} USD`);
    lines.push(`Cost rung: ${String(data.costs.rung)}${windows.length ? ` (${windows.join(', ')})` : ''}.`);
  }
  const probes = list(data.probes);
  const bad = probes.filter((p) => p.state !== 'ok' && p.state !== 'unconfigured');
  if (probes.length) lines.push(bad.length ? `Probes not ok: ${bad.map((p) => `${String(p.name)} ${String(p.state)}${p.detail ? ` (${String(p.detail)})` : ''}`).join('; ')}.` : `Probes: all ${probes.length} ok or unconfigured.`);
  const mcp = list(data.mcp);
  const down = mcp.filter((m) => m.connected !== true);
  if (down.length) lines.push(`MCP servers not connected: ${down.map((m) => String(m.name)).join(', ')}.`);
  const alerts = list(data.alerts);
  if (alerts.length) lines.push(`Open alerts: ${alerts.map((a) => `[${String(a.severity)}] ${String(a.title)}`).join('; ')}.`);
  if (isRec(data.proposals) && Number(data.proposals.pending) > 0) lines.push(`Proposals waiting for a person: ${Number(data.proposals.pending)}.`);
  const unavailable = Object.entries(data).filter(([, v]) => v === UNAVAILABLE).map(([k]) => k);
  if (unavailable.length) lines.push(`Not measured (plugin not enabled or not running): ${unavailable.join(', ')}.`);
  const text = lines.join('\n');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
