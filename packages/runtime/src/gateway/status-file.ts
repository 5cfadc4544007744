// The gateway's status, written atomically to `$KORA_HOME/run/status.json` on every state change
// and task run, and read back by `kora status` with a liveness check of the writer's pid.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GatewayStatus } from './status.js';

export function statusFilePath(home: string): string {
  return join(home, 'run', 'status.json');
}

/** Write to a temp file in the same folder, then rename: a reader never sees half a file. */
export function writeStatusFile(path: string, status: GatewayStatus): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(tmp, path);
}

export type StatusReading =
  | { kind: 'none'; path: string }
  | { kind: 'unreadable'; path: string; error: string }
  | { kind: 'live'; path: string; status: GatewayStatus }
  | { kind: 'stopped'; path: string; status: GatewayStatus }
  | { kind: 'stale'; path: string; status: GatewayStatus };

/** Read the status file and judge it: a file whose writer's pid is gone is stale, whatever state it claims. */
export function readStatusFile(path: string, isAlive: (pid: number) => boolean = pidAlive): StatusReading {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none', path };
    return { kind: 'unreadable', path, error: (err as Error).message };
  }
  let status: GatewayStatus;
  try {
    status = JSON.parse(text) as GatewayStatus;
  } catch (err) {
    return { kind: 'unreadable', path, error: `not valid JSON: ${(err as Error).message}` };
  }
  if (status.state === 'stopped') return { kind: 'stopped', path, status };
  if (typeof status.pid !== 'number' || !isAlive(status.pid)) return { kind: 'stale', path, status };
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
