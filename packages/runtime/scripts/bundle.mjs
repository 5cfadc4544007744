// Bundles the runtime with esbuild into ONE CommonJS script, `dist/runtime.cjs`, which
// `dist/load.js` compiles with a V8 code cache (decision 0140). Node 20 has no compile cache
// for ES modules, and compiling the bundle's JavaScript was most of a boot: with the cache, a
// start reads back the bytecode an earlier start compiled instead of parsing and compiling it.
//
// The package's ES module entry points (`dist/index.js`, `testing.js`, `internal.js`, `http.js`,
// `cli/main.js`) are generated here as thin modules re-exporting, by name, the bindings of that
// one script, so the `kora` bin and every plugin share one copy of every class (instanceof,
// hook definitions, the services registry) as they did with the split ESM bundle. Each entry is
// a lazily evaluated part of the script, so a part nobody imports (Fastify, for a gateway
// without an HTTP surface) is never evaluated, and, with the cache, never even compiled.
// tsc still type-checks and emits the declarations (dist/**/*.d.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  http: 'src/http.ts',
};
/** The ES module each part is re-exported from, relative to dist/. */
const ENTRY_FILES = { index: 'index.js', testing: 'testing.js', internal: 'internal.js', cli: 'cli/main.js', http: 'http.js' };

// Every part behind a dynamic import: esbuild then wraps each module in a lazy initialiser, and
// evaluates one only when a part that needs it is first asked for.
const entry = Object.entries(PARTS)
  .map(([name, src]) => `export const ${name} = () => import(${JSON.stringify(`./${src}`)});`)
  .join('\n');

await build({
  absWorkingDir: root,
  stdin: { contents: entry, resolveDir: root, sourcefile: 'runtime-entry.js', loader: 'js' },
  outfile: 'dist/runtime.cjs',
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
  // dist/load.js passes the script the URL of its file for `import.meta.url`.
  define: { 'import.meta.url': '__koraImportMetaUrl' },
  // The native addon stays a package. pino-pretty is bundled: the logger imports it only in dev.
  external: ['better-sqlite3'],
  plugins: [
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
  logLevel: 'warning',
});

// The script must be ASCII: dist/load.js reads it as latin1, a one-byte string, which is several
// times faster than decoding UTF-8 and half the memory of the two-byte string a single non-ASCII
// character makes of all 3 MB. esbuild escapes non-ASCII everywhere but in comments and tagged
// templates (it cannot without changing their raw strings); those left are escaped here. The
// only tagged templates with such characters are the CLI's `escaped`, which reads cooked strings.
const utf8 = readFileSync(`${root}/dist/runtime.cjs`, 'utf8');
// Each UTF-16 unit of a character (an astral one is two), as `\\uXXXX`.
const escapeUnits = (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
const ascii = utf8.replace(/[^\p{ASCII}]/gu, escapeUnits);
if (ascii !== utf8) writeFileSync(`${root}/dist/runtime.cjs`, ascii);
const bundle = Buffer.from(ascii, 'latin1');
const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
copyFileSync(`${root}/scripts/load.mjs`, `${root}/dist/load.js`);

// The names each part exports, read from the script itself (evaluated here once, as the loader
// would), so the thin modules re-export exactly what the script has.
const exportsOf = await namesOfParts();
for (const [name, file] of Object.entries(ENTRY_FILES)) {
  const depth = file.split('/').length - 1;
  const loader = depth ? `${'../'.repeat(depth)}load.js` : './load.js';
  const names = exportsOf[name];
  const lines = [
    `// Generated by scripts/bundle.mjs: ${PARTS[name]}, re-exported from the one runtime script (dist/runtime.cjs).`,
    `import { load } from ${JSON.stringify(loader)};`,
    `const part = await load(${JSON.stringify(hash)}).${name}();`,
    names.length ? `export const { ${names.join(', ')} } = part;` : '',
    '',
  ];
  writeFileSync(`${root}/dist/${file}`, lines.join('\n'));
}

async function namesOfParts() {
  const file = `${root}/dist/runtime.cjs`;
  const module = { exports: {} };
  const run = new Function('exports', 'require', 'module', '__filename', '__dirname', '__koraImportMetaUrl', '__koraImport', bundle.toString('utf8'));
  run(module.exports, createRequire(file), module, file, `${root}/dist`, pathToFileURL(file).href, (url) => import(url));
  const names = {};
  for (const name of Object.keys(PARTS)) {
    const part = await module.exports[name]();
    names[name] = Object.keys(part).filter((k) => k !== 'default' && k !== '__esModule');
    if ('default' in part) throw new Error(`${PARTS[name]} has a default export: the generated entry re-exports named bindings only`);
  }
  return names;
}
