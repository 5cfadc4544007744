import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, EXIT } from './error-codes.js';

const SRC = import.meta.dirname;
const DOC = join(SRC, '../../../docs/errors.md');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : sources(path);
    return /\.ts$/.test(name) && !/\.test(-helper)?\.ts$/.test(name) && name !== 'error-codes.ts' ? [path] : [];
  });
}

describe('the error catalogue', () => {
  const codes = Object.keys(ERROR_CODES);
  const rows = new Map([...readFileSync(DOC, 'utf8').matchAll(/^\| `(KORA_ERR_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1] ?? '', Number(m[2])]));

  it('lists every code in docs/errors.md with its exit code, and nothing else', () => {
    for (const code of codes) expect(rows.get(code), `${code} in docs/errors.md`).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].exit);
    expect([...rows.keys()].filter((code) => !codes.includes(code))).toEqual([]);
  });

  it('gives each code its own meaning and a fix', () => {
    const meanings = Object.values(ERROR_CODES).map((s) => s.meaning);
    expect(new Set(meanings).size).toBe(meanings.length);
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(spec.fix.length, `${code} says what to do`).toBeGreaterThan(10);
      expect(Object.values(EXIT)).toContain(spec.exit);
    }
  });

  it('has no code the runtime and the bundled plugins never raise, and they raise no code outside it', () => {
    // Bundled plugins raise catalogued codes too (KORA_ERR_REASONING_* from plugins/reasoning).
    const plugins = join(SRC, '../../../plugins');
    const pluginSources = readdirSync(plugins).flatMap((p) => (statSync(join(plugins, p, 'src'), { throwIfNoEntry: false })?.isDirectory() ? sources(join(plugins, p, 'src')) : []));
    const text = [...sources(SRC), ...pluginSources].map((f) => readFileSync(f, 'utf8')).join('\n');
    const used = new Set([...text.matchAll(/'(KORA_ERR_[A-Z_]+)'/g)].map((m) => m[1]));
    expect(codes.filter((c) => !used.has(c)), 'catalogued but never used').toEqual([]);
    expect([...used].filter((c) => c !== undefined && !codes.includes(c)), 'used but not catalogued').toEqual([]);
  });
});
