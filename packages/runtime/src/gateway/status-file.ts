// `$KORA_HOME/run/status.json`: written atomically with mode 0600 (it names the home, config and
// store), and read back by `kora status`, which judges whether its writer still lives and answers.
import { closeSync, fchmodSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeError, StatusFileError } from '../errors.js';
import { processStartToken } from './process-identity.js';
import { describeStatusIssues, storedStatusSchema, type StoredStatus } from './status-schema.js';
import type { GatewayStatus } from './status.js';

/** A heartbeat older than this many periods means the gateway's event loop is not turning. */
export const MISSED_HEARTBEATS = 3;

export function statusFilePath(home: string): string {
  return join(home, 'run', 'status.json');
}

/**
 * Write to a temp file in the same folder, then rename: a reader never sees half a file. The temp
 * file is created 0600 and removed when any step fails. Throws StatusFileError (KORA_ERR_STATUS_WRITE).
 */
export function writeStatusFile(path: string, status: GatewayStatus): void {
  const tmp = `${path}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(tmp, 'w', 0o600);
    // A temp file left by an earlier crash keeps its old mode through open(): set it.
    fchmodSync(fd, 0o600);
    writeFileSync(fd, `${JSON.stringify(status, null, 2)}\n`);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    unlinkQuietly(tmp);
    throw new StatusFileError(path, `Cannot write the status file ${path}: ${describeError(err)}`, { cause: err });
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already failing; the write error is the one to report.
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Never created, or already gone.
  }
}

export type StatusReading =
  | { kind: 'none'; path: string }
  /** The file exists but cannot be read (permissions, a folder in its place). */
  | { kind: 'unreadable'; path: string; error: string }
  /** Not JSON, or JSON that is not a gateway status. */
  | { kind: 'malformed'; path: string; error: string }
  | { kind: 'live'; path: string; status: StoredStatus }
  /** The process lives but has not heartbeaten for `silentMs`: its event loop is wedged. */
  | { kind: 'not_responding'; path: string; status: StoredStatus; silentMs: number }
  | { kind: 'stopped'; path: string; status: StoredStatus }
  /** The writer is gone without a clean stop, or its pid now belongs to another process. */
  | { kind: 'stale'; path: string; status: StoredStatus; why: 'gone' | 'pid_reused' };

export interface StatusProbe {
  isAlive?: (pid: number) => boolean;
  /** The start token of a live pid now (see process-identity.ts); null when it cannot be told. */
  startToken?: (pid: number) => string | null;
  /** Reader's wall clock, epoch ms. */
  now?: number;
}

/** Read the status file and judge it. Never throws: every failure is a reading with a sentence. */
export function readStatusFile(path: string, probe: StatusProbe = {}): StatusReading {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none', path };
    return { kind: 'unreadable', path, error: describeError(err) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed', path, error: text.trim() === '' ? 'the file is empty' : `it is not valid JSON (${describeError(err)})` };
  }
  const parsed = storedStatusSchema.safeParse(json);
  if (!parsed.success) return { kind: 'malformed', path, error: `it is not a gateway status (${describeStatusIssues(parsed.error)})` };
  return judge(path, parsed.data, probe);
}

function judge(path: string, status: StoredStatus, probe: StatusProbe): StatusReading {
  const isAlive = probe.isAlive ?? pidAlive;
  if (status.state === 'stopped' || status.exit !== null) return { kind: 'stopped', path, status };
  if (!isAlive(status.pid)) return { kind: 'stale', path, status, why: 'gone' };
  if (status.processStartedAt !== null) {
    const now = (probe.startToken ?? processStartToken)(status.pid);
    if (now !== null && now !== status.processStartedAt) return { kind: 'stale', path, status, why: 'pid_reused' };
  }
  if (status.heartbeatAt !== null && status.heartbeatEveryMs !== null) {
    const silentMs = (probe.now ?? Date.now()) - Date.parse(status.heartbeatAt);
    if (silentMs > MISSED_HEARTBEATS * status.heartbeatEveryMs) return { kind: 'not_responding', path, status, silentMs };
  }
  return { kind: 'live', path, status };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
