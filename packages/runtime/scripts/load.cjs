// dist/load.cjs (copied there by scripts/bundle.mjs): compiles the runtime's scripts with a V8
// code cache, each once per process (decision 0140): dist/runtime.cjs (the runtime) and
// dist/http.cjs (Fastify and its plugins, for the HTTP surfaces). Every entry point of the
// package re-exports from what this returns, so the bin and all plugins share one copy.
// The bundled plugins ship the same way (decision 0142): each a script `dist/index.cjs`, which
// its generated entry `dist/index.js` loads here (`loadPluginScript`, `@kora/runtime/load`).
//
// It is CommonJS, and so is the `kora` bin, so a boot needs no ES module at all (decision 0177):
// Node 20 sets up its ES module loader (a dozen built-in modules, and `fs/promises` with
// readline and streams) only for the first module imported, ≈ 8 ms of a start. The package's ES
// module entry points (`dist/index.js`, `load.js`…) re-export from here, so an `import` and a
// `require` get the very same instances; and what the runtime imports of its own entry points
// (a bundled plugin's `@kora/runtime`, decision 0176) is handed over from here, not imported.
//
// A cache is V8's own bytecode of a script (`vm.Script` `cachedData`), written after a start
// has run, so it holds the functions a boot compiles, not only the top level. It lives beside
// the script (`dist/code-cache/`), or, where that folder is not writable (a global install run
// by another user), in `$KORA_HOME/cache/` (default `~/.kora`). Its name carries the script's
// hash, Node's version, the architecture and (when any are given) a hash of Node's options; V8
// checks the rest (its own version and flags) and rejects what does not fit, and a rejected or
// missing cache is written anew.
// NODE_DISABLE_COMPILE_CACHE (Node's own switch for its compile cache) turns it off.
'use strict';
const { accessSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { dirname, join, resolve, sep } = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const DIR = __dirname;
/** How long a process runs before its caches are refreshed, if it compiled more than they hold. */
const REFRESH_AFTER_MS = 3000;
/** After the gateway says it runs: time for what it does first, then the refresh. */
const SETTLED_AFTER_MS = 100;
/** A refreshed cache is written only when it holds this much more than the one read. */
const REFRESH_GROWTH = 1.05;
/**
 * `kora daemon` calls this once the gateway runs (src/code-cache.ts): what a boot compiles is
 * compiled by then, so the caches are refreshed soon after rather than seconds later.
 */
const SETTLE = Symbol.for('kora.codeCache.settle');

const loaded = new Map();
/** Per script: where its cache is, and what became of it in this process (for tests). */
const status = new Map();
const settlers = [];
/** Caches to write at exit: those of scripts compiled without one. */
const atExit = new Set();
globalThis[SETTLE] = () => {
  for (const settle of settlers.splice(0)) setTimeout(settle, SETTLED_AFTER_MS).unref();
};

/** Per script loaded so far: its cache file (null: caching off), and whether one was read and accepted. */
function codeCacheStatus() {
  return Object.fromEntries(status);
}

/**
 * The exports of `dist/<name>.cjs` (`runtime`: one function per part, `index`, `testing`,
 * `internal`, `cli`; `http`: Fastify and its plugins). `hash` names the build, for the cache.
 */
function load(name, hash) {
  let exports = loaded.get(name);
  if (!exports) {
    const file = join(DIR, `${name}.cjs`);
    exports = compile(name, file, hash, createRequire(file), importOrOwn);
    loaded.set(name, exports);
  }
  return exports;
}

/**
 * The exports of a bundled plugin's script (`<plugin>/dist/index.cjs`, written by
 * scripts/bundle-plugins.mjs, decision 0142), compiled with a code cache like the runtime's, once
 * per process. Its generated ES module entry (`dist/index.js`) calls this with what the script
 * imports from outside itself, already imported as ES modules from the plugin's folder
 * (`provided`: the runtime, other plugins, libraries its eager code imports), and its own
 * `import()`, so a library the plugin imports lazily is resolved from the plugin's folder, when
 * first asked for, exactly as from its ES modules. `preload` names, per lazily imported part of the
 * plugin, the libraries that part imports statically: imported (from the plugin's folder) before it runs.
 */
function loadPluginScript(entryUrl, name, hash, provided, importer) {
  const file = fileURLToPath(new URL('./index.cjs', entryUrl));
  let exports = loaded.get(file);
  if (!exports) {
    const builtin = createRequire(file);
    const modules = new Map(Object.entries(provided));
    const require = (id) => {
      if (modules.has(id)) return modules.get(id);
      if (id.startsWith('node:')) return builtin(id);
      throw new Error(`${file}: "${id}" was not imported before the script asked for it (a build of scripts/bundle-plugins.mjs out of step with this loader?)`);
    };
    const preload = (ids) => Promise.all(ids.map(async (id) => modules.has(id) || modules.set(id, await importer(id))));
    exports = compile(name, file, hash, require, importer, preload);
    loaded.set(file, exports);
  }
  return exports;
}

function compile(name, file, hash, require, importer, preload) {
  // latin1: the script is ASCII (scripts/bundle.mjs makes sure), and a one-byte string is read fastest.
  const source = readFileSync(file, 'latin1');
  const cacheFile = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : cachePath(dirname(file), name, hash);
  let cachedData;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache yet: this start compiles, and writes one.
    }
  }
  // The wrapper's first line is line 0, so the script's lines keep their numbers in stack traces.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __koraImportMetaUrl, __koraImport, __koraPreload) {\n${source}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, file, dirname(file), pathToFileURL(file).href, importer, preload);
  const accepted = cachedData !== undefined && !script.cachedDataRejected;
  status.set(name, { file: cacheFile ?? null, read: cachedData !== undefined, accepted });
  if (cacheFile) keepCache(script, cacheFile, accepted ? cachedData.length : 0);
  return module.exports;
}

