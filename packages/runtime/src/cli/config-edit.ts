// Editing `plugins.enabled` / `plugins.disabled` of a kora.yaml in place. The yaml Document API
// finds the list and its source range; only that list's text is rewritten, so every other
// byte — comments, blank lines, aligned columns — stays as the operator wrote it.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Document, type Node, type Pair } from 'yaml';

export type PluginListKey = 'enabled' | 'disabled';

/** `text` with `plugins.<key>` set to `ids`; the rest of the document unchanged. */
export function setPluginList(text: string, key: PluginListKey, ids: readonly string[]): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0];
  const expected = withList(doc.toJS() as unknown, key, ids);
  const spliced = splice(text, doc, key, ids);
  // The splice is checked against the meaning of the whole file: if a layout it does not
  // foresee made it change anything else, fall back to the Document API's own rendering,
  // which keeps comments but may respace some lines.
  if (spliced !== undefined && sameMeaning(spliced, expected)) return spliced;
  doc.setIn(['plugins', key], doc.createNode([...ids], { flow: true }));
  return doc.toString();
}

function withList(value: unknown, key: PluginListKey, ids: readonly string[]): unknown {
  const root = (value ?? {}) as Record<string, unknown>;
  const plugins = (root.plugins ?? {}) as Record<string, unknown>;
  return { ...root, plugins: { ...plugins, [key]: [...ids] } };
}

function sameMeaning(text: string, expected: unknown): boolean {
  const doc = parseDocument(text);
  return doc.errors.length === 0 && isDeepStrictEqual(doc.toJS(), expected);
}

/** The edited text, or undefined when the layout is not one the splice handles. */
function splice(text: string, doc: Document, key: PluginListKey, ids: readonly string[]): string | undefined {
  const plugins = doc.get('plugins', true);
  if (!isMap(plugins) || plugins.flow) return undefined;
  const pair = plugins.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Node, Node | null> | undefined;
  if (!pair) return insertPair(text, plugins.items as Pair<Node, Node | null>[], key, ids);
  const value = pair.value;
  if (isSeq(value) && value.range) {
    if (value.flow) return replace(text, value.range[0], value.range[1], flowList(ids, /^\[[ \t]/.test(text.slice(value.range[0]))));
    return rewriteBlockList(text, pair, ids);
  }
  if (value === null || (isScalar(value) && value.value === null)) {
    // `disabled:` (empty) or `disabled: ~`.
    const at = value?.range ?? (pair.key as Node).range;
    if (!at) return undefined;
    if (value && at[1] > at[0]) return replace(text, at[0], at[1], flowList(ids, false));
    const colon = text.indexOf(':', (pair.key as Node).range?.[1] ?? at[0]);
    return colon < 0 ? undefined : replace(text, colon + 1, colon + 1, ` ${flowList(ids, false)}`);
  }
  return undefined;
}

/** A block list (`- id` lines): each item keeps its own line, its comment and the comment lines above it. */
function rewriteBlockList(text: string, pair: Pair<Node, Node | null>, ids: readonly string[]): string | undefined {
  const seq = pair.value;
  if (!isSeq(seq)) return undefined;
  const items = seq.items.filter(isScalar);
  if (items.length !== seq.items.length || items.length === 0) return undefined;
  const first = items[0]?.range;
  const last = items[items.length - 1]?.range;
  if (!first || !last) return undefined;
  const start = lineStart(text, first[0]);
  const end = lineEnd(text, last[1]);
  if (ids.length === 0) {
    // An empty block list would read as null; write `key: []` on the key's line instead.
    const colon = text.indexOf(':', (pair.key as Node).range?.[1] ?? start);
    if (colon < 0 || colon > start) return undefined;
    return replace(text, colon + 1, end, ` []${text.slice(0, end).endsWith('\n') ? '\n' : ''}`);
  }
  const prefix = text.slice(start, first[0]); // e.g. "    - "
  const spans = new Map<string, string>();
  let from = start;
  for (const item of items) {
    const to = lineEnd(text, item.range?.[1] ?? from);
    const span = text.slice(from, to);
    spans.set(String(item.value), span.endsWith('\n') ? span : `${span}\n`);
    from = to;
  }
  let out = ids.map((id) => spans.get(id) ?? `${prefix}${scalar(id)}\n`).join('');
  if (!text.slice(start, end).endsWith('\n')) out = out.slice(0, -1);
  return replace(text, start, end, out);
}

/** A new `key: [ids]` line in the `plugins` block, after `enabled` (or its last entry). */
function insertPair(text: string, pairs: Pair<Node, Node | null>[], key: PluginListKey, ids: readonly string[]): string | undefined {
  const after = pairs.find((p) => isScalar(p.key) && p.key.value === 'enabled') ?? pairs[pairs.length - 1];
  const keyRange = (after?.key as Node | undefined)?.range;
  const valueEnd = (after?.value as Node | null | undefined)?.range?.[1] ?? keyRange?.[1];
  if (!keyRange || valueEnd === undefined) return undefined;
  const indent = text.slice(lineStart(text, keyRange[0]), keyRange[0]);
  if (indent.trim() !== '') return undefined;
  const at = lineEnd(text, valueEnd);
  const newline = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return replace(text, at, at, `${newline}${indent}${key}: ${flowList(ids, false)}\n`);
}

function flowList(ids: readonly string[], padded: boolean): string {
  if (ids.length === 0) return '[]';
  const inner = ids.map(scalar).join(', ');
  return padded ? `[ ${inner} ]` : `[${inner}]`;
}

/** An id as YAML: plain, or quoted when plain would read as something else (`null`, `true`). */
function scalar(id: string): string {
  return stringify(id).trimEnd();
}

function replace(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the newline ending the line that holds `offset` (or the end of the text). */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}
