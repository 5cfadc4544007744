// `kora probes` and `kora alerts`: the probes and alerts plugins' admin routes (`GET /api/probes`,
// `GET /api/alerts`), read from the running gateway through the CLI's admin client.
import { formatTable, runAdminRead, type AdminCommandOptions } from './admin-client.js';
import type { Io } from './output.js';

interface ProbeResultAnswer {
  state: string;
  latencyMs: number | null;
  detail: string | null;
  at: number;
}

export interface ProbesAnswer {
  probes: { name: string; kind: string; target: string; latest: ProbeResultAnswer | null; history: ProbeResultAnswer[] }[];
}

/** One letter per state for the recent-states column, oldest on the left. */
const STATE_MARK: Record<string, string> = { ok: '.', degraded: 'd', down: 'X', error: 'E', unconfigured: '-' };

export function formatProbes(answer: ProbesAnswer): string {
  if (answer.probes.length === 0) return 'No probe is configured.';
  const rows = answer.probes.map((p) => [
    p.name,
    p.latest?.state ?? 'not run yet',
    p.latest?.latencyMs === null || p.latest === null ? '' : `${p.latest.latencyMs} ms`,
    p.latest ? new Date(p.latest.at).toISOString() : '',
    [...p.history].reverse().map((r) => STATE_MARK[r.state] ?? '?').join(''),
    p.latest?.detail ?? '',
  ]);
  return [formatTable(['probe', 'state', 'latency', 'at', 'recent', 'detail'], rows, 6), 'recent: oldest first; . ok  d degraded  X down  E error  - unconfigured'].join('\n');
}

export function runProbes(options: AdminCommandOptions, io: Io): Promise<number> {
  return runAdminRead<ProbesAnswer>(options, io, '/api/probes?history=20', 'probes', formatProbes);
}

export interface AlertsAnswer {
  open: { key: string; severity: string; title: string; detail: string | null; openedAt: number; lastNotifiedAt: number }[];
  events: { at: number; key: string; kind: string; severity: string; title: string }[];
}

export function formatAlerts(answer: AlertsAnswer): string {
  const open =
    answer.open.length === 0
      ? 'No alert is open.'
      : formatTable(
          ['severity', 'alert', 'key', 'since', 'last said'],
          answer.open.map((a) => [a.severity, a.title, a.key, new Date(a.openedAt).toISOString(), new Date(a.lastNotifiedAt).toISOString()]),
          5,
        );
  const said = answer.events.length === 0 ? 'Nothing said yet.' : formatTable(['at', 'kind', 'alert'], answer.events.slice(0, 20).map((e) => [new Date(e.at).toISOString(), e.kind, e.title]), 3);
  return [`Open alerts (${answer.open.length}):`, open, '', 'Recently said:', said].join('\n');
}

export function runAlerts(options: AdminCommandOptions, io: Io): Promise<number> {
  return runAdminRead<AlertsAnswer>(options, io, '/api/alerts?events=20', 'alerts', formatAlerts);
}
