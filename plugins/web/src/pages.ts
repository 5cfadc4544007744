// The UI's own pages, server-rendered from the same views the API answers with: overview,
// daemons, tasks (timeline and Run now), audit log, dead letters, rejected webhook requests.
import type { AuditEntry, GatewayOperations, GatewayView } from '@kora/runtime';
import { chartLegend, describe, heartbeatChart, timelineChart } from './chart.js';
import { html, type SafeHtml } from './html.js';
import { auditPage, auditQuery, inboxTopics, single, tasksWithRuns } from './views.js';

export interface PageDeps {
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
}

export interface PageInput {
  readonly query: Readonly<Record<string, unknown>>;
  readonly csrf: string;
}

/** Where the webhooks plugin records a refused request (its `REJECTED_SEAM`). */
export const REJECTED_SEAM = 'webhooks.rejected';

const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : new Date(ms).toISOString());
const time = (ms: number | null | undefined) => (ms === null || ms === undefined ? html`—` : html`<time datetime="${iso(ms)}">${iso(ms)}</time>`);

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

const state = (value: string) => html`<span class="state state-${value}">${value}</span>`;

export function overviewPage(deps: PageDeps): SafeHtml {
  const s = deps.gateway.status();
  const identity = s.identity === null ? html`not resolved yet` : 'error' in s.identity ? html`<span class="bad">unresolved: ${s.identity.error}</span>` : html`${s.identity.agentName} <span class="muted">(from ${s.identity.source})</span>`;
  const failed = s.daemons.filter((d) => d.state === 'failed');
  const problems = [...s.problems, ...failed.filter((d) => !s.problems.some((p) => p.includes(d.name))).map((d) => `daemon ${d.name} failed: ${d.error ?? 'no error recorded'}`)];
  const endpoints = s.daemons.flatMap((d) => d.endpoints.map((e) => ({ daemon: d.name, ...e })));
  const dead = s.inbox.reduce((n, t) => n + t.dead, 0);
  return html`<dl class="facts">
<dt>State</dt><dd>${state(s.state)}</dd>
<dt>Identity</dt><dd>${identity}</dd>
<dt>Uptime</dt><dd>${duration(s.uptimeMs)} <span class="muted">(since ${s.startedAt})</span></dd>
<dt>Deploy environment</dt><dd>${s.deployEnv}</dd>
<dt>Session</dt><dd><code>${s.sessionId}</code></dd>
<dt>Daemons</dt><dd>${s.daemons.filter((d) => d.state === 'running').length} running of ${s.daemons.length}${failed.length > 0 && html`, <a href="/daemons">${failed.length} failed</a>`}</dd>
<dt>Dead letters</dt><dd>${dead > 0 ? html`<a href="/inbox">${dead}</a>` : '0'}</dd>
<dt>Store</dt><dd>${s.store ? `${s.store.kind} (${s.store.location})` : '—'}</dd>
</dl>
<h2>Degraded</h2>
${problems.length === 0 ? html`<p>Nothing is degraded.</p>` : html`<ul class="problems">${problems.map((p) => html`<li>${p}</li>`)}</ul>`}
${endpoints.length > 0 && html`<h2>Endpoints</h2><ul>${endpoints.map((e) => html`<li>${e.daemon}: ${e.name} <code>${e.url}</code>${e.note && html` <span class="muted">(${e.note})</span>`}</li>`)}</ul>`}`;
}

