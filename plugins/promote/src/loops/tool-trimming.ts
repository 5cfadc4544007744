// promote_tool_trimming: a tool offered on a route reply after reply and never called there costs
// input tokens for nothing. Reads kora's rows: `llm.call` (`route`, `tools`: the names offered)
// and `tool.call` (`route`, `tool`). A tool offered in at least `minOffers` replies of a route and
// called zero times on it over the window → propose dropping it from that route.
import type { ToolTrimmingSettings } from '../config.js';
import type { Candidate } from '../proposal.js';
import { byKey, str, strings, type Analysis, type Rows } from './rows.js';

export const TRIMMING_SEAMS = ['llm.call', 'tool.call'] as const;

export function analyzeToolTrimming(rows: Rows, settings: ToolTrimmingSettings): Analysis<'tool_trimming'> {
  const offered = new Map<string, Map<string, number>>();
  const replies = new Map<string, number>();
  const used = new Set<string>();
  for (const row of rows) {
    const route = str(row.details, 'route');
    if (!route) continue;
    if (row.seam === 'llm.call') {
      const tools = strings(row.details, 'tools');
      if (!tools) continue;
      replies.set(route, (replies.get(route) ?? 0) + 1);
      const counts = offered.get(route) ?? new Map<string, number>();
      for (const tool of new Set(tools)) counts.set(tool, (counts.get(tool) ?? 0) + 1);
      offered.set(route, counts);
    } else if (row.seam === 'tool.call') {
      const tool = str(row.details, 'tool');
      if (tool) used.add(`${route}\u0000${tool}`);
    }
  }
  const candidates: Candidate<'tool_trimming'>[] = [];
  for (const [route, counts] of offered) {
    for (const [tool, offers] of counts) {
      if (offers < settings.minOffers || used.has(`${route}\u0000${tool}`)) continue;
      candidates.push({
        key: `${route}:${tool}`,
        title: `Stop offering ${tool} on the ${route} route: offered in ${offers} replies, never called`,
        payload: { route, tool },
        evidence: { offers, replies: replies.get(route) ?? offers, calls: 0 },
      });
    }
  }
  return { candidates: candidates.sort(byKey), notes: [] };
}
