// Bundles the runtime with esbuild into two CommonJS scripts, `dist/runtime.cjs` (the runtime)
// and `dist/http.cjs` (@kora/runtime/http: Fastify and its plugins), which `dist/load.js`
// compiles with a V8 code cache (decision 0140). Node 20 has no compile cache for ES modules,
// and compiling the bundle's JavaScript was most of a boot: with the cache, a start reads back
// the bytecode an earlier start compiled instead of parsing and compiling it.
//
// The package's ES module entry points (`dist/index.js`, `testing.js`, `internal.js`, `http.js`,
// `cli/main.js`) are generated here as thin modules re-exporting, by name, the bindings of those
// scripts, so the `kora` bin and every plugin share one copy of every class (instanceof, hook
// definitions, the services registry) as they did with the split ESM bundle. Each entry of the
// runtime is a lazily evaluated part of its script, so a part nobody imports is never evaluated.
// tsc still type-checks and emits the declarations (dist/**/*.d.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist/chunks`, { recursive: true, force: true });
// Code caches of an earlier build are stale: dist/load.js would reject them anyway (their name
// carries the bundle's hash), this keeps them from piling up and out of a packed tarball.
rmSync(`${root}/dist/code-cache`, { recursive: true, force: true });

/** Entry point → the source it exposes. The key is the part's name in the script's exports. */
const PARTS = {
  index: 'src/index.ts',
  testing: 'src/testing.ts',
  internal: 'src/internal.ts',
  cli: 'src/cli/main.ts',
};
/** The ES module each part is re-exported from, relative to dist/. */
const ENTRY_FILES = { index: 'index.js', testing: 'testing.js', internal: 'internal.js', cli: 'cli/main.js' };

