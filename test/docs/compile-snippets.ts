// Compiling the docs' snippets the way a plugin author's code is compiled: each snippet a module
// of a temp project whose node_modules/@kora/runtime links to packages/runtime (its built .d.ts),
// with the compiler options docs/writing-a-plugin.md tells authors to use. One program for all
// snippets, then each diagnostic is mapped back to the snippet, and the line in the doc, it is in.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { Snippet } from './markdown-snippets.js';

/** The guide's tsconfig: the options a plugin is compiled with. */
const GUIDE_TSCONFIG = 'docs/examples/hello-plugin/tsconfig.json';

/** What a snippet may import besides node's own modules, linked into the temp project. */
const LINKED: Record<string, (repo: string) => string> = {
  '@kora/runtime': (repo) => join(repo, 'packages/runtime'),
  zod: (repo) => join(repo, 'node_modules/zod'),
  '@types/node': (repo) => join(repo, 'node_modules/@types/node'),
};

/**
 * Names a snippet may use without declaring them: snippets show code from inside a plugin's
 * `register(ctx)`, so `ctx` is its `PluginContext`. Everything else a snippet imports or declares.
 */
const GLOBALS = `import type { PluginContext } from '@kora/runtime';
declare global {
  /** The context \`register(ctx)\` receives. */
  const ctx: PluginContext;
}
`;

export interface CompileReport {
  /** tsc's messages per snippet, each starting with the doc file and line; empty when it compiles. */
  bySnippet: Map<Snippet, string[]>;
  /** Messages outside any snippet (the temp project itself); empty unless the setup is broken. */
  other: string[];
}

export function compileSnippets(repo: string, snippets: Snippet[]): CompileReport {
  const dir = mkdtempSync(join(tmpdir(), 'kora-snippets-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'kora-doc-snippets', private: true, type: 'module' }));
    for (const [name, target] of Object.entries(LINKED)) {
      const link = join(dir, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(target(repo), link, 'dir');
    }
    writeFileSync(join(dir, 'globals.d.ts'), GLOBALS);
    mkdirSync(join(dir, 'snippets'));
    const byFile = new Map<string, Snippet>();
    snippets.forEach((s, i) => {
      // The files of one guide's example sit together, as in its folder, so they import each other.
      const file = s.examplePath
        ? join(dir, 'examples', s.file.replace(/[^a-zA-Z0-9]+/g, '_'), s.examplePath)
        : join(dir, 'snippets', `${i}-${s.file.replace(/[^a-zA-Z0-9]+/g, '_')}_L${s.line}.ts`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${s.code}\n`);
      byFile.set(file, s);
    });

    const program = ts.createProgram({ rootNames: [join(dir, 'globals.d.ts'), ...byFile.keys()], options: compilerOptions(repo, dir) });
    const report: CompileReport = { bySnippet: new Map(snippets.map((s) => [s, []])), other: [] };
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const snippet = d.file ? byFile.get(d.file.fileName) : undefined;
      if (!snippet || !d.file || d.start === undefined) {
        report.other.push(`${d.file ? `${d.file.fileName}: ` : ''}TS${d.code}: ${message}`);
        continue;
      }
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      // The snippet's first line is the one after the opening fence.
      report.bySnippet.get(snippet)?.push(`${snippet.file}:${snippet.line + 1 + line}:${character + 1} TS${d.code}: ${message}`);
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compilerOptions(repo: string, dir: string): ts.CompilerOptions {
  const guide = JSON.parse(readFileSync(join(repo, GUIDE_TSCONFIG), 'utf8')) as { compilerOptions: Record<string, unknown> };
  // Checking only: no output, no declaration, and every snippet a module even without an import.
  const { rootDir: _rootDir, outDir: _outDir, declaration: _declaration, ...checked } = guide.compilerOptions;
  const { options, errors } = ts.convertCompilerOptionsFromJson({ ...checked, noEmit: true, moduleDetection: 'force' }, dir);
  if (errors.length > 0) throw new Error(`${GUIDE_TSCONFIG}: ${errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('; ')}`);
  return options;
}
