// Reading kora.yaml: YAML parse errors and schema violations both become one ConfigError that
// names the file, each field's path (and line), and what was expected there.
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { configSchema, type KoraConfig } from './schema.js';

export interface LoadedConfig {
  /** Absolute path of the file it came from. */
  file: string;
  config: KoraConfig;
}

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('KORA_ERR_CONFIG_NOT_FOUND', file, [{ path: '', message: (err as Error).message }], `Cannot read config file ${file}:`);
  }
  return { file, config: parseConfigText(text, file) };
}

export function parseConfigText(text: string, file: string): KoraConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return { path: at ? `line ${at.line}, column ${at.col}` : '', message: e.message.split('\n')[0] ?? e.message };
    });
    throw new ConfigError('KORA_ERR_CONFIG_PARSE', file, issues, `${file} is not valid YAML:`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError('KORA_ERR_CONFIG_INVALID', file, result.error.issues.map((i) => toIssue(i, doc, lines)), `Invalid config in ${file}:`);
  }
  return result.data;
}

function toIssue(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): ConfigIssue {
  const keys = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = describeUnknownKeys(issue.keys);
    return { path: withLine(keys, doc, lines), message: known };
  }
  return { path: withLine(keys, doc, lines), message: issue.message };
}

function describeUnknownKeys(keys: readonly string[]): string {
  return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} (check the spelling; \`kora config schema\` lists every key)`;
}

/** `daemons.snapshot.fatal (line 7)`: the dotted path, and the line when the node exists in the file. */
function withLine(keys: string[], doc: Document, lines: LineCounter): string {
  const dotted = keys.join('.');
  for (let n = keys.length; n > 0; n--) {
    const node = doc.getIn(keys.slice(0, n).map((k) => (/^\d+$/.test(k) ? Number(k) : k)), true);
    if (isNode(node) && node.range) {
      const { line } = lines.linePos(node.range[0]);
      return `${dotted || '(root)'} (line ${line})`;
    }
  }
  return dotted;
}
