// Bundles the runtime's entry points with esbuild (code splitting, so `@kora/runtime` and the
// `kora` bin share one copy of every class). Loading ~40 small libraries' hundreds of files
// one by one is most of a cold start; one bundle is what keeps boot within budget.
// tsc still type-checks and emits the declarations (dist/**/*.d.ts).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist/chunks`, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: {
    index: 'src/index.ts',
    testing: 'src/testing.ts',
    internal: 'src/internal.ts',
    'cli/main': 'src/cli/main.ts',
    http: 'src/http.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // The native addon stays a package. pino-pretty is bundled too: the logger imports it only in
  // dev, so it becomes a chunk of its own, one file read instead of its ~20 packages resolved
  // and compiled one by one (≈ 20 ms of a dev boot).
  external: ['better-sqlite3', 'pg-native'],
  // Some bundled CommonJS libraries call require() for Node built-ins.
  banner: { js: "import { createRequire as __koraCreateRequire } from 'node:module'; const require = __koraCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
