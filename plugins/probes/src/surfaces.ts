// What the probes show, one reading for every surface: the admin API's `GET /api/probes`
// (`kora probes`), the MCP tool `kora__probes`, and the admin UI's Probes page with each probe's
// recent states as a strip chart (inline SVG, no script, every cell named in text too).
import type { HttpRoute, PluginContext, ProbeResult, ProbeState, ToolSpec } from '@kora/runtime';
import { html, type SafeHtml, type WebPage } from '@kora/plugin-web';
import type { ProbeBoard } from './heartbeat-daemon.js';
import { probeHistory } from './history.js';
import type { ProbeKind } from './probe-run.js';

export const MAX_HISTORY = 200;

export interface ProbeView {
  readonly name: string;
  readonly kind: ProbeKind;
  readonly target: string;
  /** Null before its first cycle. */
  readonly latest: ProbeResult | null;
  /** Newest first. */
  readonly history: readonly ProbeResult[];
}

export interface ProbesAnswer {
  readonly probes: readonly ProbeView[];
}

export async function probesView(ctx: PluginContext<unknown>, board: ProbeBoard, history: number): Promise<ProbesAnswer> {
  const probes = await Promise.all(
    board.probes.map(async (p) => {
      const rows = history > 0 ? await probeHistory(ctx.db, p.name, history) : [];
      return { name: p.name, kind: p.kind, target: p.target, latest: board.get(p.name) ?? rows[0] ?? null, history: rows };
    }),
  );
  return { probes };
}

export function probesRoute(ctx: PluginContext<unknown>, board: ProbeBoard): HttpRoute {
  return {
    method: 'GET',
    path: '/api/probes',
    async handle(request) {
      const raw = request.query.history;
      const history = raw === undefined ? 20 : Array.isArray(raw) ? Number.NaN : Number(raw);
      if (!Number.isSafeInteger(history) || history < 0 || history > MAX_HISTORY) {
        return { status: 400, body: { error: { code: 'bad_request', message: `history must be a whole number from 0 to ${MAX_HISTORY} (got ${JSON.stringify(raw)})` } } };
      }
      return { status: 200, body: await probesView(ctx, board, history) };
    },
  };
}

export function probesTool(ctx: PluginContext<unknown>, board: ProbeBoard): ToolSpec {
  return {
    name: 'kora__probes',
    description: 'The service probes (Vercel, Sentry, Doppler, Supabase, Fly, generic HTTP): each one’s latest state (ok, degraded, down, error, unconfigured), latency and detail, and its recent results, newest first.',
    inputSchema: {
      type: 'object',
      properties: { history: { type: 'integer', minimum: 0, maximum: 50, description: 'Recent results per probe (default 5).' } },
      additionalProperties: false,
    },
    mcp: true,
    async run(input) {
      const history = typeof input.history === 'number' && Number.isSafeInteger(input.history) ? Math.min(Math.max(input.history, 0), 50) : 5;
      return probesView(ctx, board, history);
    },
  };
}

/** Fill colours of the chart's cells; each state is also named in text (title, legend, table). */
const STATE_FILL: Record<ProbeState, string> = {
  ok: '#1a7f37',
  degraded: '#bf8700',
  down: '#cf222e',
  error: '#8250df',
  unconfigured: '#8c959f',
};

const CELL = 10;
const GAP = 3;
const HEIGHT = 24;

/** `history` newest first, drawn oldest on the left. */
export function stripChart(name: string, history: readonly ProbeResult[], id: string): SafeHtml {
  const ordered = [...history].reverse();
  const width = Math.max(ordered.length, 1) * (CELL + GAP) + GAP;
  const summary = history.length === 0 ? 'no results yet' : `${history.length} recent results, latest ${describe(history[0]!)}`;
  const cells = ordered.map(
    (r, i) =>
      html`<g class="probe-cell" data-state="${r.state}"><title>${describe(r)}</title><rect x="${GAP + i * (CELL + GAP)}" y="2" width="${CELL}" height="${HEIGHT - 4}" rx="2" fill="${STATE_FILL[r.state] ?? '#8c959f'}"></rect></g>`,
  );
  return html`<svg class="probe-strip" id="${id}" role="img" aria-labelledby="${id}-title" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}"><title id="${id}-title">Recent states of ${name}: ${summary}</title>${cells}</svg>`;
}

function describe(r: ProbeResult): string {
  return [r.state, new Date(r.at).toISOString(), r.latencyMs === null ? null : `${r.latencyMs} ms`, r.detail].filter((p) => p !== null && p !== '').join(' · ');
}

function legend(): SafeHtml {
  const items = (Object.keys(STATE_FILL) as ProbeState[]).map(
    (s) => html`<li><svg width="12" height="12" aria-hidden="true" focusable="false"><rect width="12" height="12" rx="2" fill="${STATE_FILL[s]}"></rect></svg> ${s}</li>`,
  );
  return html`<ul class="legend" aria-label="Chart legend">${items}</ul>`;
}

export function probesPage(ctx: PluginContext<unknown>, board: ProbeBoard): WebPage {
  return {
    path: '/probes',
    title: 'Probes',
    async render() {
      const { probes } = await probesView(ctx, board, 48);
      if (probes.length === 0) return html`<p>No probe is configured.</p>`;
      const rows = probes.map(
        (p, i) => html`<tr>
  <th scope="row">${p.name}</th>
  <td>${p.kind}</td>
  <td>${p.target}</td>
  <td data-state="${p.latest?.state ?? 'none'}">${p.latest?.state ?? 'not run yet'}</td>
  <td>${p.latest?.latencyMs === null || p.latest === null ? '—' : `${p.latest.latencyMs} ms`}</td>
  <td>${p.latest?.detail ?? '—'}</td>
  <td>${p.latest ? new Date(p.latest.at).toISOString() : '—'}</td>
  <td>${stripChart(p.name, p.history, `probe-strip-${i}`)}</td>
</tr>`,
      );
      return html`<p>Each probe runs every cycle of <code>heartbeat.service_probes</code>; the strip shows its recent states, oldest on the left.</p>
${legend()}
<table>
<caption>Service probes</caption>
<thead><tr><th scope="col">Probe</th><th scope="col">Kind</th><th scope="col">Target</th><th scope="col">State</th><th scope="col">Latency</th><th scope="col">Detail</th><th scope="col">At</th><th scope="col">Recent states</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
    },
  };
}
