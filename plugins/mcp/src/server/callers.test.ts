import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allows } from './capabilities.js';
import { CallerTable, envCallers, fileCallers, sha256 } from './callers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const file = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'kora-callers-'));
  dirs.push(dir);
  const path = join(dir, 'mcp_callers.yaml');
  writeFileSync(path, text);
  return path;
};

describe('callers', () => {
  it('reads KORA_MCP_BEARER_TOKEN as env-1, env-2… with every capability, skipping blanks', () => {
    const callers = envCallers(' a-token , ,b-token,');
    expect(callers.map((c) => [c.id, [...c.capabilities]])).toEqual([
      ['env-1', ['*']],
      ['env-2', ['*']],
    ]);
    expect(envCallers(undefined)).toEqual([]);
  });

  it('accepts the example callers file of docs/mcp.md', async () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../../../../docs/mcp.md'), 'utf8');
    const yaml = /```yaml\n {3}(# \$KORA_HOME\/mcp_callers\.yaml[\s\S]*?)```/.exec(doc)?.[1]?.replace(/^ {3}/gm, '');
    const callers = await fileCallers(file(yaml ?? ''));
    const table = new CallerTable(callers);
    expect(table.ids()).toEqual(['claude-desktop', 'dashboard']);
    expect(table.authenticate({ authorization: 'Bearer dashboard-token' })?.id).toBe('dashboard');
  });

  it('finds no caller in a missing or empty file', async () => {
    expect(await fileCallers(join(tmpdir(), 'no-such-dir', 'mcp_callers.yaml'))).toEqual([]);
    expect(await fileCallers(file(''))).toEqual([]);
  });

  it('authenticates only an exact Bearer token (scheme in any case), never its hash or another scheme', () => {
    const table = new CallerTable(envCallers('s3cret-token-value'));
    expect(table.authenticate({ authorization: 'Bearer s3cret-token-value' })?.id).toBe('env-1');
    expect(table.authenticate({ authorization: 'bearer s3cret-token-value' })?.id).toBe('env-1');
    for (const authorization of [undefined, '', 'Bearer', 'Bearer s3cret-token-valu', 'Bearer s3cret-token-value x', `Bearer ${sha256('s3cret-token-value').toString('hex')}`, 'Token s3cret-token-value', 's3cret-token-value']) {
      expect(table.authenticate({ authorization }), String(authorization)).toBeNull();
    }
  });
});

describe('capabilities', () => {
  it('grants a capability itself, through *, and a plugin tool through tools:call', () => {
    expect(allows(new Set(['status:read']), 'status:read')).toBe(true);
    expect(allows(new Set(['status:read']), 'audit:read')).toBe(false);
    expect(allows(new Set(['*']), 'gateway:stop')).toBe(true);
    expect(allows(new Set(['tools:call']), 'tools:call:weather')).toBe(true);
    expect(allows(new Set(['tools:call:weather']), 'tools:call:other')).toBe(false);
    expect(allows(new Set(['tools:call:weather']), 'tasks:run')).toBe(false);
  });
});
