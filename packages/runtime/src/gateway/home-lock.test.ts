import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireHomeLock, homeLockPath, HomeLockedError } from './home-lock.js';
import { processStartToken } from './process-identity.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'kora-lock-'));
  homes.push(h);
  return h;
}
const me = (sessionId: string) => ({ pid: process.pid, sessionId, startedAt: '2026-01-01T00:00:00.000Z' });
function plant(h: string, holder: Record<string, unknown>): void {
  mkdirSync(dirname(homeLockPath(h)), { recursive: true });
  writeFileSync(homeLockPath(h), JSON.stringify(holder));
}

describe('the home lock', () => {
  it('is taken once: a second gateway on the home is refused, naming the holder', () => {
    const h = home();
    const release = acquireHomeLock(h, me('first'));
    expect(statSync(homeLockPath(h)).mode & 0o777).toBe(0o600);
    expect(() => acquireHomeLock(h, me('second'))).toThrow(HomeLockedError);
    try {
      acquireHomeLock(h, me('second'));
    } catch (err) {
      expect((err as HomeLockedError).code).toBe('KORA_ERR_HOME_LOCKED');
      expect((err as Error).message).toContain(`pid ${process.pid}, session first`);
    }
    release();
    expect(existsSync(homeLockPath(h))).toBe(false);
  });

  it('takes over a lock whose holder is gone, saying so', () => {
    const h = home();
    plant(h, { pid: 2 ** 22 + 17, sessionId: 'crashed', startedAt: 'x', processStart: null });
    const stale: unknown[] = [];
    acquireHomeLock(h, me('next'), (holder) => stale.push(holder));
    expect(stale).toMatchObject([{ sessionId: 'crashed' }]);
    expect(JSON.parse(readFileSync(homeLockPath(h), 'utf8'))).toMatchObject({ sessionId: 'next', pid: process.pid });
  });

  it('does not take a reused pid for the holder: a live pid with another start is stale', () => {
    const h = home();
    if (processStartToken(process.pid) === null) return; // no /proc: the pid alone is all there is
    plant(h, { pid: process.pid, sessionId: 'old', startedAt: 'x', processStart: 'another-boot:1' });
    expect(() => acquireHomeLock(h, me('new'))).not.toThrow();
  });

  it('releases only its own lock, never one a successor took over', () => {
    const h = home();
    const release = acquireHomeLock(h, me('first'));
    plant(h, { pid: process.pid, sessionId: 'successor', startedAt: 'x', processStart: null });
    release();
    expect(JSON.parse(readFileSync(homeLockPath(h), 'utf8'))).toMatchObject({ sessionId: 'successor' });
  });
});
