// The admin UI's Proposals page (contributed to `web.page`): a chart of the proposals per loop
// and state, filters by state, and every proposal with its evidence; a pending one has Approve
// and Reject buttons (forms posting to /proposals/:id/approve|reject with the session's CSRF
// token). Server-rendered, no script; every value escaped by `html`.
import { html, type SafeHtml, type WebPage, type WebPageRequest } from '@kora/plugin-web';
import type { ProposalDesk } from './desk.js';
import { LOOPS, STATUSES, type FixEnvelopePayload, type LoopName, type Proposal, type ProposalStatus } from './proposal.js';
import { listQuery } from './query.js';

export const PAGE_PATH = '/proposals';

const COLOURS: Record<ProposalStatus, string> = { pending: '#1f5fa8', approved: '#2e8540', rejected: '#b3261e', expired: '#6b6b6b' };

/** Fixed lines after a decision: never text from the URL. */
const NOTICE: Record<string, string> = {
  approved: 'approved: it applies now.',
  rejected: 'rejected: its loop will not propose it again.',
  KORA_ERR_PROPOSAL_UNKNOWN: 'is not a proposal.',
  KORA_ERR_PROPOSAL_NOT_PENDING: 'was decided already or expired: nothing changed.',
  KORA_ERR_USAGE: 'is not a proposal id.',
  failed: 'could not be decided; the gateway log says why.',
};

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const iso = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Counts per loop and state as one horizontal stacked bar per loop, each segment named in its <title>; the table below says the same in text. */
export function proposalsChart(proposals: readonly Proposal[]): SafeHtml {
  const BAR = 16;
  const GAP = 8;
  const LABEL = 150;
  const WIDTH = 300;
  const per = new Map<LoopName, Record<ProposalStatus, number>>();
  for (const loop of LOOPS) per.set(loop, { pending: 0, approved: 0, rejected: 0, expired: 0 });
  for (const p of proposals) per.get(p.loop)![p.status] += 1;
  const max = Math.max(1, ...[...per.values()].map((c) => STATUSES.reduce((n, s) => n + c[s], 0)));
  const height = LOOPS.length * (BAR + GAP) + GAP;
  const bars = LOOPS.map((loop, i) => {
    const y = GAP + i * (BAR + GAP);
    const counts = per.get(loop)!;
    let x = LABEL;
    const segments = STATUSES.filter((s) => counts[s] > 0).map((s) => {
      const w = Math.max(2, Math.round((counts[s] / max) * WIDTH));
      const seg = html`<rect x="${x}" y="${y}" width="${w}" height="${BAR}" fill="${COLOURS[s]}" data-status="${s}"><title>${loop}: ${counts[s]} ${s}</title></rect>`;
      x += w;
      return seg;
    });
    return html`<g data-loop="${loop}"><text x="0" y="${y + BAR - 4}" font-size="12">${loop}</text>${segments}</g>`;
  });
  const summary = LOOPS.map((loop) => `${loop}: ${STATUSES.map((s) => `${per.get(loop)![s]} ${s}`).join(', ')}`).join('; ');
  return html`<svg id="proposals-chart" role="img" aria-labelledby="proposals-chart-title" width="${LABEL + WIDTH + 10}" height="${height}" viewBox="0 0 ${LABEL + WIDTH + 10} ${height}"><title id="proposals-chart-title">Proposals per loop and state: ${summary}</title>${bars}</svg>
<p class="legend">${STATUSES.map((s) => html`<span class="swatch-label"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${COLOURS[s]}"></rect></svg> ${s}</span> `)}</p>`;
}

function what(p: Proposal): SafeHtml {
  switch (p.loop) {
    case 'phrasebook': {
      const pb = p.payload as Proposal<'phrasebook'>['payload'];
      return html`<p>When a DM says <q>${pb.question}</q>, answer without the model:</p><blockquote>${pb.answer}</blockquote>`;
    }
    case 'snapshot_expand':
      return html`<p>Add the tool <code>${(p.payload as Proposal<'snapshot_expand'>['payload']).tool}</code> to the snapshot.</p>`;
    case 'router_tuning': {
      const rt = p.payload as Proposal<'router_tuning'>['payload'];
      return html`<p>${rt.action === 'add' ? 'Add' : 'Remove'} the decision pattern <code>${rt.pattern}</code> ${rt.action === 'add' ? 'to' : 'from'} the cost ladder.</p>`;
    }
    case 'tool_trimming': {
      const tt = p.payload as Proposal<'tool_trimming'>['payload'];
      return html`<p>Stop offering <code>${tt.tool}</code> on the route <code>${tt.route}</code>.</p>`;
    }
    case 'probe_fix_envelopes': {
      const fe = p.payload as FixEnvelopePayload;
      return html`<p>Probe <code>${fe.probe}</code>: <code>${fe.signature}</code>, ${fe.count} times from ${iso(fe.firstSeen)} to ${iso(fe.lastSeen)}.</p><p>Suggested action: ${fe.suggestedAction ?? 'none drafted (no engine ran)'}</p>`;
    }
  }
}

