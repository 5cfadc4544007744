// The one block the gateway prints when boot finishes: what it is, what loaded, what runs. Every
// name and message in it is escaped: a plugin cannot forge a line of it.
import type { StoredStatus } from '../gateway/status-schema.js';
import type { GatewayState, GatewayStatus } from '../gateway/status.js';
import { escaped } from './output.js';

/** The fields the human views read: a live status or one read back from disk (schema 1 or 2). */
type Shown = GatewayStatus | StoredStatus;
type ShownDaemon = Shown['daemons'][number];

/** `logins`: the daemons' login links (they carry a credential), shown here and nowhere else. */
export function bootSummary(s: GatewayStatus, logins: readonly { daemon: string; name: string; login: string }[] = []): string {
  const lines: string[] = [];
  const head = s.state === 'degraded' ? 'Kora gateway DEGRADED' : `Kora gateway ${s.state}`;
  lines.push(escaped`${head} (deploy env ${s.deployEnv}, pid ${s.pid}, session ${s.sessionId})`);
  lines.push(escaped`  config    ${s.config ?? '(none)'}`);
  lines.push(escaped`  home      ${s.home}`);
  if (s.store) lines.push(escaped`  store     ${s.store.kind} ${s.store.location}`);
  if (s.fleet) lines.push(fleetLine(s.fleet, s.sessionId));
  lines.push(escaped`  identity  ${identityLine(s)}`);
  const loaded = s.plugins.filter((p) => p.state === 'loaded');
  // A plugin nobody enabled is not a failure of this gateway, whatever its manifest says.
  const failed = s.plugins.filter((p) => p.state === 'failed' || (p.state === 'invalid' && p.enabled));
  const ignored = s.plugins.filter((p) => p.state === 'invalid' && !p.enabled);
  lines.push(escaped`  plugins   ${loaded.length} loaded${loaded.length ? `: ${loaded.map((p) => `${p.id} (${p.source})`).join(', ')}` : ''}`);
  for (const p of failed) lines.push(escaped`            FAILED ${p.id}: ${p.error}`);
  if (ignored.length) lines.push(escaped`            not enabled, invalid manifest: ${ignored.map((p) => p.id).join(', ')} (\`kora plugins list\` says why)`);
  // The runtime's own housekeeping (store retention) is shown on a line of its own, not counted
  // among the agent's daemons.
  const runtime = s.daemons.filter((d) => d.plugin === 'runtime');
  const daemons = s.daemons.filter((d) => d.plugin !== 'runtime');
  const running = daemons.filter((d) => d.state === 'running');
  const bad = daemons.filter((d) => d.state === 'failed');
  const skipped = daemons.filter((d) => d.skipped);
  lines.push(escaped`  daemons   ${running.length} running${running.length ? `: ${running.map((d) => d.name).join(', ')}` : ''}; ${bad.length} failed; ${skipped.length} not started`);
  for (const d of bad) lines.push(escaped`            FAILED ${d.name} (${d.plugin}${d.fatal ? ', fatal' : ''}): ${d.error}`);
  for (const d of skipped) lines.push(escaped`            skipped ${d.name}: ${d.skipped}`);
  for (const d of running) if (d.note) lines.push(escaped`            note ${d.name}: ${d.note}`);
  for (const d of running) {
    for (const e of d.endpoints ?? []) {
      const login = logins.find((l) => l.daemon === d.name && l.name === e.name)?.login;
      lines.push(escaped`  ${d.name.padEnd(9)} ${e.name} ${login ?? e.url}${e.note ? ` (${e.note})` : ''}`);
    }
  }
  const tasks = daemons.flatMap((d) => d.tasks);
  lines.push(escaped`  tasks     ${tasks.length} scheduled`);
  for (const t of tasks) lines.push(escaped`            ${t.name} (${t.daemon}): ${t.schedule}, next ${t.nextRun ?? '-'}`);
  for (const d of runtime) {
    const what = d.tasks.map((t) => `${t.name} ${t.schedule}`).join(', ');
    lines.push(escaped`  runtime   ${d.name} ${d.state === 'running' ? '' : `${d.state} `}(${what || 'no tasks'})`);
  }
  for (const p of s.problems) lines.push(escaped`  problem   ${p}`);
  return lines.join('\n');
}

/** Who leads the fleet, from this gateway's point of view (DESIGN §6a). */
export function fleetLine(fleet: NonNullable<Shown['fleet']>, sessionId: string): string {
  if (fleet.leading) return escaped`  fleet     this gateway leads (since ${fleet.leaderSince ?? '?'}; lease ${fleet.leaseMs / 1000} s)`;
  if (fleet.leader && fleet.leader !== sessionId) return escaped`  fleet     gateway ${fleet.leader} leads (since ${fleet.leaderSince ?? '?'}); leader-scoped daemons wait here`;
  return escaped`  fleet     no leader right now: one takes the lead within the lease (${fleet.leaseMs / 1000} s)`;
}

export function identityLine(s: Pick<Shown, 'identity'>): string {
  const id = s.identity;
  if (!id) return '(not resolved)';
  if ('error' in id) return `UNRESOLVED: ${id.error}`;
  return `${id.agentName} (${id.source.kind === 'plugin' ? `plugin ${id.source.pluginId}` : `file ${id.source.path}`})`;
}

/**
 * A daemon's state in words. `pending` means "about to start" only while the gateway boots; in
 * a gateway that stopped or is stopping, a daemon still pending never started and never will.
 */
export function daemonStateLabel(d: Pick<ShownDaemon, 'state' | 'skipped'> & { scope?: string }, gateway: GatewayState): string {
  if (d.skipped) return `not started (${d.skipped})`;
  if ((d.state === 'pending' || d.state === 'stopped') && 'scope' in d && d.scope === 'leader' && (gateway === 'running' || gateway === 'degraded')) return 'standby (runs on the leader)';
  if (d.state === 'pending' && gateway !== 'booting') return 'not started';
  return d.state;
}
