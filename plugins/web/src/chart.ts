// The timeline of a task's recent runs, as inline SVG (no script, works offline): one bar per
// ledger row, oldest on the left, coloured by status and always named in text too (a <title>
// per bar, the legend, and the table under it), manual runs marked with a dot above the bar.
import type { FleetGatewayView, RunRecord, RunStatus } from '@kora/runtime';
import { html, type SafeHtml } from './html.js';

export const STATUS_TEXT: Record<RunStatus, string> = {
  ok: 'ok',
  failed: 'failed',
  timeout: 'timeout',
  skipped_overlap: 'skipped (overlap)',
  missed: 'missed',
  interrupted: 'interrupted',
  running: 'running',
};

const BAR = 12;
const GAP = 4;
const HEIGHT = 40;

/** `runs` newest first, as the ledger gives them. */
export function timelineChart(task: string, runs: readonly RunRecord[], id: string): SafeHtml {
  const ordered = [...runs].reverse();
  const width = Math.max(ordered.length, 1) * (BAR + GAP) + GAP;
  const summary = runs.length === 0 ? 'no runs yet' : `${runs.length} recent runs, latest ${describe(runs[0]!)}`;
  const bars = ordered.map((run, i) => {
    const x = GAP + i * (BAR + GAP);
    const manual = run.trigger === 'manual';
    return html`<g class="run run-${run.status}${manual ? ' run-manual' : ''}" data-status="${run.status}" data-trigger="${run.trigger ?? 'schedule'}" data-slot="${run.slot}"><title>${describe(run)}</title><rect x="${x}" y="12" width="${BAR}" height="${HEIGHT - 14}" rx="2"></rect>${manual && html`<circle cx="${x + BAR / 2}" cy="5" r="3.5"></circle>`}</g>`;
  });
  return html`<svg class="timeline" id="${id}" role="img" aria-labelledby="${id}-title" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}"><title id="${id}-title">Recent runs of ${task}: ${summary}</title>${bars}</svg>`;
}

export function describe(run: RunRecord): string {
  const when = new Date(run.startedAt ?? run.slot).toISOString();
  const parts = [STATUS_TEXT[run.status] ?? run.status, run.trigger === 'manual' ? 'manual' : 'scheduled', when];
  if (run.durationMs !== null && run.durationMs !== undefined) parts.push(`${run.durationMs} ms`);
  if (run.count && run.count > 1) parts.push(`${run.count} slots`);
  if (run.error) parts.push(run.error.slice(0, 200));
  return parts.join(' · ');
}

export function chartLegend(): SafeHtml {
  const items = (Object.keys(STATUS_TEXT) as RunStatus[]).map((s) => html`<li><span class="swatch run-${s}" aria-hidden="true"></span>${STATUS_TEXT[s]}</li>`);
  return html`<ul class="legend" aria-label="Chart legend">${items}<li><span class="swatch-manual" aria-hidden="true"></span>manual run (dot above the bar)</li></ul>`;
}

const FLEET_ROW = 22;
const FLEET_WIDTH = 320;

/**
 * How fresh each gateway's heartbeat is against the lease, as inline SVG: one bar per gateway,
 * its length the heartbeat's age, with the lease marked; a bar past the mark is a gateway that is
 * gone. Every bar is named in text too (a <title>, and the table beside it).
 */
export function heartbeatChart(gateways: readonly FleetGatewayView[], leaseMs: number, id: string): SafeHtml {
  const scale = Math.max(leaseMs * 1.5, ...gateways.map((g) => Math.min(g.heartbeatAgeMs, leaseMs * 4)));
  const x = (ms: number) => Math.round((Math.min(ms, scale) / scale) * FLEET_WIDTH);
  const height = Math.max(gateways.length, 1) * FLEET_ROW + 18;
  const bars = gateways.map((g, i) => {
    const y = 14 + i * FLEET_ROW;
    const text = `${g.host} pid ${g.pid} (${g.sessionId.slice(0, 8)}): heartbeat ${Math.round(g.heartbeatAgeMs / 1000)} s ago, ${g.presence}${g.leader ? ', leader' : ''}`;
    return html`<g class="beat beat-${g.presence}${g.leader ? ' beat-leader' : ''}" data-session="${g.sessionId}" data-presence="${g.presence}"><title>${text}</title><rect x="0" y="${y}" width="${Math.max(2, x(g.heartbeatAgeMs))}" height="${FLEET_ROW - 6}" rx="2"></rect></g>`;
  });
  const lease = x(leaseMs);
  return html`<svg class="heartbeats" id="${id}" role="img" aria-labelledby="${id}-title" width="${FLEET_WIDTH + 40}" height="${height}" viewBox="0 0 ${FLEET_WIDTH + 40} ${height}"><title id="${id}-title">Heartbeat age of ${gateways.length} gateways against the ${leaseMs / 1000} s lease</title>${bars}<line class="lease" x1="${lease}" x2="${lease}" y1="8" y2="${height}"></line><text x="${lease + 3}" y="10" class="lease-label">lease ${leaseMs / 1000} s</text></svg>`;
}
