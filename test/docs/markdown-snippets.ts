// The TypeScript snippets of the docs: every ```ts / ```typescript fenced block of a markdown
// file, where it starts, and whether a `<!-- snippet: no-compile reason -->` marker exempts it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Snippet {
  /** The markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The code between the fences. */
  code: string;
  /** Set when a no-compile marker precedes the block: its reason ('' when it gives none). */
  noCompile: string | undefined;
  /** Set when an `<!-- example: path -->` (or `<!-- generated: path -->`, as `generated/path`) marker precedes the block: the file of the guide's example it is. */
  examplePath: string | undefined;
}

/** An opening fence: three or more backticks or tildes, then the info string (its first word is the language). */
const FENCE = /^(`{3,}|~{3,})\s*([^\s`]*)/;
const TS_LANGUAGES = new Set(['ts', 'typescript']);
const NO_COMPILE = /^<!--\s*snippet:\s*no-compile\b(.*?)-->\s*$/;
// `example:` marks a file of docs/examples/hello-plugin; `generated:` one `kora plugins new` writes
// (kept apart: both have a src/index.ts).
const EXAMPLE = /^<!--\s*(example|generated):\s*(\S+)\s*-->\s*$/;

/** The TypeScript snippets of one markdown text. */
export function extractSnippets(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i] ?? '');
    if (!fence) continue;
    const [, marks = '', language = ''] = fence;
    // Closed by a line of the same character, at least as many, and nothing else (CommonMark).
    const closing = new RegExp(`^${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`);
    const end = lines.findIndex((l, j) => j > i && closing.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: a fenced block is never closed`);
    if (TS_LANGUAGES.has(language)) {
      const marked = EXAMPLE.exec((lines[i - 1] ?? '').trim());
      const example = marked ? (marked[1] === 'generated' ? `generated/${marked[2] ?? ''}` : marked[2]) : undefined;
      snippets.push({ file, line: i + 1, code: lines.slice(i + 1, end).join('\n'), noCompile: noCompileReason(lines, i), examplePath: example });
    }
    i = end; // a fence inside a block is its content, not a new block
  }
  return snippets;
}

/** The marker on the nearest non-blank line before the fence at `index`, if it is one. */
function noCompileReason(lines: string[], index: number): string | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const m = NO_COMPILE.exec(line);
    return m ? (m[1] ?? '').trim() : undefined;
  }
  return undefined;
}

/** Markdown files under `dir` (recursively, skipping node_modules and dist), relative to `root`. */
export function markdownFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.md')) out.push(relative(root, path));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

export function snippetsOf(root: string, files: string[]): Snippet[] {
  return files.flatMap((f) => extractSnippets(f, readFileSync(join(root, f), 'utf8')));
}
