// What the alerts show, one reading for every surface: the admin API's `GET /api/alerts`
// (`kora alerts`), the MCP tool `kora__alerts` and the admin UI's Alerts page (the open alerts,
// then what was said when).
import type { HttpRoute, PluginContext, ToolSpec } from '@kora/runtime';
import { html, type WebPage } from '@kora/plugin-web';
import { readAlerts, readEvents, type AlertEvent, type AlertRow } from './store.js';

export const MAX_EVENTS_SHOWN = 500;

export interface AlertsAnswer {
  /** Open alerts, most recently opened first. */
  readonly open: readonly AlertRow[];
  /** What was said, newest first. */
  readonly events: readonly AlertEvent[];
}

/**
 * Read from the tables, not the daemon's book: `alert_notifier` is leader-scoped, so on a fleet's
 * other gateways (or while it is failed) the book is empty, while every transition is written to
 * `alerts_alerts` before the book takes it.
 */
export async function alertsView(ctx: PluginContext<unknown>, events: number): Promise<AlertsAnswer> {
  const open = [...(await readAlerts(ctx.db)).values()].filter((r) => r.state === 'open').sort((a, b) => b.openedAt - a.openedAt || a.key.localeCompare(b.key));
  return { open, events: events > 0 ? await readEvents(ctx.db, { limit: events }) : [] };
}

export function alertsRoute(ctx: PluginContext<unknown>): HttpRoute {
  return {
    method: 'GET',
    path: '/api/alerts',
    async handle(request) {
      const raw = request.query.events;
      const events = raw === undefined ? 50 : Array.isArray(raw) ? Number.NaN : Number(raw);
      if (!Number.isSafeInteger(events) || events < 0 || events > MAX_EVENTS_SHOWN) {
        return { status: 400, body: { error: { code: 'bad_request', message: `events must be a whole number from 0 to ${MAX_EVENTS_SHOWN} (got ${JSON.stringify(raw)})` } } };
      }
      return { status: 200, body: await alertsView(ctx, events) };
    },
  };
}

export function alertsTool(ctx: PluginContext<unknown>): ToolSpec {
  return {
    name: 'kora__alerts',
    description: 'The open alerts (failing probes, the cost rung, tasks failing in a row, dead letters, failed daemons) with severity and since when, and the latest alert messages said (opened, changed, reminder, resolved), newest first.',
    inputSchema: {
      type: 'object',
      properties: { events: { type: 'integer', minimum: 0, maximum: 100, description: 'Recent alert messages to include (default 20).' } },
      additionalProperties: false,
    },
    mcp: true,
    async run(input) {
      const events = typeof input.events === 'number' && Number.isSafeInteger(input.events) ? Math.min(Math.max(input.events, 0), 100) : 20;
      return alertsView(ctx, events);
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function alertsPage(ctx: PluginContext<unknown>): WebPage {
  return {
    path: '/alerts',
    title: 'Alerts',
    async render() {
      const { open, events } = await alertsView(ctx, 100);
      const openRows = open.map(
        (a) => html`<tr><th scope="row">${a.title}</th><td data-severity="${a.severity}">${a.severity}</td><td><code>${a.key}</code></td><td>${iso(a.openedAt)}</td><td>${iso(a.lastNotifiedAt)}</td><td>${a.detail ?? '—'}</td></tr>`,
      );
      const eventRows = events.map((e) => html`<tr><td>${iso(e.at)}</td><td>${e.kind}</td><td>${e.severity}</td><td>${e.title}</td><td><code>${e.key}</code></td></tr>`);
      return html`<h2>Open</h2>
${
  open.length === 0
    ? html`<p>No alert is open.</p>`
    : html`<table>
<caption>Open alerts</caption>
<thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Key</th><th scope="col">Open since</th><th scope="col">Last said</th><th scope="col">Detail</th></tr></thead>
<tbody>${openRows}</tbody>
</table>`
}
<h2>Said</h2>
${
  events.length === 0
    ? html`<p>Nothing was said yet.</p>`
    : html`<table>
<caption>Alert messages, newest first</caption>
<thead><tr><th scope="col">At</th><th scope="col">Kind</th><th scope="col">Severity</th><th scope="col">Alert</th><th scope="col">Key</th></tr></thead>
<tbody>${eventRows}</tbody>
</table>`
}`;
    },
  };
}
