// The snapshot's surfaces: GET /api/snapshot on the admin API, the Snapshot page of the admin UI,
// and the `kora__snapshot` tool (for the engine and, with `mcp: true`, MCP callers).
import type { HttpRoute, SnapshotView, ToolSpec } from '@kora/runtime';
import { html, type SafeHtml, type WebPage } from '@kora/plugin-web';
import { currentView, DAEMON_NAME, type KeeperHolder } from './daemon.js';

const NOT_RUNNING = `The snapshot daemon (${DAEMON_NAME}) is not running on this gateway and no snapshot is stored: see \`kora status\` for its error`;
const NONE_YET = 'No snapshot has been computed yet: the first comes when snapshot.compute first runs (at start, then every 5 min)';

export function snapshotRoute(holder: KeeperHolder): HttpRoute {
  return {
    method: 'GET',
    path: '/api/snapshot',
    async handle() {
      const { running, view } = await currentView(holder);
      if (!view && !running) return { status: 503, body: { error: { code: 'snapshot_unavailable', message: NOT_RUNNING } } };
      if (!view) return { status: 404, body: { error: { code: 'no_snapshot', message: NONE_YET } } };
      return { status: 200, body: view };
    },
  };
}

export function snapshotTool(holder: KeeperHolder): ToolSpec {
  return {
    name: 'kora__snapshot',
    description:
      "The latest roll-up of the whole agent: gateway state, daemons, tasks, probes, cost rung and windows, MCP servers' health, open alerts, pending proposals (a section is 'unavailable' when its plugin is not running). at is when it was computed; stale: true means older than the threshold, so check before relying on it.",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    mcp: true,
    async run(): Promise<SnapshotView | { snapshot: null; message: string }> {
      const { running, view } = await currentView(holder);
      return view ?? { snapshot: null, message: running ? NONE_YET : NOT_RUNNING };
    },
  };
}

const SECTIONS = ['gateway', 'daemons', 'tasks', 'probes', 'costs', 'mcp', 'alerts', 'proposals', 'tools'] as const;

export function snapshotPage(holder: KeeperHolder): WebPage {
  return {
    path: '/snapshot',
    title: 'Snapshot',
    async render(): Promise<SafeHtml> {
      const { running, view } = await currentView(holder);
      if (!view) return running ? html`<p>${NONE_YET}.</p>` : html`<p class="problem">${NOT_RUNNING}.</p>`;
      const sections = SECTIONS.filter((s) => s in view.data).map(
        (s) => html`<section data-section="${s}"><h2>${s}</h2>${view.data[s] === 'unavailable' ? html`<p class="unavailable">unavailable: its plugin is not enabled or its daemon is not running</p>` : html`<pre>${JSON.stringify(view.data[s], null, 2)}</pre>`}</section>`,
      );
      return html`<p>Computed <time datetime="${new Date(view.at).toISOString()}">${new Date(view.at).toISOString()}</time>${view.stale ? html` <strong class="stale" id="snapshot-stale">stale</strong>` : ''}</p>${sections}`;
    },
  };
}