// Every part behind a dynamic import: esbuild then wraps each module in a lazy initialiser, and
// evaluates one only when a part that needs it is first asked for.
const entry = Object.entries(PARTS)
  .map(([name, src]) => `export const ${name} = () => import(${JSON.stringify(`./${src}`)});`)
  .join('\n');

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // ES modules are strict; the script keeps them so (and the CommonJS libraries bundled with
  // them, which ran strict in the ESM bundle too).
  banner: { js: '"use strict";' },
  // pg-native (pg's optional addon, never installed) stays a package. better-sqlite3's JavaScript
  // is bundled and handed its installed addon by path, when the installed package is the version
  // bundled (store/sqlite-driver.ts, decision 0176). pino-pretty is bundled: the logger imports it only in dev.
  external: ['pg-native'],
  define: {
    // dist/load.js passes the script the URL of its file for `import.meta.url`.
    'import.meta.url': '__koraImportMetaUrl',
    __KORA_BUNDLED_BETTER_SQLITE3__: JSON.stringify(createRequire(`${root}/package.json`)('better-sqlite3/package.json').version),
  },
  logLevel: 'warning',
};
// zod's English messages only (decision 0020). The runtime hands plugins its `z` as a value
// (`export { z } from 'zod'`), and a namespace that escapes cannot be tree-shaken: every one of
// zod's 64 locales (≈ 300 KB of source, every boot deserialized and evaluated) came with it.
// `z.locales` keeps `en`, the one zod configures itself with; a plugin that wants another
// language imports zod itself.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};
// Requires (and code generation) moved to their first call: work a script would do at every
// boot, though a boot never needs it. Fastify requires its schema compilers (ajv, ajv-formats,
// fast-json-stringify: half of dist/http.cjs) when an instance is created, though it calls them
// only to compile a route's schema, and the surfaces declare none (decision 0143). So are
// @fastify/static's glob, @fastify/rate-limit's ip-address, @fastify/send's http-errors, and
// three of Node's own modules (decision 0176). Each rewrite must find exactly the line it replaces, so a release of those
// packages that moves it fails the build instead of silently loading them eagerly again.
const LAZY_EDITS = [
  {
    file: /[\\/]@fastify[\\/]ajv-compiler[\\/]index\.js$/,
    edits: [
      ["const ValidatorCompiler = require('./lib/validator-compiler')", "const ValidatorCompiler = function (a, b) { return new (require('./lib/validator-compiler'))(a, b) }"],
      ["const SerializerCompiler = require('./lib/serializer-compiler')", "const SerializerCompiler = function (a, b) { return new (require('./lib/serializer-compiler'))(a, b) }"],
      ["module.exports.StandaloneValidator = require('./standalone')", "Object.defineProperty(module.exports, 'StandaloneValidator', { enumerable: true, configurable: true, get: () => require('./standalone') })"],
    ],
  },
  {
    // glob (with minimatch, path-scurry, lru-cache, minipass: a fifth of the script) lists the
    // files of a root only for `wildcard: false`; the admin UI serves its assets with the default.
    file: /[\\/]@fastify[\\/]static[\\/]index\.js$/,
    edits: [["const { glob } = require('glob')", "const glob = (pattern, options) => require('glob').glob(pattern, options)"]],
  },
  {
    // ip-address parses IPv6 client addresses only, for a plugin that limits by address.
    file: /[\\/]@fastify[\\/]rate-limit[\\/]index\.js$/,
    edits: [["const { Address6 } = require('ip-address')", "const Address6 = function (address) { return new (require('ip-address').Address6)(address) }"]],
  },
  {
    // Node's https and http2 (with tls: ≈ 6 ms of built-in modules to compile at a boot) serve
    // only a surface configured for TLS or HTTP/2; the surfaces are plain HTTP/1.1.
    file: /[\\/]fastify[\\/]lib[\\/]server\.js$/,
    edits: [
      ["const https = require('node:https')", "const https = { createServer: (...args) => require('node:https').createServer(...args) }"],
      [
        "const http2 = require('node:http2')",
        "const http2 = { createServer: (...args) => require('node:http2').createServer(...args), createSecureServer: (...args) => require('node:http2').createSecureServer(...args) }",
      ],
    ],
  },
  {
    // find-my-way compiles each static route segment's matcher with `new Function` (code no
    // cache holds: 105 of them at a boot of the example config, as routes split segments).
    // `startsWith` at the same offset is the same test: the caller has matched the first
    // character, and a shorter path fails both.
    file: /[\\/]find-my-way[\\/]lib[\\/]node\.js$/,
    edits: [
      [
        [
          '  const lines = []',
          '  for (let i = 1; i < prefix.length; i++) {',
          '    const charCode = prefix.charCodeAt(i)',
          '    lines.push(`path.charCodeAt(i + ${i}) === ${charCode}`)',
          '  }',
          "  return new Function('path', 'i', `'use strict'\\nreturn ${lines.join(' && ')}`) // eslint-disable-line",
        ].join('\n'),
        '  return function matchPrefix (path, i) { return path.startsWith(prefix, i) }',
      ],
    ],
  },
  {
    // Two more `new Function`s per route handler (218 at a boot of the example config): the
    // params-object builder and the constraint matcher, each compiled when the route is first
    // matched instead of when it is added. The builder replaces its getter with itself; the
    // matcher stub compiles the handlers as they are then (what the last eager compile saw).
    file: /[\\/]find-my-way[\\/]lib[\\/]handler-storage\.js$/,
    edits: [
      [
        '      _createParamsObject: this._compileCreateParamsObject(params)\n',
        [
          '      get _createParamsObject () {',
          '        const fn = storage._compileCreateParamsObject(params)',
          "        Object.defineProperty(this, '_createParamsObject', { value: fn, writable: true, enumerable: true, configurable: true })",
          '        return fn',
          '      }\n',
        ].join('\n'),
      ],
      ['    const handlerObject = {\n', '    const storage = this\n    const handlerObject = {\n'],
      [
        '      this._compileGetHandlerMatchingConstraints(constrainer, constraints)\n',
        [
          '      this._getHandlerMatchingConstraints = function (derivedConstraints) {',
          '        this._compileGetHandlerMatchingConstraints(constrainer)',
          '        return this._getHandlerMatchingConstraints(derivedConstraints)',
          '      }\n',
        ].join('\n'),
      ],
    ],
  },
  {
    // perf_hooks (with nine more of Node's modules) times a request's reply; a boot sends none
    // (decision 0177). Required at the first request, then kept.
    file: /[\\/]fastify[\\/]lib[\\/]logger-factory\.js$/,
    edits: [["const { performance } = require('node:perf_hooks')", "let perfHooks\nconst performance = { now: () => (perfHooks ??= require('node:perf_hooks').performance).now() }"]],
  },
  {
    // http-errors builds a class for every HTTP status (and depd inspects the stack) when
    // required; @fastify/send makes one only for a file it cannot serve.
    file: /[\\/]@fastify[\\/]send[\\/]lib[\\/]createHttpError\.js$/,
    edits: [["const createError = require('http-errors')", "const createError = (...args) => require('http-errors')(...args)"]],
  },
  {
    // commander spawns a child process only for a stand-alone executable subcommand; kora has none.
    file: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    edits: [["const childProcess = require('node:child_process');", "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"]],
  },
  {
    file: /[\\/]@fastify[\\/]fast-json-stringify-compiler[\\/]standalone\.js$/,
    edits: [["const fastJsonStringify = require('fast-json-stringify')", "const fastJsonStringify = (schema, options) => require('fast-json-stringify')(schema, options)"]],
  },
];
const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    for (const { file, edits } of LAZY_EDITS) {
      b.onLoad({ filter: file }, (args) => {
        let contents = readFileSync(args.path, 'utf8');
        for (const [from, to] of edits) {
          if (contents.split(from).length !== 2) throw new Error(`${args.path}: expected exactly one \`${from}\` to make lazy (scripts/bundle.mjs, LAZY_EDITS)`);
          contents = contents.replace(from, to);
        }
        return { contents, loader: 'js' };
      });
    }
  },
};
await build({
  ...common,
  stdin: { contents: entry, resolveDir: root, sourcefile: 'runtime-entry.js', loader: 'js' },
  outfile: 'dist/runtime.cjs',
  plugins: [
    zodEnglishOnly,
    lazyRequires,
    {
      // A script compiled by node:vm has no `import()` on Node 20: a plugin's entry is imported
      // by dist/load.js, an ES module, on the script's behalf.
      name: 'import-entry',
      setup(b) {
        b.onLoad({ filter: /[\\/]plugins[\\/]import-entry\.ts$/ }, () => ({
          contents: 'export function importEntry(url) { return __koraImport(url); }',
          loader: 'js',
        }));
      },
    },
  ],
});
// @kora/runtime/http, its own script with its own cache: Fastify and its plugins are half of all
// the code, and a gateway without an HTTP surface should neither load nor deserialize them. It
// holds only third-party code (no class of the runtime), so a second script shares nothing that
// must be one; the few small libraries both use (pino, semver) are in each, and the surfaces run
// Fastify with `logger: false`.
await build({ ...common, entryPoints: ['src/http.ts'], outfile: 'dist/http.cjs', plugins: [lazyRequires] });

