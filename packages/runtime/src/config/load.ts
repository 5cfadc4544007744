// Reading kora.yaml: YAML parse errors and schema violations both become one ConfigError that
// names the file, each field's path (and line), and what was expected there. A config is small
// and written by hand, so one that is huge, nested without end or expands aliases into millions
// of nodes is refused before it costs the process its memory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Lexer, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, describeError, type ConfigIssue, type ConfigSource } from '../errors.js';
import { configSchema, type KoraConfig } from './schema.js';
import { createConfigSource } from './source.js';

/** The largest config file read: two orders of magnitude above any real one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** The most alias expansions yaml performs (its own default, stated so that it stays). */
const MAX_ALIAS_COUNT = 100;
/** Deeper `[`/`{` nesting than this is no config; yaml's recursion would only run out of stack slowly. */
const MAX_FLOW_DEPTH = 64;

export interface LoadedConfig {
  /** Absolute path of the file it came from. */
  file: string;
  config: KoraConfig;
  /** The file and its lines, for errors raised after loading (`ConfigError#withSource`). */
  source: ConfigSource;
}

export function loadConfigFile(file: string): LoadedConfig {
  return { file, ...parseConfig(readConfigText(file), file) };
}

/** Parse and validate config text; `file` names it in errors. */
export function parseConfigText(text: string, file: string): KoraConfig {
  return parseConfig(text, file).config;
}

/** Parse and validate config text, keeping the document's lines for later errors. */
export function parseConfig(text: string, file: string): { config: KoraConfig; source: ConfigSource } {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw tooLarge(file, Buffer.byteLength(text, 'utf8'));
  const tooDeep = flowDepthProblem(text);
  if (tooDeep) throw new ConfigError('KORA_ERR_CONFIG_PARSE', file, [tooDeep], `${file} is not a config Kora reads:`);

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e): ConfigIssue => {
      const at = e.linePos?.[0];
      const message = e.message.split('\n')[0] ?? e.message;
      return at ? { path: '', message, line: at.line, column: at.col } : { path: '', message };
    });
    throw new ConfigError('KORA_ERR_CONFIG_PARSE', file, issues, `${file} is not valid YAML:`);
  }
  const source = createConfigSource(file, doc, lines);
  const raw = toPlainData(doc, file, lines);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError('KORA_ERR_CONFIG_INVALID', file, result.error.issues.map((i) => toIssue(i, source)), `Invalid config in ${file}:`);
  }
  return { config: result.data, source };
}

/** The file's text, refusing by its size before reading a byte of an oversized one. */
function readConfigText(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new ConfigError('KORA_ERR_CONFIG_NOT_FOUND', file, [{ path: '', message: (err as Error).message }], `Cannot read config file ${file}:`);
  }
  try {
    const { size, isFile } = statOf(fd);
    if (!isFile) throw new ConfigError('KORA_ERR_CONFIG_NOT_FOUND', file, [{ path: '', message: 'not a regular file' }], `Cannot read config file ${file}:`);
    if (size > MAX_CONFIG_BYTES) throw tooLarge(file, size);
    // Read at most one byte past the cap: a file that grew since the stat is still refused.
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_CONFIG_BYTES) throw tooLarge(file, length);
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('KORA_ERR_CONFIG_NOT_FOUND', file, [{ path: '', message: (err as Error).message }], `Cannot read config file ${file}:`);
  } finally {
    closeSync(fd);
  }
}

function statOf(fd: number): { size: number; isFile: boolean } {
  const st = fstatSync(fd);
  return { size: st.size, isFile: st.isFile() };
}

function tooLarge(file: string, bytes: number): ConfigError {
  return new ConfigError(
    'KORA_ERR_CONFIG_TOO_LARGE',
    file,
    [{ path: '', message: `${bytes} bytes, more than the ${MAX_CONFIG_BYTES} (1 MiB) a config may have` }],
    `${file} is too large to be a config:`,
  );
}

/** Flow collections nested past MAX_FLOW_DEPTH, found by yaml's own lexer (so brackets inside strings and comments do not count). */
function flowDepthProblem(text: string): ConfigIssue | undefined {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_FLOW_DEPTH) {
        const line = text.slice(0, offset).split('\n').length;
        return { path: '', line, message: `collections nested more than ${MAX_FLOW_DEPTH} deep` };
      }
    } else if (token === ']' || token === '}') {
      depth--;
    }
    offset += token.length;
  }
  return undefined;
}

/** The document as plain data; yaml refuses alias expansion past MAX_ALIAS_COUNT (a "billion laughs"), which is a config error, not a crash. */
function toPlainData(doc: Document, file: string, lines: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    let line: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.range) line = lines.linePos(node.range[0]).line;
        return visit.BREAK;
      },
    });
    const issue: ConfigIssue = { path: '', message: `${describeError(err)}: its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies; write the values out instead` };
    throw new ConfigError('KORA_ERR_CONFIG_PARSE', file, [line === undefined ? issue : { ...issue, line }], `${file} is not a config Kora reads:`);
  }
}

function toIssue(issue: z.core.$ZodIssue, source: ConfigSource): ConfigIssue {
  const keys = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
  const path = keys.join('.');
  if (issue.code === 'unrecognized_keys') {
    // Point at the unknown key itself, not at the mapping holding it.
    const line = source.lineOf([...keys, issue.keys[0] ?? '']) ?? source.lineOf(keys);
    return withLine({ path, message: describeUnknownKeys(issue.keys) }, line);
  }
  return withLine({ path, message: issue.message }, source.lineOf(keys));
}

function withLine(issue: ConfigIssue, line: number | undefined): ConfigIssue {
  return line === undefined ? issue : { ...issue, line };
}

function describeUnknownKeys(keys: readonly string[]): string {
  return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} (check the spelling; \`kora config schema\` lists every key)`;
}
