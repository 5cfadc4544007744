// Who a pid is: the OS reuses pids, so a status file names its process by pid *and* start time.
// On Linux that is the boot id and the start time in clock ticks from /proc, both exact; elsewhere
// there is no cheap equivalent and the token is null (a reader then trusts the pid alone).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `<boot id>:<start ticks>` of `pid`, or null when /proc cannot tell (not Linux, no such
 * process, no permission). Two tokens are equal only for the same process of the same boot.
 */
export function processStartToken(pid: number, procRoot = '/proc'): string | null {
  try {
    const bootId = readFileSync(join(procRoot, 'sys/kernel/random/boot_id'), 'utf8').trim();
    const ticks = startTicks(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
    return bootId && ticks !== null ? `${bootId}:${ticks}` : null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat. Field 2 is the command in parentheses and may hold spaces and `)`, so count from the last `)`. */
export function startTicks(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
}

let own: string | null | undefined;

/** This process's token, read once: it cannot change while the process lives. */
export function ownProcessStartToken(): string | null {
  if (own === undefined) own = process.platform === 'linux' ? processStartToken(process.pid) : null;
  return own;
}
