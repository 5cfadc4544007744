import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keptToken, tokenMatcher } from './kept-token.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const file = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kora-token-'));
  dirs.push(dir);
  return join(dir, 'sub', 'admin_token');
};

describe('kept tokens', () => {
  it('generates a token once, owner-only, and gives the same one back later', () => {
    const f = file();
    const first = keptToken(f);
    expect(first).toMatchObject({ created: true, tightened: false });
    expect(first.token).toMatch(/^[\w-]{43}$/);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(keptToken(f)).toEqual({ token: first.token, created: false, tightened: false });
  });

  it('makes a token file others can read owner-only, and refuses one too short to be a token', () => {
    const f = file();
    const { token } = keptToken(f);
    chmodSync(f, 0o644);
    expect(keptToken(f)).toEqual({ token, created: false, tightened: true });
    expect(statSync(f).mode & 0o777).toBe(0o600);
    writeFileSync(f, 'short\n');
    expect(() => keptToken(f)).toThrow(expect.objectContaining({ code: 'KORA_ERR_TOKEN_FILE', message: expect.stringContaining('delete it and restart') }));
  });

  it('matches only the exact token, whatever the length of what is presented', () => {
    const matches = tokenMatcher('s3cret-token-value');
    expect(matches('s3cret-token-value')).toBe(true);
    for (const wrong of [undefined, '', 's3cret-token-valu', 's3cret-token-value ', 'x'.repeat(1000)]) expect(matches(wrong)).toBe(false);
  });
});
