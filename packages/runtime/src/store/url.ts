// Turns `store.url` into where the store lives. Pure (no files touched), so the CLI can show
// the location and a bad URL fails before anything is opened: `storeUrlProblem` is the part the
// config schema and the environment check run, with no home needed.
import path from 'node:path';
import { StoreError } from '../errors.js';
import { redactUrl } from '../log/redact.js';

export type StoreTarget =
  /** `file` null: in memory, gone on close. */
  { kind: 'sqlite'; file: string | null; location: string };

const DEFAULT_DB_FILE = 'kora.db';
const MEMORY_URL = 'sqlite::memory:';

export const STORE_URL_ACCEPTED =
  'Accepted forms: no store.url (SQLite at $KORA_HOME/kora.db), "sqlite::memory:", "sqlite:/absolute/path.db", ' +
  '"sqlite:relative/path.db" (relative to $KORA_HOME), "postgres://user:password@host/db" (not built yet)';

type ParsedUrl = { kind: 'default' } | { kind: 'memory' } | { kind: 'file'; path: string; relative: boolean } | { kind: 'postgres' } | { kind: 'invalid' };

/** An empty value (`store.url: ""`, `KORA_STORE_URL=` in an env file) means "not set", not "invalid". */
function parse(url: string | undefined): ParsedUrl {
  const trimmed = url?.trim();
  if (!trimmed) return { kind: 'default' };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres' };
  if (scheme !== 'sqlite') return { kind: 'invalid' };
  const rest = trimmed.slice('sqlite:'.length);
  if (rest === ':memory:') return { kind: 'memory' };
  // `sqlite:///abs/path.db` is the URL spelling of an absolute path (empty host); any other
  // `sqlite://host…` names a host, which SQLite has no use for.
  if (rest.startsWith('//')) return rest.startsWith('///') ? { kind: 'file', path: rest.slice(2), relative: false } : { kind: 'invalid' };
  return rest === '' ? { kind: 'invalid' } : { kind: 'file', path: rest, relative: true };
}

/** What is wrong with a store URL Kora would not open, or undefined. The message shows the URL with its password redacted. */
export function storeUrlProblem(url: string | undefined): string | undefined {
  if (parse(url).kind !== 'invalid') return undefined;
  return `"${redactUrl(url?.trim() ?? '')}" is not a store URL Kora understands. ${STORE_URL_ACCEPTED}`;
}

export function resolveStoreUrl(url: string | undefined, home: string): StoreTarget {
  const parsed = parse(url);
  switch (parsed.kind) {
    case 'default':
      return fileTarget(path.resolve(home, DEFAULT_DB_FILE));
    case 'memory':
      return { kind: 'sqlite', file: null, location: MEMORY_URL };
    case 'file':
      return fileTarget(parsed.relative ? path.resolve(home, parsed.path) : path.resolve(parsed.path));
    case 'postgres': {
      const shown = redactUrl(url?.trim() ?? '');
      throw new StoreError(
        `PostgreSQL support is not built yet (it comes next): store.url is ${shown}. ` +
          'For now, leave store.url unset (SQLite at $KORA_HOME/kora.db) or use "sqlite:PATH".',
        { url: shown },
      );
    }
    case 'invalid':
      throw new StoreError(`store.url ${storeUrlProblem(url)}.`, { url: redactUrl(url?.trim() ?? '') });
  }
}

function fileTarget(file: string): StoreTarget {
  return { kind: 'sqlite', file, location: file };
}
