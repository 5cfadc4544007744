// Every TypeScript snippet in docs/ and the top-level READMEs compiles against the built
// @kora/runtime, so the docs cannot drift from the API. A fragment that truly cannot compile
// alone is preceded by `<!-- snippet: no-compile <reason> -->`, and the reason is required.
// Snippets may use `ctx` (a PluginContext) undeclared: see compile-snippets.ts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSnippets, type CompileReport } from './compile-snippets.js';
import { markdownFiles, snippetsOf, type Snippet } from './markdown-snippets.js';

const REPO = resolve(import.meta.dirname, '../..');
const files = [...markdownFiles(REPO, 'docs'), 'README.md', 'CONTRIBUTING.md'].filter((f) => existsSync(join(REPO, f)));
const snippets = snippetsOf(REPO, files);
const compiled = snippets.filter((s) => s.noCompile === undefined);
const exempt = snippets.filter((s) => s.noCompile !== undefined);
const name = (s: Snippet) => `${s.file}:${s.line}`;

/**
 * Snippets known not to compile, by file:line, each expected to fail: once one compiles (or
 * moves), its test fails and the entry must go. Only for pages another change is rewriting.
 */
const KNOWN_BROKEN = new Map<string, string>([]);

let report: CompileReport;

beforeAll(() => {
  if (!existsSync(join(REPO, 'packages/runtime/dist/index.d.ts'))) throw new Error('packages/runtime/dist is missing: build first (npx tsc -b; npm test does it)');
  report = compileSnippets(REPO, compiled);
}, 120_000);

describe('docs snippets', () => {
  it('finds the snippets (the guide and the concept pages have some)', () => {
    expect(snippets.map((s) => s.file)).toEqual(expect.arrayContaining(['docs/writing-a-plugin.md', 'docs/hooks.md', 'docs/daemons.md']));
  });

  it('compiles in a sound temp project (nothing wrong outside the snippets)', () => {
    expect(report.other).toEqual([]);
  });

  it.each(compiled.filter((s) => !KNOWN_BROKEN.has(name(s))).map((s) => [name(s), s] as const))('%s compiles', (_name, snippet) => {
    const messages = report.bySnippet.get(snippet) ?? [];
    expect(messages, messages.join('\n')).toEqual([]);
  });

  it('lists as known broken only snippets that exist', () => {
    expect([...KNOWN_BROKEN.keys()].filter((key) => !compiled.some((s) => name(s) === key))).toEqual([]);
  });

  for (const [key, why] of KNOWN_BROKEN) {
    const snippet = compiled.find((s) => name(s) === key);
    if (snippet) it.fails(`${key} does not compile yet (${why})`, () => expect(report.bySnippet.get(snippet)).toEqual([]));
  }

  if (exempt.length > 0) {
    it.each(exempt.map((s) => [name(s), s] as const))('%s is exempt, with a reason', (_name, snippet) => {
      expect(snippet.noCompile, `${name(snippet)}: <!-- snippet: no-compile --> needs a reason after "no-compile"`).not.toBe('');
    });
  }
});
