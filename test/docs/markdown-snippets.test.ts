import { describe, expect, it } from 'vitest';
import { extractSnippets } from './markdown-snippets.js';

const md = (...lines: string[]) => lines.join('\n');

describe('extractSnippets', () => {
  it('takes ts and typescript blocks with the line of their opening fence, and nothing else', () => {
    const text = md('# Title', '```ts', 'const a = 1;', '```', '```sh', 'npm test', '```', '```typescript', 'const b = 2;', 'const c = 3;', '```');
    expect(extractSnippets('x.md', text)).toEqual([
      { file: 'x.md', line: 2, code: 'const a = 1;', noCompile: undefined },
      { file: 'x.md', line: 8, code: 'const b = 2;\nconst c = 3;', noCompile: undefined },
    ]);
  });

  it('reads a no-compile marker on the nearest non-blank line before the fence, with its reason', () => {
    const text = md('<!-- snippet: no-compile shows a shape, not a module -->', '', '```ts', 'x', '```', 'text', '```ts', 'y', '```');
    expect(extractSnippets('x.md', text).map((s) => s.noCompile)).toEqual(['shows a shape, not a module', undefined]);
  });

  it('records a marker without a reason as an empty reason', () => {
    expect(extractSnippets('x.md', md('<!-- snippet: no-compile -->', '```ts', 'x', '```'))[0]?.noCompile).toBe('');
  });

  it('does not take a fence inside another block for a block', () => {
    const text = md('````md', '```ts', 'not a snippet', '```', '````');
    expect(extractSnippets('x.md', text)).toEqual([]);
  });

  it('refuses a block that is never closed, naming the file and line', () => {
    expect(() => extractSnippets('x.md', md('text', '```ts', 'x'))).toThrow('x.md:2: a fenced block is never closed');
  });
});
