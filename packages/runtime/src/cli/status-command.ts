// `kora status`: read `$KORA_HOME/run/status.json` and say plainly whether a gateway runs and
// answers. It needs the status file only: a broken kora.yaml does not stop it reading one.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { locateConfig, resolveHome, type Env } from '../config/locate.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError, describeError } from '../errors.js';
import { EXIT } from '../error-codes.js';
import { readStatusFile, statusFilePath, type StatusProbe, type StatusReading } from '../gateway/status-file.js';
import type { StoredStatus } from '../gateway/status-schema.js';
import { createSecretScrubber } from '../log/scrubber.js';
import { formatDuration } from '../time/duration.js';
import { escaped, printJson, type Io } from './output.js';
import { daemonStateLabel, fleetLine, identityLine } from './summary.js';

/** Exit 0 when a gateway is running and answering (even degraded), 3 when none is (like `systemctl status`). */
export const EXIT_NOT_RUNNING = 3;
/** Its process lives but its heartbeat stopped: a wedged event loop, or a stopped (SIGSTOP) process. */
export const EXIT_NOT_RESPONDING = 4;
/** The status file exists but is not a status Kora can read: nobody can tell whether a gateway runs. */
export const EXIT_STATUS_UNREADABLE = 5;

export type HomeLookup = { ok: true; home: string; warning?: string } | { ok: false; message: string };

/**
 * The home whose status to read: `$KORA_HOME` without opening any config; else the config's
 * `home:`, read leniently when the file has errors (a gateway started before the edit still runs).
 */
export function findHome(options: { configPath?: string | undefined; env: Env; cwd: string }): HomeLookup {
  const { env } = options;
  if (env.KORA_HOME?.trim()) return { ok: true, home: resolveHome({ env, configPath: undefined, configHome: undefined }) };
  const location = locateConfig({ flag: options.configPath, env, cwd: options.cwd });
  if (!location.path) return { ok: true, home: resolveHome({ env, configPath: undefined, configHome: undefined }) };
  try {
    const { config } = loadConfigFile(location.path);
    return { ok: true, home: resolveHome({ env, configPath: location.path, configHome: config.home }) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return lenientHome(location.path, err, env);
  }
}

function lenientHome(file: string, error: ConfigError, env: Env): HomeLookup {
  const problem = error.issues[0] ? `${error.issues[0].path ? `${error.issues[0].path}: ` : ''}${error.issues[0].message}` : error.message;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, message: `Cannot tell which home to read: ${file} cannot be read (${describeError(err)}). Set KORA_HOME to the gateway's home, or pass --config.` };
  }
  const doc = parseDocument(text, { uniqueKeys: false });
  const home: unknown = doc.get('home');
  const warning = `${file} has errors (${problem}; run \`kora config check\`); its home: was read anyway.`;
  if (typeof home === 'string' && home.trim()) return { ok: true, home: resolveHome({ env, configPath: file, configHome: home }), warning };
  if (doc.errors.length === 0 && home === undefined) return { ok: true, home: resolveHome({ env, configPath: undefined, configHome: undefined }), warning };
  return { ok: false, message: `Cannot tell which home to read: ${file} is not valid (${problem}), and its home: cannot be read from it. Fix the file (\`kora config check\` shows where), or set KORA_HOME to the gateway's home.` };
}

export interface StatusCommandOptions {
  configPath?: string;
  json?: boolean;
  env: Env;
  cwd: string;
  now?: number;
  /** Injected for tests: which pids live, and their start tokens. */
  probe?: Omit<StatusProbe, 'now'>;
}

export function runStatus(options: StatusCommandOptions, io: Io): number {
  const found = findHome(options);
  if (!found.ok) {
    io.err(escaped`kora: ${found.message}`);
    return EXIT.config;
  }
  if (found.warning) io.err(escaped`kora: warning: ${found.warning}`);
  const { home } = found;
  const now = options.now ?? Date.now();
  const reading = readStatusFile(statusFilePath(home), { ...options.probe, now });
  const code = exitCodeOf(reading);
  // The gateway scrubbed the file; a file from before it did, or a secret this shell knows and it did not, is caught here.
  const scrubber = createSecretScrubber({ env: options.env });
  if (options.json) {
    printJson(io, scrubber.scrubDeep(jsonOf(reading, now)));
    return code;
  }
  io.out(scrubber.scrub(describeReading(reading, home, now)));
  return code;
}

function exitCodeOf(reading: StatusReading): number {
  switch (reading.kind) {
    case 'live':
      return EXIT.ok;
    case 'not_responding':
      return EXIT_NOT_RESPONDING;
    case 'unreadable':
    case 'malformed':
      return EXIT_STATUS_UNREADABLE;
    default:
      return EXIT_NOT_RUNNING;
  }
}

function jsonOf(reading: StatusReading, now: number): Record<string, unknown> {
  const running = reading.kind === 'live' || reading.kind === 'not_responding';
  const status = 'status' in reading ? { ...reading.status, uptimeMs: running ? now - Date.parse(reading.status.startedAt) : reading.status.uptimeMs } : null;
  return {
    running,
    responding: reading.kind === 'live',
    reading: reading.kind,
    path: reading.path,
    ...('error' in reading ? { error: reading.error } : {}),
    ...(reading.kind === 'not_responding' ? { silentMs: reading.silentMs } : {}),
    ...(reading.kind === 'stale' ? { why: reading.why } : {}),
    status,
  };
}