/**
 * Write the cache once the functions a start needs are compiled: at exit (a CLI command), soon
 * after the gateway runs, or a few seconds in (a long command), whichever comes first. A process
 * that read a valid cache rewrites it only when it compiled notably more than the cache held
 * (the first boot of a config with more plugins than the last).
 */
function keepCache(script, file, had) {
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    atExit.delete(write);
    try {
      const data = script.createCachedData();
      if (had && data.length < had * REFRESH_GROWTH) return;
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, file);
    } catch {
      // A cache that cannot be written costs the next start its compile time, nothing else.
    }
  };
  if (!had) {
    // One listener for every script (the runtime's two and each bundled plugin's), not one each.
    if (!atExit.hooked) process.once('exit', () => [...atExit].forEach((w) => w()));
    atExit.hooked = true;
    atExit.add(write);
  }
  setTimeout(write, REFRESH_AFTER_MS).unref();
  settlers.push(write);
}

/**
 * Node and V8 options change what V8 accepts (`--cpu-prof` does not, `--trace-gc` or a heap
 * size does): a process started with other options keeps its own cache, so two ways of starting
 * (a service with options, the CLI without) do not reject and rewrite each other's every time.
 */
function flagsSuffix() {
  const args = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i];
    // Code given inline (`node -e …`) and how it is read are not options V8 compiles under.
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print') i++;
    else if (!arg.startsWith('--input-type')) args.push(arg);
  }
  const flags = [...args, process.env.NODE_OPTIONS ?? ''].join(' ').trim();
  if (!flags) return '';
  let h = 0x811c9dc5; // FNV-1a: a file name, not a secret; node:crypto would cost a start ≈ 1 ms
  for (let i = 0; i < flags.length; i++) h = Math.imul(h ^ flags.charCodeAt(i), 0x01000193);
  return `-o${(h >>> 0).toString(16)}`;
}

function cachePath(dir, script, hash) {
  const name = `${script}-${hash}-${process.version}-${process.arch}${flagsSuffix()}.v8`;
  try {
    accessSync(dir, constants.W_OK);
    return join(dir, 'code-cache', name);
  } catch {
    const home = process.env.KORA_HOME?.trim() ? resolve(process.env.KORA_HOME) : join(homedir(), '.kora');
    return join(home, 'cache', name);
  }
}

/**
 * The package's own ES module entry points, by path in dist/, and what each re-exports: a part
 * of a script (`[script, hash, part]`) or a whole script (`[script, hash]`). Written in by
 * scripts/bundle.mjs when it copies this file to dist/ (the hashes name the build).
 */
const OWN_ENTRIES = /* kora:own-entries */ {};

/**
 * What `import()` of one of the package's own entry points gives, without importing it: the
 * `kora` bin and the runtime's plugin loader reach the runtime this way. A promise, as `import()`.
 */
function entry(path) {
  if (path === 'load.js') return Promise.resolve(module.exports);
  const own = OWN_ENTRIES[path];
  if (!own) return Promise.reject(new Error(`${path} is not an entry point of @kora/runtime (a dist/ out of step with dist/load.cjs?)`));
  return new Promise((res) => {
    const exports = load(own[0], own[1]);
    res(own[2] === undefined ? exports : exports[own[2]]());
  });
}

/** The runtime's `import()`: its own entry points from here, anything else imported. */
function importOrOwn(url) {
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    if (file.startsWith(DIR + sep)) {
      const path = file.slice(DIR.length + 1).split(sep).join('/');
      if (path === 'load.js' || Object.hasOwn(OWN_ENTRIES, path)) return entry(path);
    }
  }
  return import(url);
}

module.exports = { load, loadPluginScript, codeCacheStatus, entry };