export function daemonsPage(deps: PageDeps): SafeHtml {
  const s = deps.gateway.status();
  const rows = s.daemons.map(
    (d) => html`<tr data-daemon="${d.name}"><th scope="row">${d.name}</th><td>${d.plugin}</td><td>${state(d.state)}</td><td>${d.fatal ? 'yes' : 'no'}</td><td>${d.startedAt ?? '—'}</td><td>${d.startDurationMs === null ? '—' : `${d.startDurationMs} ms`}</td><td>${d.tasks.length}</td><td>${d.error ? html`<span class="bad">${d.error}</span>` : (d.skipped ?? '')}</td></tr>`,
  );
  return html`<table id="daemons"><caption>${s.daemons.length} daemons</caption>
<thead><tr><th scope="col">Daemon</th><th scope="col">Plugin</th><th scope="col">State</th><th scope="col">Fatal</th><th scope="col">Started</th><th scope="col">Start took</th><th scope="col">Tasks</th><th scope="col">Error</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The fleet: every gateway sharing the store, its heartbeat against the lease, and the leader. */
export async function fleetPage(deps: PageDeps): Promise<SafeHtml> {
  const f = await deps.gateway.fleet();
  const me = deps.gateway.sessionId;
  const leader = f.leader
    ? html`<p id="leader">Leader: <strong>${f.leader.sessionId}</strong> on ${f.leader.host ?? '?'}, since ${f.leader.since}${f.leader.sessionId === me ? ' (this gateway)' : ''}.</p>`
    : html`<p id="leader" class="bad">No gateway leads right now: one takes the lead within the lease (${f.leaseMs / 1000} s).</p>`;
  if (f.gateways.length === 0) return html`${leader}<p>No gateway has registered in the store yet.</p>`;
  const rows = f.gateways.map(
    (g) =>
      html`<tr data-session="${g.sessionId}" data-presence="${g.presence}"><th scope="row"><code>${g.sessionId}</code>${g.sessionId === me ? ' (this one)' : ''}</th><td>${g.host}</td><td>${g.pid}</td><td>${g.version}</td><td>${state(g.presence === 'alive' ? g.state : g.presence)}</td><td>${g.heartbeatAt} <span class="muted">(${Math.round(g.heartbeatAgeMs / 1000)} s ago)</span></td><td>${g.leader ? 'leader' : ''}</td></tr>`,
  );
  return html`${leader}<p class="muted">Store ${f.store.kind} ${f.store.location}. A gateway silent for longer than the lease (${f.leaseMs / 1000} s) is gone: its runs and its lead are taken over.</p>
<figure>${heartbeatChart(f.gateways, f.leaseMs, 'heartbeats')}<figcaption class="vh">Heartbeat age of each gateway against the lease</figcaption></figure>
<table id="fleet"><caption>${f.gateways.length} gateways</caption>
<thead><tr><th scope="col">Session</th><th scope="col">Host</th><th scope="col">Pid</th><th scope="col">Version</th><th scope="col">State</th><th scope="col">Heartbeat</th><th scope="col">Leader</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export async function tasksPage(deps: PageDeps, input: PageInput): Promise<SafeHtml> {
  const tasks = await tasksWithRuns(deps.gateway, 30);
  if (tasks.length === 0) return html`<p>No task is scheduled: no running daemon declares one.</p>`;
  const sections = tasks.map((t, i) => {
    const id = `chart-${i}`;
    return html`<section class="task" data-task="${t.name}" aria-labelledby="${id}-h">
<h2 id="${id}-h">${t.name}</h2>
<p class="muted">${t.daemon} · ${t.schedule} · next ${t.nextRun ?? '—'} · ${t.runs} runs, ${t.failures} failures, ${t.skips} skips, ${t.misses} missed${t.running ? ' · running now' : ''}</p>
<form method="post" action="/tasks/${encodeURIComponent(t.name)}/run">${csrfField(input.csrf)}<button type="submit">Run now<span class="vh"> ${t.name}</span></button></form>
<figure>${timelineChart(t.name, t.recentRuns, id)}<figcaption class="vh">Timeline of the recent runs of ${t.name}, oldest first</figcaption></figure>
${t.recentRuns.length > 0 && html`<details><summary>Recent runs of ${t.name}</summary><ol class="runs">${t.recentRuns.map((r) => html`<li data-status="${r.status}" data-trigger="${r.trigger ?? 'schedule'}">${describe(r)}</li>`)}</ol></details>`}
</section>`;
  });
  return html`${chartLegend()}${sections}`;
}

export async function auditLogPage(deps: PageDeps, input: PageInput): Promise<SafeHtml> {
  const query = auditQuery(input.query);
  const page = await auditPage(deps.gateway, query);
  const field = (name: string) => single(input.query[name]) ?? '';
  const keep = (extra: Record<string, string>) => {
    const params = new URLSearchParams();
    for (const name of ['seam', 'plugin', 'since', 'until', 'limit']) if (field(name)) params.set(name, field(name));
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return `/audit?${params.toString()}`;
  };
  return html`<form class="filters" method="get" action="/audit" role="search" aria-label="Filter the audit log">
<div><label for="f-seam">Seam</label><input id="f-seam" name="seam" value="${field('seam')}" placeholder="tool.call"></div>
<div><label for="f-plugin">Plugin</label><input id="f-plugin" name="plugin" value="${field('plugin')}" placeholder="runtime"></div>
<div><label for="f-since">Since</label><input id="f-since" name="since" value="${field('since')}" placeholder="2026-01-01T00:00:00Z" aria-describedby="f-time-help"></div>
<div><label for="f-until">Until</label><input id="f-until" name="until" value="${field('until')}" placeholder="2026-01-02T00:00:00Z" aria-describedby="f-time-help"></div>
<button type="submit">Filter</button>
<p id="f-time-help" class="help">Times in ISO 8601 (UTC with Z) or epoch milliseconds.</p>
</form>
${auditTable(page.entries, 'audit', 'Audit entries, newest first')}
<nav class="paging" aria-label="Audit pages">${field('before') && html`<a href="${keep({})}">Newest</a>`} ${page.next !== null && html`<a href="${keep({ before: String(page.next) })}" rel="next">Older entries</a>`}</nav>`;
}

function auditTable(entries: readonly AuditEntry[], id: string, caption: string): SafeHtml {
  if (entries.length === 0) return html`<p>No entries.</p>`;
  return html`<table id="${id}"><caption>${caption}</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Time</th><th scope="col">Plugin</th><th scope="col">Seam</th><th scope="col">Details</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${e.id ?? ''}</td><td>${time(e.at)}</td><td>${e.plugin}</td><td>${e.seam}</td><td><code class="details">${clip(JSON.stringify(e.details), 400)}</code></td></tr>`)}</tbody></table>`;
}

export async function inboxPage(deps: PageDeps, input: PageInput): Promise<SafeHtml> {
  const topics = await inboxTopics(deps.gateway, deps.operations);
  const topic = single(input.query.topic)?.trim() || undefined;
  const dead = await deps.operations.inbox.dead({ ...(topic ? { topic } : {}), limit: 100 });
  const topicRows = topics.map(
    (t) => html`<tr><th scope="row">${t.topic}</th><td>${t.consumer ?? html`<span class="bad">none running</span>`}</td><td>${t.pending}</td><td>${t.inFlight}</td><td>${t.dead}</td></tr>`,
  );
  const letters = dead.map((d) => {
    const last = d.errors[d.errors.length - 1];
    return html`<tr data-dead-letter="${d.id}"><th scope="row">${d.id}</th><td>${d.topic}</td><td><code>${d.key}</code></td><td>${d.attempts}${d.replays > 0 ? ` (${d.replays} replays)` : ''}</td><td>${time(d.deadAt)}</td><td>${last ? last.error : ''}</td><td><details><summary>Payload<span class="vh"> of dead letter ${d.id}</span></summary><pre>${clip(JSON.stringify(d.payload, null, 2), 4000)}</pre></details></td>
