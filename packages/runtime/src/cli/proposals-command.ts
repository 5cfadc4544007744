// `kora proposals list|approve|reject|pause|resume`: the promote plugin's admin routes, from the
// CLI (admin-client.ts). A decision or a switch made here is audited with the actor `cli`.
import { UsageError } from '../errors.js';
import { callAdminApi, formatTable, locateAdminApi, type AdminCommandOptions } from './admin-client.js';
import { escaped, printJson, type Io } from './output.js';

const SERVED_BY = 'promote';
const STATUSES = ['pending', 'approved', 'rejected', 'expired', 'all'];

interface ProposalView {
  id: string;
  loop: string;
  status: string;
  title: string;
  createdAt: number;
  expiresAt: number;
  decidedBy: string | null;
}

interface ListAnswer {
  proposals: ProposalView[];
  counts: Record<string, number>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export function formatProposals(answer: ListAnswer): string {
  const counts = Object.entries(answer.counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  if (answer.proposals.length === 0) return `No proposals to show (${counts}).`;
  const rows = answer.proposals.map((p) => [p.id, p.loop, p.status, day(p.createdAt), p.status === 'pending' ? day(p.expiresAt) : (p.decidedBy ?? ''), p.title]);
  return `${formatTable(['id', 'loop', 'status', 'made (UTC)', 'expires / decided by', 'proposal'], rows, 6)}\n(${counts})`;
}

export async function runProposalsList(options: AdminCommandOptions & { status?: string | undefined; loop?: string | undefined }, io: Io): Promise<number> {
  if (options.status !== undefined && !STATUSES.includes(options.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')} (got "${options.status}")`, { status: options.status });
  const query = new URLSearchParams();
  if (options.status && options.status !== 'all') query.set('status', options.status);
  if (options.loop) query.set('loop', options.loop);
  const path = `/api/proposals${query.size > 0 ? `?${query.toString()}` : ''}`;
  const answer = await callAdminApi<ListAnswer>(locateAdminApi(options), path, { method: 'GET', servedBy: SERVED_BY });
  if (options.json) printJson(io, answer);
  else io.out(formatProposals(answer));
  return 0;
}

export async function runProposalDecide(options: AdminCommandOptions & { id: string; decision: 'approve' | 'reject'; reason?: string | undefined }, io: Io): Promise<number> {
  const body = { via: 'cli', ...(options.reason ? { reason: options.reason } : {}) };
  const answer = await callAdminApi<{ proposal: ProposalView }>(locateAdminApi(options), `/api/proposals/${encodeURIComponent(options.id)}/${options.decision}`, { method: 'POST', body, servedBy: SERVED_BY });
  if (options.json) printJson(io, answer);
  else io.out(escaped`${answer.proposal.status} ${answer.proposal.id} (${answer.proposal.loop}): ${answer.proposal.title}`);
  return 0;
}

interface SwitchAnswer {
  loops: Record<string, { on: boolean; offBy?: string; key?: string; by?: string; target?: string }>;
}

export function formatSwitches(answer: SwitchAnswer): string {
  const rows = Object.entries(answer.loops).map(([loop, s]) => [loop, s.on ? 'on' : 'off', s.on ? '' : s.offBy === 'config' ? `config: ${s.key ?? ''}` : `runtime (${s.target === 'all' ? 'all loops' : 'this loop'}) by ${s.by ?? '?'}`]);
  return formatTable(['loop', 'state', 'turned off by'], rows, 3);
}

/** `kora proposals pause [loop]` / `resume [loop]`: the runtime kill switch (POST /api/promote/kill-switch). */
export async function runProposalsSwitch(options: AdminCommandOptions & { loop?: string | undefined; enabled: boolean; reason?: string | undefined }, io: Io): Promise<number> {
  const body = { via: 'cli', enabled: options.enabled, ...(options.loop ? { loop: options.loop } : {}), ...(options.reason ? { reason: options.reason } : {}) };
  const answer = await callAdminApi<SwitchAnswer>(locateAdminApi(options), '/api/promote/kill-switch', { method: 'POST', body, servedBy: SERVED_BY });
  if (options.json) printJson(io, answer);
  else io.out(formatSwitches(answer));
  return 0;
}
