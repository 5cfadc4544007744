// A bundled plugin's script loaded without its ES module entry (decision 0176), checked on real
// fixture plugins built by scripts/bundle-plugins.mjs in a temp project, each case a fresh Node
// process importing the built runtime: the script gets the very modules its entry would have
// given it (one copy of the runtime, of another plugin, of a lazily imported library), and every
// case the runtime cannot hand over exactly takes the entry, as before.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportedFile, readScriptHeader, SCRIPT_HEADER, splitSpecifier } from './plugin-script.js';

const RUNTIME = join(import.meta.dirname, '../..');
const BUNDLER = join(RUNTIME, 'scripts/bundle-plugins.mjs');
let root: string;

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** A plugin package `@fixture/plugin-<name>` in `<root>/<name>` with `src/index.ts`, linked into `<root>/node_modules`. */
function plugin(name: string, source: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeJson(join(dir, 'package.json'), {
    name: `@fixture/plugin-${name}`,
    version: '1.0.0',
    type: 'module',
    exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    kora: { id: name, entry: './dist/index.js', hostApi: '^1.1.0' },
  });
  writeFileSync(join(dir, 'src/index.ts'), source);
  symlinkSync(dir, join(root, 'node_modules/@fixture', `plugin-${name}`), 'dir');
  return dir;
}