function row(p: Proposal, csrf: string, back: string): SafeHtml {
  const evidence = Object.entries(p.evidence).map(([k, v]) => `${k} ${v}`).join(', ');
  const actions =
    p.status === 'pending'
      ? html`<form method="post" action="/proposals/${p.id}/approve"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="back" value="${back}"><button type="submit">Approve<span class="vh"> proposal ${p.id}</span></button></form>
<form method="post" action="/proposals/${p.id}/reject"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="back" value="${back}"><button type="submit" class="danger">Reject<span class="vh"> proposal ${p.id}</span></button></form>`
      : html`${p.decidedBy ? html`by ${p.decidedBy}` : ''}${p.decidedAt !== null ? html` at ${iso(p.decidedAt)}` : ''}`;
  return html`<tr id="proposal-${p.id}" data-status="${p.status}" data-loop="${p.loop}"><td><code>${p.id}</code></td><td>${p.loop}</td><td>${p.status}</td><td>${p.title}${what(p)}</td><td>${evidence}</td><td>${iso(p.createdAt)}</td><td>${p.status === 'pending' ? iso(p.expiresAt) : '—'}</td><td class="actions">${actions}</td></tr>`;
}

/** What a loop turned off looks like on the page: `loops` as `switchView` answers it. */
export type LoopSwitches = Readonly<Record<string, { readonly on: boolean; readonly offBy?: string; readonly key?: string; readonly by?: string; readonly target?: string }>>;

function switchesNotice(loops: LoopSwitches | undefined): SafeHtml | string {
  const off = Object.entries(loops ?? {}).filter(([, s]) => !s.on);
  if (off.length === 0) return '';
  const items = off.map(([loop, s]) => html`<li data-loop="${loop}"><code>${loop}</code>: ${s.offBy === 'config' ? html`off in the config (<code>${s.key ?? ''}</code>)` : html`turned off${s.target === 'all' ? ' with all loops' : ''} by ${s.by ?? '?'} (<code>kora proposals resume${s.target === 'all' ? '' : ` ${loop}`}</code> turns it on)`}</li>`);
  return html`<section id="kill-switch" aria-labelledby="kill-switch-title"><h2 id="kill-switch-title">Loops turned off</h2><p>They propose nothing and what was approved for them does not apply.</p><ul>${items}</ul></section>`;
}

export async function renderProposals(desk: ProposalDesk, request: WebPageRequest, switches?: () => Promise<LoopSwitches>): Promise<SafeHtml> {
  let query;
  try {
    query = listQuery({ status: single(request.query.status), loop: single(request.query.loop) });
  } catch (err) {
    return html`<p role="alert">${(err as Error).message}</p>`;
  }
  const back = query.status ?? 'all';
  const [{ proposals, counts }, all] = await Promise.all([desk.list({ ...query, limit: 500 }), desk.list({ limit: 500 })]);
  const id = single(request.query.id);
  const done = single(request.query.done) ?? single(request.query.error);
  const notice = done && NOTICE[done] && id && /^[0-9a-f]{10}$/.test(id) ? html`<p role="status" id="proposal-notice" class="${single(request.query.done) ? 'flash ok' : 'flash error'}">Proposal ${id} ${NOTICE[done]}</p>` : '';
  const filters = html`<nav aria-label="Proposal states"><ul class="filters">${[
    html`<li><a href="${PAGE_PATH}"${back === 'all' ? html` aria-current="page"` : ''}>all (${STATUSES.reduce((n, s) => n + counts[s], 0)})</a></li>`,
    ...STATUSES.map((s) => html`<li><a href="${PAGE_PATH}?status=${s}"${back === s ? html` aria-current="page"` : ''}>${s} (${counts[s]})</a></li>`),
  ]}</ul></nav>`;
  const table =
    proposals.length === 0
      ? html`<p id="no-proposals">No ${back === 'all' ? '' : `${back} `}proposals.</p>`
      : html`<table id="proposals"><caption>${proposals.length} ${back === 'all' ? '' : `${back} `}proposals, newest first</caption><thead><tr><th scope="col">Id</th><th scope="col">Loop</th><th scope="col">State</th><th scope="col">Proposal</th><th scope="col">Evidence</th><th scope="col">Made</th><th scope="col">Expires</th><th scope="col">Decision</th></tr></thead><tbody>${proposals.map((p) => row(p, request.csrfToken, back))}</tbody></table>`;
  const off = switchesNotice(switches ? await switches() : undefined);
  return html`${notice}${off}<p>What the learning loops propose from the audit log. Nothing applies until a person approves it; a pending proposal expires after 14 days.</p>${proposalsChart(all.proposals)}${filters}${table}`;
}

export function proposalsPage(desk: ProposalDesk, switches?: () => Promise<LoopSwitches>): WebPage {
  return { path: PAGE_PATH, title: 'Proposals', render: (request) => renderProposals(desk, request, switches) };
}