function describeReading(reading: StatusReading, home: string, now: number): string {
  switch (reading.kind) {
    case 'none':
      return escaped`No gateway is running for home ${home} (no status file at ${reading.path}).`;
    case 'unreadable':
      return escaped`Cannot read the status file ${reading.path}: ${reading.error}. Check that it belongs to the user running \`kora status\` (the gateway writes it mode 0600).`;
    case 'malformed':
      return escaped`The status file ${reading.path} cannot be read as a gateway status: ${reading.error}. It is damaged or from another Kora version; if no gateway is running for home ${home}, delete it (the next gateway writes a new one).`;
    case 'stale': {
      const s = reading.status;
      const why =
        reading.why === 'gone'
          ? escaped`its process (pid ${s.pid}) is gone — it died without a clean stop`
          : escaped`pid ${s.pid} now belongs to another process, started after the gateway — it died without a clean stop`;
      return [escaped`No gateway is running for home ${home}: the status file says "${s.state}" but ${why}. Last update ${s.updatedAt}.`, ...daemonLines(s, 'stopped')].join('\n');
    }
    case 'stopped': {
      const s = reading.status;
      const ended = s.exit
        ? escaped`${s.exit.reason}, exit ${s.exit.code}${s.exit.forced ? ', forced' : ''}${s.exit.by ? ` by ${s.exit.by}` : ''}`
        : escaped`${s.shutdownReason ?? 'no reason recorded'}, exit ${s.exitCode ?? '?'}`;
      return [escaped`No gateway is running for home ${home}: the last one stopped at ${s.exit?.at ?? s.updatedAt} (${ended}).`, ...daemonLines(s, 'stopped')].join('\n');
    }
    case 'not_responding': {
      const s = reading.status;
      const head = escaped`Gateway (pid ${s.pid}) is not responding for ${Math.round(reading.silentMs / 1000)} s (last heartbeat ${s.heartbeatAt}, expected every ${formatDuration(s.heartbeatEveryMs ?? 0)}): its event loop is blocked, or the process is suspended. Last known status:`;
      return [head, formatStatus(s, now)].join('\n');
    }
    case 'live':
      return formatStatus(reading.status, now);
  }
}

export function formatStatus(s: StoredStatus, now: number): string {
  const lines = [
    escaped`Gateway ${s.state.toUpperCase()} — pid ${s.pid}, up ${formatDuration(now - Date.parse(s.startedAt))}, deploy env ${s.deployEnv}, session ${s.sessionId}`,
    escaped`  home      ${s.home}`,
    escaped`  identity  ${identityLine(s)}`,
  ];
  if (s.fleet) lines.push(fleetLine(s.fleet, s.sessionId));
  for (const p of s.problems) lines.push(escaped`  problem   ${p}`);
  lines.push(...daemonLines(s, s.state));
  if (s.inbox.length > 0) {
    lines.push('  inbox');
    for (const t of s.inbox) {
      lines.push(escaped`    ${t.topic.padEnd(24)} ${t.pending} pending, ${t.inFlight} in flight, ${t.dead} dead; ${t.consumer ? `consumed by ${t.consumer}` : 'no consumer running'}`);
    }
  }
  return lines.join('\n');
}

/** Run statuses whose error is a failure of the task (a `missed` row's error only counts slots). */
const FAILED_RUN: ReadonlySet<string> = new Set(['failed', 'timeout', 'interrupted']);

/** The daemons and their tasks as the status recorded them; `as` is the gateway state to judge `pending` by. */
function daemonLines(s: StoredStatus, as: StoredStatus['state']): string[] {
  if (s.daemons.length === 0) return [];
  const lines = ['  daemons'];
  for (const d of s.daemons) {
    const flag = (d.fatal ? ' fatal' : '') + (d.scope === 'leader' ? ' leader-scoped' : '');
    lines.push(escaped`    ${d.name.padEnd(24)} ${daemonStateLabel(d, as).padEnd(10)} ${d.plugin}${flag}${d.error ? `  error: ${d.error}` : ''}`);
    if (d.note) lines.push(escaped`      note: ${d.note}`);
    for (const e of d.endpoints) lines.push(escaped`      ${e.name}: ${e.url}${e.note ? ` (${e.note})` : ''}`);
    for (const t of d.tasks) {
      const last = t.lastRun ? `last ${t.lastRun.status}${t.lastRun.durationMs !== null ? ` in ${t.lastRun.durationMs}ms` : ''} at ${t.lastRun.startedAt ?? t.lastRun.slot}` : 'not run yet';
      lines.push(escaped`      task ${t.name}: ${t.schedule}; ${last}; next ${t.nextRun ?? '-'}; runs ${t.runs}, failures ${t.failures}`);
      // A failing task says why, here: the reader should not need the logs or --json for it.
      if (t.lastRun?.error && FAILED_RUN.has(t.lastRun.status)) lines.push(escaped`        last error: ${t.lastRun.error}`);
    }
  }
  return lines;
}
