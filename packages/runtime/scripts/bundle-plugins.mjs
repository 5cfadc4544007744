// Bundles a bundled plugin's own code into one CommonJS script, `dist/index.cjs`, which
// `@kora/runtime/load` compiles with a V8 code cache (decision 0142), as the runtime's scripts are
// (decision 0140): Node 20 compiles ES modules anew at every start, and the plugins' many small
// modules were most of what was left of the example config's boot.
//
// `dist/index.js`, the package's entry, is generated here as a thin ES module that imports what
// the script needs from outside itself and hands it over, so everything outside the plugin is
// loaded exactly as its ES modules loaded it:
// - what the plugin's eager code imports (`@kora/runtime`, `@kora/runtime/http`, another plugin
//   such as `@kora/plugin-web`, `zod`…) is imported by the entry, from the plugin's folder, as an
//   ES module: the one instance every importer shares;
// - a library imported lazily (`await import('@anthropic-ai/sdk')`) is imported when first asked
//   for, by the entry's own `import()` (so resolved from the plugin's folder);
// - a lazily imported part of the plugin itself (`import('./endpoint.js')`) is in the script, and
//   the libraries it imports statically are imported just before it runs.
// `import.meta.url` keeps pointing where the module's own compiled file is (`dist/<path>.js`).
// tsc still emits the declarations and the plain ES modules; a plugin built without this step
// (`tsc -b` alone, a third-party plugin) loads from its ES modules as before.
//
// Run: node packages/runtime/scripts/bundle-plugins.mjs [<plugin folder>…]; without one, every
// `plugins/*` package whose build script runs this file.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const EXT = 'kora-ext';
const RAW = Symbol('raw resolve');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// A literal `import('…')` (not `typeof import('…')`, a type).
const DYNAMIC_IMPORT = /(?<![\w$.]|typeof\s+)import\(\s*(['"])([^'"]+)\1\s*\)/g;

const dirs = process.argv.slice(2).map((d) => resolve(d));
if (!dirs.length) {
  for (const name of readdirSync(join(REPO, 'plugins'))) {
    const file = join(REPO, 'plugins', name, 'package.json');
    if (existsSync(file) && /bundle-plugins\.mjs/.test(JSON.parse(readFileSync(file, 'utf8')).scripts?.build ?? '')) dirs.push(join(REPO, 'plugins', name));
  }
}
for (const dir of dirs) await bundlePlugin(dir);

async function bundlePlugin(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const src = join(dir, 'src');
  const names = new Map(); // library → the names its ES module exports
  rmSync(join(dir, 'dist/code-cache'), { recursive: true, force: true });

  const plugin = (lazyParts) => ({
    name: 'kora-plugin-script',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.pluginData === RAW) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        return { path: args.path, namespace: EXT, pluginData: args.resolveDir };
      });
      // A library: a module that takes its bindings from what the entry imported.
      b.onLoad({ filter: /.*/, namespace: EXT }, async (args) => {
        if (!names.has(args.path)) {
          const found = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.pluginData, pluginData: RAW });
          if (found.errors.length) return { errors: found.errors };
          names.set(args.path, Object.keys(await import(pathToFileURL(found.path).href)));
        }
        const own = names.get(args.path).filter((n) => n !== 'default' && IDENTIFIER.test(n));
        const lines = [`const m = __koraRequire(${JSON.stringify(args.path)});`, own.length ? `export const { ${own.join(', ')} } = m;` : ''];
        if (names.get(args.path).includes('default')) lines.push('export default m.default;');
        return { contents: lines.join('\n'), loader: 'js', resolveDir: args.pluginData };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(src)) return undefined;
        const file = relative(dir, args.path);
        const compiled = `./${relative(src, args.path).replace(/\.ts$/, '.js')}`;
        const contents = readFileSync(args.path, 'utf8')
          .replace(DYNAMIC_IMPORT, (all, _q, spec) => {
            if (!spec.startsWith('.')) return `__koraImport(${JSON.stringify(spec)})`;
            const libraries = lazyParts?.get(`${file}\0${spec}`);
            return libraries?.length ? `__koraPreload(${JSON.stringify(libraries)}).then(() => ${all})` : all;
          })
          .replaceAll('import.meta.url', `new URL(${JSON.stringify(compiled)}, __koraImportMetaUrl).href`);
        return { contents, loader: 'ts' };
      });
    },
  });
  const common = {
    absWorkingDir: dir,
    entryPoints: ['src/index.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  };

  // First pass: the import graph, to tell what the eager code imports from what a lazy part does.
  const graph = await build({ ...common, format: 'esm', write: false, metafile: true, outfile: 'dist/index.mjs', plugins: [plugin()] });
  const { inputs } = graph.metafile;
  const staticEdges = (file) => (inputs[file]?.imports ?? []).filter((i) => i.kind !== 'dynamic-import' && !i.external);
  const librariesFrom = (start) => {
    const seen = new Set([start]);
    const found = new Set();
    for (const file of seen) {
      if (file.startsWith(`${EXT}:`)) found.add(file.slice(EXT.length + 1));
      for (const edge of staticEdges(file)) seen.add(edge.path);
    }
    return found;
  };
  const eager = librariesFrom('src/index.ts');
  const lazyParts = new Map();
  for (const [file, input] of Object.entries(inputs)) {
    for (const edge of input.imports) {
      if (edge.kind !== 'dynamic-import' || edge.external || !edge.original) continue;
      lazyParts.set(`${file}\0${edge.original}`, [...librariesFrom(edge.path)].filter((l) => !eager.has(l)).sort());
    }
  }
  const exported = Object.values(graph.metafile.outputs).find((o) => o.entryPoint === 'src/index.ts')?.exports ?? [];

  await build({
    ...common,
    format: 'cjs',
    outfile: 'dist/index.cjs',
    sourcemap: true,
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: '"use strict";const __koraRequire = require;' },
    plugins: [plugin(lazyParts)],
  });

  // ASCII, as the runtime's scripts: the loader reads it as latin1 (see scripts/bundle.mjs).
  const out = join(dir, 'dist/index.cjs');
  const utf8 = readFileSync(out, 'utf8');
  const ascii = utf8.replace(/[^\p{ASCII}]/gu, (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''));
  if (ascii !== utf8) writeFileSync(out, ascii);
  const hash = createHash('sha256').update(Buffer.from(ascii, 'latin1')).digest('hex').slice(0, 16);

  const provided = [...eager].sort();
  const own = exported.filter((n) => n !== 'default');
  const name = pkg.name.replace(/^@/, '').replace(/[^\w.-]/g, '-');
  // The first line says what the entry hands its script, so the runtime can load the script
  // without importing the entry (decision 0176); the importer module resolves the script's lazy
  // imports from this folder there. The runtime reads the line as JSON: keep it one line.
  const header = { name, hash, provided, importer: './index.import.js' };
  const lines = [
    `// kora-plugin-script ${JSON.stringify(header)}`,
    `// Generated by @kora/runtime's scripts/bundle-plugins.mjs (decisions 0142, 0176): src/index.ts and the plugin's own modules, bundled into ./index.cjs, which @kora/runtime/load compiles with a V8 code cache.`,
    `import { loadPluginScript } from '@kora/runtime/load';`,
    ...provided.map((spec, i) => `import * as m${i} from ${JSON.stringify(spec)};`),
    `const script = loadPluginScript(import.meta.url, ${JSON.stringify(name)}, ${JSON.stringify(hash)}, { ${provided.map((spec, i) => `${JSON.stringify(spec)}: m${i}`).join(', ')} }, (id) => import(id));`,
    exported.includes('default') ? 'export default script.default;' : '',
    own.length ? `export const { ${own.join(', ')} } = script;` : '',
    '',
  ];
  writeFileSync(join(dir, 'dist/index.js'), lines.join('\n'));
  writeFileSync(
    join(dir, 'dist/index.import.js'),
    [
      `// Generated by @kora/runtime's scripts/bundle-plugins.mjs (decision 0176): \`import()\` from this plugin's folder, for the libraries its script imports lazily when the runtime loaded the script without ./index.js.`,
      'export default (id) => import(id);',
      '',
    ].join('\n'),
  );
}
