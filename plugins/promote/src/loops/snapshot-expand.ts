// promote_snapshot_expand: a tool the agent calls again and again and that keeps answering the
// same (the same state) is one the snapshot could carry instead. Reads kora's tool.call rows:
// per tool, the successful calls without input (the snapshot calls its tools without input), in
// order; a call whose resultDigest equals the previous call's is a repeat.
import type { SnapshotExpandSettings } from '../config.js';
import type { Candidate } from '../proposal.js';
import { byKey, chronological, str, strings, type Analysis, type Rows } from './rows.js';

export const SNAPSHOT_SEAMS = ['tool.call'] as const;

export function analyzeSnapshotExpand(rows: Rows, settings: SnapshotExpandSettings): Analysis<'snapshot_expand'> {
  const perTool = new Map<string, { calls: number; repeats: number; last: string | null; results: Set<string> }>();
  for (const row of chronological(rows)) {
    if (row.seam !== 'tool.call' || row.details.outcome !== 'ok') continue;
    const tool = str(row.details, 'tool');
    const resultDigest = str(row.details, 'resultDigest');
    const inputKeys = strings(row.details, 'inputKeys');
    if (!tool || !resultDigest || !inputKeys) continue;
    if (inputKeys.length > 0) continue;
    const seen = perTool.get(tool) ?? { calls: 0, repeats: 0, last: null, results: new Set<string>() };
    seen.calls += 1;
    if (seen.last === resultDigest) seen.repeats += 1;
    seen.last = resultDigest;
    seen.results.add(resultDigest);
    perTool.set(tool, seen);
  }
  const candidates: Candidate<'snapshot_expand'>[] = [];
  for (const [tool, seen] of perTool) {
    if (seen.repeats < settings.minRepeats) continue;
    candidates.push({
      key: `tool:${tool}`,
      title: `Add ${tool} to the snapshot: called ${seen.calls} times, ${seen.repeats} of them answered as the call before`,
      payload: { tool },
      evidence: { calls: seen.calls, repeats: seen.repeats, distinctResults: seen.results.size },
    });
  }
  return { candidates: candidates.sort(byKey), notes: [] };
}