<td class="actions"><form method="post" action="/inbox/dead/${d.id}/replay">${csrfField(input.csrf)}<button type="submit">Replay<span class="vh"> dead letter ${d.id}</span></button></form>
<form method="post" action="/inbox/dead/${d.id}/discard" data-confirm="Discard dead letter ${d.id} for good?">${csrfField(input.csrf)}<button type="submit" class="danger">Discard<span class="vh"> dead letter ${d.id}</span></button></form></td></tr>`;
  });
  return html`<h2>Topics</h2>
${topics.length === 0 ? html`<p>The inbox is empty.</p>` : html`<table id="topics"><caption>Inbox topics</caption><thead><tr><th scope="col">Topic</th><th scope="col">Consumer</th><th scope="col">Pending</th><th scope="col">In flight</th><th scope="col">Dead</th></tr></thead><tbody>${topicRows}</tbody></table>`}
<h2>Dead letters</h2>
<form class="filters" method="get" action="/inbox" role="search" aria-label="Filter dead letters">
<div><label for="f-topic">Topic</label><select id="f-topic" name="topic"><option value="">All topics</option>${topics.map((t) => html`<option value="${t.topic}"${t.topic === topic ? html` selected` : ''}>${t.topic}</option>`)}</select></div>
<button type="submit">Show</button>
</form>
${dead.length === 0 ? html`<p id="no-dead-letters">No dead letters${topic ? ` in ${topic}` : ''}.</p>` : html`<table id="dead-letters"><caption>Dead letters, the most recently dead first</caption><thead><tr><th scope="col">Id</th><th scope="col">Topic</th><th scope="col">Key</th><th scope="col">Attempts</th><th scope="col">Dead since</th><th scope="col">Last error</th><th scope="col">Payload</th><th scope="col">Actions</th></tr></thead><tbody>${letters}</tbody></table>`}`;
}

export async function rejectedPage(deps: PageDeps): Promise<SafeHtml> {
  const entries = await deps.gateway.auditPage({ seam: REJECTED_SEAM, limit: 100 });
  if (entries.length === 0) return html`<p>No webhook request was rejected${' '}(the webhooks plugin records each refusal as <code>${REJECTED_SEAM}</code>).</p>`;
  const cell = (v: unknown) => (v === undefined || v === null ? '—' : String(v));
  return html`<table id="rejected"><caption>The last ${entries.length} rejected webhook requests, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Route</th><th scope="col">Reason</th><th scope="col">Status</th><th scope="col">Peer</th><th scope="col">Size</th><th scope="col">Headers</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${time(e.at)}</td><td>${cell(e.details.route)}</td><td>${cell(e.details.reason)}</td><td>${cell(e.details.status)}</td><td>${cell(e.details.ip)}</td><td>${cell(e.details.size)}</td><td><code class="details">${clip(JSON.stringify(e.details.headers ?? {}), 400)}</code></td></tr>`)}</tbody></table>`;
}

function clip(text: string | undefined, max: number): string {
  const t = text ?? '';
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
