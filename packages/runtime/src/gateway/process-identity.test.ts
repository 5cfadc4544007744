import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ownProcessStartToken, processStartToken, startTicks } from './process-identity.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeProc(stats: Record<number, string>, bootId = 'b00t-1d\n'): string {
  const root = mkdtempSync(join(tmpdir(), 'kora-proc-'));
  dirs.push(root);
  mkdirSync(join(root, 'sys/kernel/random'), { recursive: true });
  writeFileSync(join(root, 'sys/kernel/random/boot_id'), bootId);
  for (const [pid, stat] of Object.entries(stats)) {
    mkdirSync(join(root, pid));
    writeFileSync(join(root, pid, 'stat'), stat);
  }
  return root;
}

const stat = (comm: string, start: number) => `77 (${comm}) S 1 77 77 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 ${start} 1000 200 18446744073709551615\n`;

describe('process identity', () => {
  it('is the boot id and the start ticks of the pid', () => {
    const root = fakeProc({ 77: stat('node', 123456) });
    expect(processStartToken(77, root)).toBe('b00t-1d:123456');
  });

  it('reads the start time past a command name with spaces and parentheses', () => {
    expect(startTicks(stat('evil) S 1 2 3 (x', 999))).toBe('999');
  });

  it('is null for a pid that does not exist, or without /proc', () => {
    const root = fakeProc({});
    expect(processStartToken(77, root)).toBeNull();
    expect(processStartToken(77, join(root, 'nope'))).toBeNull();
  });

  it.runIf(process.platform === 'linux')('tells this process from another one on a real /proc', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      const mine = ownProcessStartToken();
      expect(mine).toMatch(/^[0-9a-f-]{36}:\d+$/);
      expect(processStartToken(process.pid)).toBe(mine);
      const theirs = processStartToken(child.pid ?? -1);
      expect(theirs).not.toBeNull();
      expect(theirs?.split(':')[0]).toBe(mine?.split(':')[0]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
