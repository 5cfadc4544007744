// `kora status`: read `$KORA_HOME/run/status.json` and say plainly whether a gateway runs.
import { locateConfig, resolveHome, type Env } from '../config/locate.js';
import { loadConfigFile } from '../config/load.js';
import { EXIT } from '../gateway/gateway.js';
import { readStatusFile, statusFilePath } from '../gateway/status-file.js';
import type { GatewayStatus } from '../gateway/status.js';
import { formatDuration } from '../time/duration.js';
import { printJson, type Io } from './output.js';
import { identityLine } from './summary.js';

/** Exit 0 when a gateway is running (even degraded), 3 when none is (like `systemctl status`). */
export const EXIT_NOT_RUNNING = 3;

export function findHome(options: { configPath?: string | undefined; env: Env; cwd: string }): string {
  const location = locateConfig({ flag: options.configPath, env: options.env, cwd: options.cwd });
  const configHome = location.path ? loadConfigFile(location.path).config.home : undefined;
  return resolveHome({ env: options.env, configPath: location.path, configHome });
}

export function runStatus(options: { configPath?: string; json?: boolean; env: Env; cwd: string; now?: number }, io: Io): number {
  const home = findHome(options);
  const reading = readStatusFile(statusFilePath(home));
  const now = options.now ?? Date.now();
  if (options.json) {
    const running = reading.kind === 'live';
    const status = 'status' in reading ? { ...reading.status, uptimeMs: running ? now - Date.parse(reading.status.startedAt) : reading.status.uptimeMs } : null;
    printJson(io, { running, reading: reading.kind, path: reading.path, ...(reading.kind === 'unreadable' ? { error: reading.error } : {}), status });
    return running ? EXIT.ok : EXIT_NOT_RUNNING;
  }
  switch (reading.kind) {
    case 'none':
      io.out(`No gateway is running for home ${home} (no status file at ${reading.path}).`);
      return EXIT_NOT_RUNNING;
    case 'unreadable':
      io.out(`Cannot read ${reading.path}: ${reading.error}`);
      return EXIT_NOT_RUNNING;
    case 'stale':
      io.out(
        `No gateway is running for home ${home}: the status file says "${reading.status.state}" but its process (pid ${reading.status.pid}) is gone — it died without a clean stop. Last update ${reading.status.updatedAt}.`,
      );
      return EXIT_NOT_RUNNING;
    case 'stopped':
      io.out(`No gateway is running for home ${home}: the last one stopped at ${reading.status.updatedAt} (${reading.status.shutdownReason ?? 'no reason recorded'}, exit ${reading.status.exitCode ?? '?'}).`);
      return EXIT_NOT_RUNNING;
    case 'live':
      io.out(formatStatus(reading.status, now));
      return EXIT.ok;
  }
}

export function formatStatus(s: GatewayStatus, now: number): string {
  const lines = [
    `Gateway ${s.state.toUpperCase()} — pid ${s.pid}, up ${formatDuration(now - Date.parse(s.startedAt))}, deploy env ${s.deployEnv}, session ${s.sessionId}`,
    `  home      ${s.home}`,
    `  identity  ${identityLine(s)}`,
  ];
  for (const p of s.problems) lines.push(`  problem   ${p}`);
  lines.push('  daemons');
  for (const d of s.daemons) {
    const flag = d.fatal ? ' fatal' : '';
    lines.push(`    ${d.name.padEnd(24)} ${(d.skipped ? `not started (${d.skipped})` : d.state).padEnd(10)} ${d.plugin}${flag}${d.error ? `  error: ${d.error}` : ''}`);
    for (const t of d.tasks) {
      const last = t.lastRun ? `last ${t.lastRun.status}${t.lastRun.durationMs !== null ? ` in ${t.lastRun.durationMs}ms` : ''} at ${t.lastRun.startedAt ?? t.lastRun.slot}` : 'not run yet';
      lines.push(`      task ${t.name}: ${t.schedule}; ${last}; next ${t.nextRun ?? '-'}; runs ${t.runs}, failures ${t.failures}`);
    }
  }
  return lines.join('\n');
}