function bundle(dir: string): void {
  const r = spawnSync(process.execPath, [BUNDLER, dir], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
}

interface Loaded {
  via: Record<string, string>;
  greeting?: string;
  lazy?: string;
  sameRuntime?: boolean;
  sameBase?: boolean;
  sameEntry?: boolean;
}

/**
 * In a fresh process: import the named plugins in order through the runtime's `importPluginEntry`,
 * then use the `dep` plugin's exports, and compare them with what importing the entries gives.
 */
function load(names: string[], options: { execArgv?: string[]; dirs?: Record<string, string> } = {}): Loaded {
  const internal = pathToFileURL(join(RUNTIME, 'dist/internal.js')).href;
  const index = pathToFileURL(join(RUNTIME, 'dist/index.js')).href;
  const dirs = Object.fromEntries(names.map((n) => [n, options.dirs?.[n] ?? join(root, n)]));
  const body = `const { importPluginEntry } = await import(${JSON.stringify(internal)});
const dirs = ${JSON.stringify(dirs)};
const loaded = new Map();
const out = { via: {} };
const mods = {};
for (const [name, dir] of Object.entries(dirs)) {
  const { exports, via } = await importPluginEntry(dir + '/dist/index.js', dir, loaded);
  out.via[name] = via;
  mods[name] = exports;
}
if (mods.dep) {
  out.greeting = mods.dep.default.greet();
  out.lazy = await mods.dep.default.lazy();
  out.sameRuntime = mods.dep.default.KoraError === (await import(${JSON.stringify(index)})).KoraError;
  out.sameBase = mods.base ? mods.dep.default.base === mods.base.default : undefined;
  out.sameEntry = (await import(dirs.dep + '/dist/index.js')).default === mods.dep.default;
}
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...(options.execArgv ?? []), '--input-type=module', '-e', body], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Loaded;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kora-plugin-script-'));
  writeJson(join(root, 'package.json'), { name: 'fixture-project', private: true, type: 'module' });
  mkdirSync(join(root, 'node_modules/@kora'), { recursive: true });
  mkdirSync(join(root, 'node_modules/@fixture'), { recursive: true });
  symlinkSync(RUNTIME, join(root, 'node_modules/@kora/runtime'), 'dir');
  // A library only the project has, imported lazily by `dep`.
  mkdirSync(join(root, 'node_modules/lazy-lib'));
  writeJson(join(root, 'node_modules/lazy-lib/package.json'), { name: 'lazy-lib', version: '1.0.0', type: 'module', exports: './index.js' });
  writeFileSync(join(root, 'node_modules/lazy-lib/index.js'), "export const word = 'from lazy-lib';\n");
  const base = plugin('base', "import { definePlugin } from '@kora/runtime';\nexport const hello = (who: string): string => `hello ${who}`;\nexport default definePlugin({ id: 'base', register() {} });\n");
  bundle(base);
  const dep = plugin(
    'dep',
    [
      "import { definePlugin, KoraError } from '@kora/runtime';",
      "import base, { hello } from '@fixture/plugin-base';",
      'const lazy = async (): Promise<string> => {',
      "  const lib = (await import('lazy-lib')) as { word: string };",
      '  return lib.word;',
      '};',
      "export default Object.assign(definePlugin({ id: 'dep', register() {} }), { greet: () => hello('dep'), lazy, KoraError, base });",
      '',
    ].join('\n'),
  );
  bundle(dep);
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a generated entry', () => {
  it('says on its first line what it hands its script', () => {
    const header = readScriptHeader(join(root, 'dep/dist/index.js'));
    expect(header).toMatchObject({ name: 'fixture-plugin-dep', provided: ['@fixture/plugin-base', '@kora/runtime'], importer: './index.import.js' });
    expect(header?.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(readFileSync(join(root, 'dep/dist/index.import.js'), 'utf8')).toContain('export default (id) => import(id);');
  });

  it('is not one when tsc wrote the entry (no header line), or the header is not what the runtime reads', () => {
    const file = join(root, 'plain.js');
    writeFileSync(file, "export default { id: 'plain', register() {} };\n");
    expect(readScriptHeader(file)).toBeUndefined();
    writeFileSync(file, `${SCRIPT_HEADER}{"name":"x","hash":"y","provided":"@kora/runtime","importer":"./i.js"}\nexport default {};\n`);
    expect(readScriptHeader(file)).toBeUndefined();
    writeFileSync(file, `${SCRIPT_HEADER}{not json\nexport default {};\n`);
    expect(readScriptHeader(file)).toBeUndefined();
    expect(readScriptHeader(join(root, 'missing.js'))).toBeUndefined();
  });
});

describe('loading the script without its entry (decision 0176)', () => {
  it('hands it the runtime, the plugin it imports and a lazily imported library, the same modules its entry would', () => {
    expect(load(['base', 'dep'])).toEqual({
      via: { base: 'script', dep: 'script' },
      greeting: 'hello dep',
      lazy: 'from lazy-lib',
      sameRuntime: true,
      sameBase: true,
      // Importing the entry afterwards gives the same script's exports: one copy.
      sameEntry: true,
    });
  });

  it('takes the entry when a plugin it imports was not loaded first', () => {
    expect(load(['dep'])).toMatchObject({ via: { dep: 'entry' }, greeting: 'hello dep', lazy: 'from lazy-lib', sameRuntime: true, sameEntry: true });
  });

  it('takes the entry when its folder finds another copy of the plugin it imports', () => {
    const copy = join(root, 'dep-nested');
    cpSync(join(root, 'dep'), copy, { recursive: true });
    mkdirSync(join(copy, 'node_modules/@fixture'), { recursive: true });
    cpSync(join(root, 'base'), join(copy, 'node_modules/@fixture/plugin-base'), { recursive: true });
    try {
      const r = load(['base', 'dep'], { dirs: { dep: copy } });
      expect(r.via).toEqual({ base: 'script', dep: 'entry' });
      // Its own copy, as its entry resolves it.
      expect(r.sameBase).toBe(false);
      expect(r.greeting).toBe('hello dep');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('takes the entry when Node options may change how modules resolve', () => {
    expect(load(['base', 'dep'], { execArgv: ['--conditions=fixture'] }).via).toEqual({ base: 'entry', dep: 'entry' });
    expect(load(['base', 'dep'], { execArgv: ['--preserve-symlinks'] }).via).toEqual({ base: 'entry', dep: 'entry' });
  });

  it('takes the entry when the importer module beside it is missing', () => {
    const importer = join(root, 'base/dist/index.import.js');
    const kept = readFileSync(importer);
    rmSync(importer);
    try {
      expect(load(['base', 'dep']).via).toEqual({ base: 'entry', dep: 'script' });
    } finally {
      writeFileSync(importer, kept);
    }
  });
});

describe('the resolution it relies on', () => {
  it('splits a bare specifier into package and subpath, and refuses what is not one', () => {
    expect(splitSpecifier('@kora/runtime')).toEqual({ name: '@kora/runtime', subpath: '.' });
    expect(splitSpecifier('@kora/runtime/http')).toEqual({ name: '@kora/runtime', subpath: './http' });
    expect(splitSpecifier('zod/v4/core')).toEqual({ name: 'zod', subpath: './v4/core' });
    for (const id of ['./local.js', '/abs.js', 'node:fs', 'file:///x.js', '@scope', 'a%2fb']) expect(splitSpecifier(id).name, id).toBeUndefined();
  });

  it("maps a package's exports by the import conditions, and leaves what it does not handle to the entry", () => {
    const dir = join(root, 'exports-fixture');
    mkdirSync(dir, { recursive: true });
    for (const f of ['a.js', 'b.js', 'c.js']) writeFileSync(join(dir, f), '');
    const exportsOf = (exports: unknown, subpath = '.') => {
      writeJson(join(dir, 'package.json'), { name: 'x', exports });
      const found = exportedFile(dir, subpath);
      return found === undefined ? undefined : found.slice(dir.length + 1);
    };
    expect(exportsOf('./a.js')).toBe('a.js');
    expect(exportsOf({ '.': { types: './x.d.ts', import: './b.js' } })).toBe('b.js');
    expect(exportsOf({ '.': { require: './a.js', 'module-sync': './c.js', import: './b.js' } })).toBe('c.js');
    expect(exportsOf({ '.': './a.js', './sub': { node: { import: './b.js' } } }, './sub')).toBe('b.js');
    expect(exportsOf({ import: './b.js' })).toBe('b.js');
    // Not handled here: the entry resolves them (and reports what is wrong).
    expect(exportsOf({ '.': './a.js', import: './b.js' })).toBeUndefined();
    expect(exportsOf({ './*': './*.js' }, './a')).toBeUndefined();
    expect(exportsOf({ '.': ['./a.js'] })).toBeUndefined();
    expect(exportsOf({ '.': '../outside.js' })).toBeUndefined();
    expect(exportsOf({ '.': './missing.js' })).toBeUndefined();
    expect(exportsOf(undefined)).toBeUndefined();
  });

  it('finds this runtime’s own entry points through its exports', () => {
    expect(exportedFile(RUNTIME, '.')).toBe(join(RUNTIME, 'dist/index.js'));
    expect(exportedFile(RUNTIME, './http')).toBe(join(RUNTIME, 'dist/http.js'));
    expect(exportedFile(RUNTIME, './load')).toBe(join(RUNTIME, 'dist/load.js'));
  });
});
