import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { exitCodeFor } from '../gateway/gateway.js';
import { loadConfigFile, MAX_CONFIG_BYTES } from './load.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeConfig(text: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'kora-load-'));
  dirs.push(dir);
  const file = join(dir, 'kora.yaml');
  writeFileSync(file, text);
  return file;
}

function loadError(file: string): ConfigError {
  try {
    loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const BILLION_LAUGHS = `plugins:
  enabled: []
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

describe('loading a hostile or broken config file', () => {
  it('refuses a YAML alias bomb as a config error (exit 2), quickly, naming the line of the first alias', () => {
    const started = performance.now();
    const err = loadError(writeConfig(BILLION_LAUGHS));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('KORA_ERR_CONFIG_PARSE');
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toMatch(/aliases \(\*name\) expand to more than 100 copies/);
    expect(err.issues[0]?.line).toBe(4);
  });

  it('still reads a config that uses a few aliases', () => {
    const file = writeConfig('plugins:\n  enabled: [kora]\ndaemons:\n  a: &quiet { fatal: false }\n  b: *quiet\n');
    expect(loadConfigFile(file).config.daemons).toEqual({ a: { fatal: false }, b: { fatal: false } });
  });

  it('refuses a file over 1 MiB by its size, before parsing it', () => {
    // Not YAML at all: were it parsed, the error would be a syntax error, not the size.
    const file = writeConfig(Buffer.alloc(MAX_CONFIG_BYTES + 1, '['));
    const err = loadError(file);
    expect(err.code).toBe('KORA_ERR_CONFIG_TOO_LARGE');
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toContain(`${MAX_CONFIG_BYTES + 1} bytes, more than the ${MAX_CONFIG_BYTES} (1 MiB)`);
  });

  it('reads a file of exactly 1 MiB', () => {
    const head = 'plugins:\n  enabled: []\n';
    const file = writeConfig(head + '#'.repeat(MAX_CONFIG_BYTES - head.length - 1) + '\n');
    expect(loadConfigFile(file).config.plugins.enabled).toEqual([]);
  });

  it('refuses collections nested without end as a config error, not a stack overflow', () => {
    const depth = 100_000;
    const started = performance.now();
    const err = loadError(writeConfig(`plugins: { enabled: [] }\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n`));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('KORA_ERR_CONFIG_PARSE');
    expect(err.message).toMatch(/line 2: collections nested more than 64 deep/);
  });

  it('does not count brackets inside quoted strings and comments as nesting', () => {
    const file = writeConfig(`plugins: { enabled: [] }  # ${'['.repeat(200)}\nhome: "${'{'.repeat(200)}"\n`);
    expect(loadConfigFile(file).config.home).toBe('{'.repeat(200));
  });

  it('says a missing file cannot be read, naming it', () => {
    const err = loadError(join(tmpdir(), 'kora-no-such-dir', 'kora.yaml'));
    expect(err.code).toBe('KORA_ERR_CONFIG_NOT_FOUND');
    expect(err.message).toContain('kora-no-such-dir');
  });

  it('reports a syntax error with its line and column', () => {
    const err = loadError(writeConfig('plugins:\n  enabled: [kora\n'));
    expect(err.code).toBe('KORA_ERR_CONFIG_PARSE');
    expect(err.issues[0]?.line).toBeGreaterThan(1);
    expect(err.message).toMatch(/- line \d+, column \d+: /);
  });
});

describe('store.url in the file', () => {
  it('means the default when empty', () => {
    const { config } = loadConfigFile(writeConfig('plugins: { enabled: [] }\nstore:\n  url: ""\n'));
    expect(config.store.url).toBeUndefined();
  });

  it('refuses an unknown scheme as invalid config (exit 2), with its line, and no password shown', () => {
    const err = loadError(writeConfig('plugins: { enabled: [] }\nstore:\n  url: mysql://kora:hunter2@db/kora\n'));
    expect(err.code).toBe('KORA_ERR_CONFIG_INVALID');
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toContain('store.url (line 3): "mysql://kora:[redacted]@db/kora" is not a store URL Kora understands');
    expect(err.message).not.toContain('hunter2');
  });

  it('keeps a sqlite URL as written', () => {
    expect(loadConfigFile(writeConfig('plugins: { enabled: [] }\nstore: { url: "sqlite:agent.db" }\n')).config.store.url).toBe('sqlite:agent.db');
  });
});
