// The one block the gateway prints when boot finishes: what it is, what loaded, what runs.
import type { GatewayStatus } from '../gateway/status.js';

export function bootSummary(s: GatewayStatus): string {
  const lines: string[] = [];
  const head = s.state === 'degraded' ? 'Kora gateway DEGRADED' : `Kora gateway ${s.state}`;
  lines.push(`${head} (deploy env ${s.deployEnv}, pid ${s.pid}, session ${s.sessionId})`);
  lines.push(`  config    ${s.config ?? '(none)'}`);
  lines.push(`  home      ${s.home}`);
  if (s.store) lines.push(`  store     ${s.store.kind} ${s.store.location}`);
  lines.push(`  identity  ${identityLine(s)}`);
  const loaded = s.plugins.filter((p) => p.state === 'loaded');
  const failed = s.plugins.filter((p) => p.state === 'failed' || p.state === 'invalid');
  lines.push(`  plugins   ${loaded.length} loaded${loaded.length ? `: ${loaded.map((p) => `${p.id} (${p.source})`).join(', ')}` : ''}`);
  for (const p of failed) lines.push(`            FAILED ${p.id}: ${p.error}`);
  const running = s.daemons.filter((d) => d.state === 'running');
  const bad = s.daemons.filter((d) => d.state === 'failed');
  const skipped = s.daemons.filter((d) => d.skipped);
  lines.push(`  daemons   ${running.length} running${running.length ? `: ${running.map((d) => d.name).join(', ')}` : ''}; ${bad.length} failed; ${skipped.length} not started`);
  for (const d of bad) lines.push(`            FAILED ${d.name} (${d.plugin}${d.fatal ? ', fatal' : ''}): ${d.error}`);
  for (const d of skipped) lines.push(`            skipped ${d.name}: ${d.skipped}`);
  const tasks = s.daemons.flatMap((d) => d.tasks);
  lines.push(`  tasks     ${tasks.length} scheduled`);
  for (const t of tasks) lines.push(`            ${t.name} (${t.daemon}): ${t.schedule}, next ${t.nextRun ?? '-'}`);
  for (const p of s.problems) lines.push(`  problem   ${p}`);
  return lines.join('\n');
}

export function identityLine(s: Pick<GatewayStatus, 'identity'>): string {
  const id = s.identity;
  if (!id) return '(not resolved)';
  if ('error' in id) return `UNRESOLVED: ${id.error}`;
  return `${id.agentName} (${id.source.kind === 'plugin' ? `plugin ${id.source.pluginId}` : `file ${id.source.path}`})`;
}
