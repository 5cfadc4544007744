// The built runtime's loader (dist/load.js, decision 0140): one instance of the runtime script
// for every entry point, and a V8 code cache written, read back, rebuilt when V8 rejects it,
// and off under NODE_DISABLE_COMPILE_CACHE. Checked on a copy of the build in a temp folder,
// each step a fresh Node process, so the repository's own cache is never touched.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from './index.js';

const DIST = join(import.meta.dirname, '../dist');
let dir: string;

/** Import the copied entry points in a fresh process; print what the loader says of the cache. */
function run(env: Record<string, string> = {}): { status: Record<string, { file: string | null; read: boolean; accepted: boolean }>; same: boolean; names: string[] } {
  const body = `const index = await import('./index.js');
const internal = await import('./internal.js');
const { codeCacheStatus } = await import('./load.js');
// An error the internals throw is an instance of the class plugins import: one copy of each class.
const err = await Promise.resolve().then(() => internal.loadConfigFile('/nonexistent/kora.yaml')).then(() => null, (e) => e);
process.stdout.write(JSON.stringify({ status: codeCacheStatus(), same: err instanceof index.KoraError && err instanceof index.ConfigError, names: Object.keys(index) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', ...env }, timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReturnType<typeof run>;
}

const cacheFiles = () => (existsSync(join(dir, 'code-cache')) ? readdirSync(join(dir, 'code-cache')) : []);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kora-code-cache-'));
  for (const file of ['load.js', 'runtime.cjs', 'index.js', 'internal.js']) copyFileSync(join(DIST, file), join(dir, file));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the runtime script and its code cache', () => {
  it('re-exports every binding of the sources, from one instance for all entry points', () => {
    const first = run();
    expect(first.same).toBe(true);
    expect(first.names.sort()).toEqual(Object.keys(source).sort());
  });

  it('is compiled without a cache the first time, writes one at exit, and reads it back accepted', () => {
    rmSync(join(dir, 'code-cache'), { recursive: true, force: true });
    const first = run();
    expect(first.status.runtime).toMatchObject({ read: false, accepted: false });
    expect(first.status.runtime?.file).toMatch(new RegExp(`code-cache/runtime-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8$`));
    expect(cacheFiles()).toHaveLength(1);
    expect(run().status.runtime).toMatchObject({ read: true, accepted: true });
  });

  it('rebuilds a cache V8 rejects, and still runs', () => {
    const [name] = cacheFiles();
    writeFileSync(join(dir, 'code-cache', name!), Buffer.alloc(4096, 7));
    expect(run().status.runtime).toMatchObject({ read: true, accepted: false });
    expect(readFileSync(join(dir, 'code-cache', name!)).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(run().status.runtime).toMatchObject({ read: true, accepted: true });
  });

  it('keeps a cache of its own for a process started with other V8 options, so neither rejects the other', () => {
    const plain = run().status.runtime!;
    const withOptions = run({ NODE_OPTIONS: '--max-old-space-size=200' }).status.runtime!;
    expect(withOptions.file).toMatch(/-o[0-9a-f]+\.v8$/);
    expect(withOptions.file).not.toBe(plain.file);
    expect(run({ NODE_OPTIONS: '--max-old-space-size=200' }).status.runtime).toMatchObject({ read: true, accepted: true });
    expect(run().status.runtime).toMatchObject({ file: plain.file, read: true, accepted: true });
  });

  it('neither reads nor writes one under NODE_DISABLE_COMPILE_CACHE', () => {
    rmSync(join(dir, 'code-cache'), { recursive: true, force: true });
    expect(run({ NODE_DISABLE_COMPILE_CACHE: '1' }).status.runtime).toEqual({ file: null, read: false, accepted: false });
    expect(cacheFiles()).toEqual([]);
    mkdirSync(join(dir, 'code-cache'));
  });

  it('is ASCII, so the loader can read it as latin1', () => {
    expect(/[^\p{ASCII}]/u.test(readFileSync(join(DIST, 'runtime.cjs'), 'utf8'))).toBe(false);
    expect(/[^\p{ASCII}]/u.test(readFileSync(join(DIST, 'http.cjs'), 'utf8'))).toBe(false);
  });
});
