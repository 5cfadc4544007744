// better-sqlite3 in the built runtime (decision 0176): its JavaScript bundled into the script and
// handed the installed package's addon by path, when the installed package is the version
// bundled; another version's own JavaScript otherwise, so script and addon never come from two
// releases. Checked on a copy of the build beside a copy of the installed package, in fresh processes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '../../dist');
const PACKAGE = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
const VERSION = (JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
let root: string;

/** Open a store in a temp home through the copied build; what it read back, and the driver it chose. */
function run(): { driver: { source: string; nativeBinding: string | null }; value: number; modules: string[] } {
  const body = `const k = await import('./dist/internal.js');
const { mkdtempSync } = await import('node:fs');
const home = mkdtempSync(${JSON.stringify(join(root, 'home-'))});
const clock = { now: () => Date.now(), monotonic: () => performance.now(), setTimeout, clearTimeout, setInterval, clearInterval };
const store = await k.openStore({ home, logger: k.createSilentLogger(), clock });
await store.kv('t').set('k', 41);
const value = (await store.kv('t').get('k')) + 1;
await store.close();
const d = k.sqliteDriver();
const modules = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).filter((f) => f.includes('better-sqlite3') && f.endsWith('.js'));
process.stdout.write(JSON.stringify({ driver: { source: d.source, nativeBinding: d.nativeBinding ?? null }, value, modules }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }, timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReturnType<typeof run>;
}

function installedVersion(version: string): void {
  const file = join(root, 'node_modules/better-sqlite3/package.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), version }));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kora-sqlite-driver-'));
  mkdirSync(join(root, 'dist'));
  for (const file of ['load.js', 'load.cjs', 'runtime.cjs', 'internal.js']) copyFileSync(join(DIST, file), join(root, 'dist', file));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  cpSync(PACKAGE, join(root, 'node_modules/better-sqlite3'), { recursive: true, filter: (src) => !src.includes(`${PACKAGE}/deps`) && !src.includes(`${PACKAGE}/src`) });
  // The package's own JavaScript needs its dependencies (bindings) when it is the one used.
  for (const dep of ['bindings', 'file-uri-to-path']) cpSync(dirname(createRequire(join(PACKAGE, 'package.json')).resolve(`${dep}/package.json`)), join(root, 'node_modules', dep), { recursive: true });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the SQLite driver of the built runtime', () => {
  it('is the bundled JavaScript with the installed addon, and requires none of the package’s JavaScript', () => {
    installedVersion(VERSION);
    const r = run();
    expect(r.driver).toEqual({ source: 'bundled', nativeBinding: join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node') });
    expect(r.value).toBe(42);
    expect(r.modules).toEqual([]);
  });

  it("is the installed package's own JavaScript when it is another version than the one bundled", () => {
    installedVersion('0.0.0-another');
    try {
      const r = run();
      expect(r.driver).toEqual({ source: 'package', nativeBinding: null });
      expect(r.value).toBe(42);
      expect(r.modules).toContain(join(root, 'node_modules/better-sqlite3/lib/index.js'));
    } finally {
      installedVersion(VERSION);
    }
  });
});
