// Lines for config paths: resolves a dotted path such as
// `daemons.snapshot.tasks.snapshot.compute.every` against the YAML document's nodes, so an error
// found far from the parser (a plugin's schema, the daemon planner) can still say "line 9".
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { ConfigSource } from '../errors.js';

export function createConfigSource(file: string, doc: Document, lines: LineCounter): ConfigSource {
  const lineAt = (offset: number) => lines.linePos(offset).line;
  return {
    file,
    lineOf(path) {
      const keys = typeof path === 'string' ? (path === '' ? [] : path.split('.')) : path.map(String);
      const root = doc.contents;
      if (keys.length === 0 || !root) return root?.range ? lineAt(root.range[0]) : undefined;
      const found = deepest(doc, root, keys, 0);
      return found?.offset === undefined ? undefined : lineAt(found.offset);
    },
  };
}

interface Match {
  /** How many path segments were matched. */
  depth: number;
  /** Where the deepest match is written. */
  offset: number | undefined;
}

/**
 * The deepest node `keys` reach from `node`. A key may itself contain dots (task names such as
 * `snapshot.compute`), so at each mapping the longest key that matches wins, with shorter ones
 * tried when it leads nowhere deeper.
 */
function deepest(doc: Document, node: unknown, keys: readonly string[], depth: number): Match | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (depth === keys.length) return undefined;
  let best: Match | undefined;
  const consider = (m: Match | undefined) => {
    if (m && (!best || m.depth > best.depth)) best = m;
  };
  if (isMap(target)) {
    for (let n = keys.length - depth; n > 0; n--) {
      const key = keys.slice(depth, depth + n).join('.');
      const pair = target.items.find((p) => keyText(p) === key);
      if (!pair) continue;
      const here: Match = { depth: depth + n, offset: pairOffset(pair) };
      consider(here);
      if (here.depth === keys.length) return here;
      consider(deepest(doc, pair.value, keys, depth + n));
      if (best?.depth === keys.length) return best;
    }
  } else if (isSeq(target)) {
    const key = keys[depth] ?? '';
    if (/^\d+$/.test(key)) {
      const item: unknown = target.items[Number(key)];
      if (item !== undefined) {
        consider({ depth: depth + 1, offset: rangeStart(item) });
        consider(deepest(doc, item, keys, depth + 1));
      }
    }
  }
  return best;
}

function keyText(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  return typeof k === 'string' || typeof k === 'number' ? String(k) : undefined;
}

/** A mapping entry is reported at its key: for a block value that is the line naming it. */
function pairOffset(pair: Pair): number | undefined {
  return rangeStart(pair.key) ?? rangeStart(pair.value);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
