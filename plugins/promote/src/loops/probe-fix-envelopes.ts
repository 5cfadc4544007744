// promote_probe_fix_envelopes: the same probe failing the same way again and again deserves a
// fix, written down once: a fix envelope (probe, error signature, first and last seen, count,
// and a suggested action the cycle asks the engine to draft). Never applied by the agent.
//
// Reads what the probes plugin writes (docs/promote.md, "What the loops read"): seam
// `probe.wake_requested`, one row each time a probe turns bad (heartbeat_probes, `{ probe,
// state, previous, detail, latencyMs, at }`); each row is one failure. The probe's name in
// `probe` (or `name`), its state in `state` (or `to`), the one-line `detail` (or `error`,
// `reason`), and optionally `at` (epoch ms; else the row's time). States `degraded`, `down` and
// `error` are failures; anything else is not counted.
import type { FixEnvelopeSettings } from '../config.js';
import type { Candidate } from '../proposal.js';
import { byKey, chronological, num, str, type Analysis, type Rows } from './rows.js';

export const PROBE_SEAMS = ['probe.wake_requested'] as const;
const FAILING = new Set(['degraded', 'down', 'error']);

/**
 * The failure with its particulars taken out, so the same failure on two days has one signature:
 * timestamps, UUIDs, long hex ids, durations and numbers of four digits or more (ports, ids,
 * byte counts) become placeholders; HTTP statuses and other short numbers stay (a 401 is not a 500).
 */
export function errorSignature(state: string, detail: string): string {
  const cleaned = detail
    .toLowerCase()
    .replace(/\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})?/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/g, '<id>')
    .replace(/\b\d+(\.\d+)?\s?(ms|s|sec|seconds?|m|min|minutes?|h)\b/g, '<duration>')
    .replace(/\d{4,}/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
  return (cleaned === '' ? state : `${state}: ${cleaned}`).slice(0, 200);
}

interface Failure {
  readonly probe: string;
  readonly state: string;
  readonly detail: string;
  readonly at: number;
}

function failureOf(row: Rows[number]): Failure | null {
  if (!(PROBE_SEAMS as readonly string[]).includes(row.seam)) return null;
  const d = row.details;
  const probe = str(d, 'probe') ?? str(d, 'name');
  const state = str(d, 'state') ?? str(d, 'to');
  if (!probe || !state || !FAILING.has(state)) return null;
  return { probe, state, detail: str(d, 'detail') ?? str(d, 'error') ?? str(d, 'reason') ?? '', at: num(d, 'at') ?? row.at };
}

export function analyzeProbeFixEnvelopes(rows: Rows, settings: FixEnvelopeSettings): Analysis<'probe_fix_envelopes'> {
  const groups = new Map<string, { failure: Failure; signature: string; first: number; last: number; count: number; detail: string }>();
  for (const row of chronological(rows)) {
    const failure = failureOf(row);
    if (!failure) continue;
    const signature = errorSignature(failure.state, failure.detail);
    const key = `${failure.probe}|${signature}`;
    const g = groups.get(key) ?? { failure, signature, first: failure.at, last: failure.at, count: 0, detail: failure.detail };
    // Each row is a turn to bad: two in the same second (a task run twice by hand) are two failures.
    g.count += 1;
    g.first = Math.min(g.first, failure.at);
    if (failure.at >= g.last) {
      g.last = failure.at;
      g.detail = failure.detail;
    }
    groups.set(key, g);
  }
  const candidates: Candidate<'probe_fix_envelopes'>[] = [];
  for (const [key, g] of groups) {
    const count = g.count;
    if (count < settings.minFailures) continue;
    candidates.push({
      key,
      title: `Probe ${g.failure.probe} failed ${count} times the same way (${g.signature})`,
      payload: { probe: g.failure.probe, signature: g.signature, state: g.failure.state, detail: g.detail.slice(0, 300), firstSeen: g.first, lastSeen: g.last, count, suggestedAction: null },
      evidence: { failures: count, firstSeen: new Date(g.first).toISOString(), lastSeen: new Date(g.last).toISOString() },
    });
  }
  return { candidates: candidates.sort(byKey), notes: [] };
}