// The scripts must be ASCII: dist/load.js reads them as latin1, a one-byte string, several times
// faster than decoding UTF-8 and half the memory of the two-byte string a single non-ASCII
// character makes of a whole script. esbuild escapes non-ASCII everywhere but in comments and
// tagged templates (it cannot without changing their raw strings); those left are escaped here.
// The only tagged templates with such characters are the CLI's `escaped`, which reads cooked strings.
// Each UTF-16 unit of a character (an astral one is two), as `\\uXXXX`.
const escapeUnits = (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
function asciiScript(name) {
  const file = `${root}/dist/${name}.cjs`;
  const utf8 = readFileSync(file, 'utf8');
  const ascii = utf8.replace(/[^\p{ASCII}]/gu, escapeUnits);
  if (ascii !== utf8) writeFileSync(file, ascii);
  const bytes = Buffer.from(ascii, 'latin1');
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
}
const runtime = asciiScript('runtime');
const http = asciiScript('http');
// The loader, CommonJS (decision 0177), told which of the package's entry points re-export what,
// so the bin and the runtime reach its parts without importing an ES module; and its ES module
// face, `@kora/runtime/load`, for the plugins' generated entries.
const ownEntries = {
  ...Object.fromEntries(Object.entries(ENTRY_FILES).map(([name, file]) => [file, ['runtime', runtime.hash, name]])),
  'http.js': ['http', http.hash],
};
const loaderSource = readFileSync(`${root}/scripts/load.cjs`, 'utf8');
const OWN_ENTRIES_MARKER = '/* kora:own-entries */ {}';
if (loaderSource.split(OWN_ENTRIES_MARKER).length !== 2) throw new Error(`scripts/load.cjs: expected exactly one \`${OWN_ENTRIES_MARKER}\` to write the entry points in`);
writeFileSync(`${root}/dist/load.cjs`, loaderSource.replace(OWN_ENTRIES_MARKER, JSON.stringify(ownEntries)));
writeFileSync(
  `${root}/dist/load.js`,
  [
    '// Generated by scripts/bundle.mjs: the ES module face of dist/load.cjs (decision 0177); one instance for `import` and `require`.',
    "import loader from './load.cjs';",
    'export const { load, loadPluginScript, codeCacheStatus, entry } = loader;',
    '',
  ].join('\n'),
);

// The names each part exports, read from the script itself (evaluated here once, as the loader
// would), so the thin modules re-export exactly what the script has.
const exportsOf = await namesOfParts();
const header = (src) => `// Generated by scripts/bundle.mjs: ${src}, re-exported from a script dist/load.js compiles with a V8 code cache.`;
for (const [name, file] of Object.entries(ENTRY_FILES)) {
  const depth = file.split('/').length - 1;
  const loader = depth ? `${'../'.repeat(depth)}load.js` : './load.js';
  const names = exportsOf[name];
  const lines = [
    header(PARTS[name]),
    `import { load } from ${JSON.stringify(loader)};`,
    `const part = await load('runtime', ${JSON.stringify(runtime.hash)}).${name}();`,
    names.length ? `export const { ${names.join(', ')} } = part;` : '',
    '',
  ];
  writeFileSync(`${root}/dist/${file}`, lines.join('\n'));
}
const httpNames = Object.keys(evaluate('http', http.bytes)).filter((k) => k !== 'default' && k !== '__esModule');
writeFileSync(
  `${root}/dist/http.js`,
  [header('src/http.ts'), `import { load } from './load.js';`, `export const { ${httpNames.join(', ')} } = load('http', ${JSON.stringify(http.hash)});`, ''].join('\n'),
);

function evaluate(name, bytes) {
  const file = `${root}/dist/${name}.cjs`;
  const module = { exports: {} };
  const run = new Function('exports', 'require', 'module', '__filename', '__dirname', '__koraImportMetaUrl', '__koraImport', bytes.toString('latin1'));
  run(module.exports, createRequire(file), module, file, `${root}/dist`, pathToFileURL(file).href, (url) => import(url));
  return module.exports;
}

async function namesOfParts() {
  const script = evaluate('runtime', runtime.bytes);
  const names = {};
  for (const name of Object.keys(PARTS)) {
    const part = await script[name]();
    names[name] = Object.keys(part).filter((k) => k !== 'default' && k !== '__esModule');
    if ('default' in part) throw new Error(`${PARTS[name]} has a default export: the generated entry re-exports named bindings only`);
  }
  return names;
}
