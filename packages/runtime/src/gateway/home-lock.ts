// One gateway per home: `$KORA_HOME/run/gateway.lock`, created exclusively at boot and removed
// at stop. A lock whose holder is gone (crashed, killed -9, or its pid now belongs to another
// process) is stale and taken over. Several gateways share a store only through PostgreSQL,
// each with its own home.
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KoraError } from '../errors.js';
import { processStartToken } from './process-identity.js';
import { pidAlive } from './status-file.js';

export interface LockHolder {
  pid: number;
  sessionId: string;
  startedAt: string;
  /** The holder's process start (Linux: boot id + start time in clock ticks), so a reused pid is not taken for it. */
  processStart: string | null;
}

export function homeLockPath(home: string): string {
  return join(home, 'run', 'gateway.lock');
}

export class HomeLockedError extends KoraError {
  readonly holder: LockHolder;

  constructor(home: string, holder: LockHolder) {
    super(
      'KORA_ERR_HOME_LOCKED',
      `Another gateway (pid ${holder.pid}, session ${holder.sessionId}, started ${holder.startedAt}) already runs on home ${home}. ` +
        'Stop it first (`kora status` shows it), or give this gateway its own home (KORA_HOME or `home:` in kora.yaml).',
      { home, holder },
    );
    this.holder = holder;
  }
}

/** Take the lock or throw HomeLockedError. Returns the release function (idempotent). */
export function acquireHomeLock(home: string, me: Omit<LockHolder, 'processStart'>, onStale?: (holder: LockHolder | null) => void): () => void {
  const path = homeLockPath(home);
  mkdirSync(dirname(path), { recursive: true });
  const mine: LockHolder = { ...me, processStart: processStartToken(me.pid) };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && holderAlive(holder)) throw new HomeLockedError(home, holder);
      onStale?.(holder);
      try {
        unlinkSync(path);
      } catch {
        // Another gateway took it over first: the next attempt meets its lock.
      }
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(mine)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Only our own lock: never remove one a successor wrote after a takeover.
      if (readHolder(path)?.sessionId === mine.sessionId) {
        try {
          unlinkSync(path);
        } catch {
          // Already gone (home deleted): nothing to release.
        }
      }
    };
  }
  const holder = readHolder(path);
  throw new HomeLockedError(home, holder ?? { pid: 0, sessionId: 'unknown', startedAt: 'unknown', processStart: null });
}

function readHolder(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.sessionId !== 'string') return null;
    return { pid: parsed.pid, sessionId: parsed.sessionId, startedAt: String(parsed.startedAt ?? 'unknown'), processStart: typeof parsed.processStart === 'string' ? parsed.processStart : null };
  } catch {
    return null;
  }
}

function holderAlive(holder: LockHolder): boolean {
  if (!pidAlive(holder.pid)) return false;
  if (holder.processStart === null) return true;
  const now = processStartToken(holder.pid);
  return now === null || now === holder.processStart;
}
