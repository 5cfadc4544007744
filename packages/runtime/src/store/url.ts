// Turns `store.url` into where the store lives. Pure (no files touched), so the CLI can show
// the location and a bad URL fails before anything is opened: `storeUrlProblem` is the part the
// config schema and the environment check run, with no home needed.
import path from 'node:path';
import { StoreError } from '../errors.js';
import { redactUrl } from '../log/redact.js';

export type StoreTarget =
  /** `file` null: in memory, gone on close. */
  | { kind: 'sqlite'; file: string | null; location: string }
  /**
   * `url` is what the driver gets (with its password); `location` is safe to show: the URL with
   * the password redacted. `host`, `port` and `database` name the server in connection errors.
   */
  | { kind: 'postgres'; url: string; location: string; host: string; port: number; database: string };

const DEFAULT_DB_FILE = 'kora.db';
const MEMORY_URL = 'sqlite::memory:';

export const STORE_URL_ACCEPTED =
  'Accepted forms: no store.url (SQLite at $KORA_HOME/kora.db), "sqlite::memory:", "sqlite:/absolute/path.db", ' +
  '"sqlite:relative/path.db" (relative to $KORA_HOME), "postgres://user:password@host:5432/db" (several gateways sharing one PostgreSQL)';

type ParsedUrl = { kind: 'default' } | { kind: 'memory' } | { kind: 'file'; path: string; relative: boolean } | { kind: 'postgres'; url: string } | { kind: 'invalid' };

/** An empty value (`store.url: ""`, `KORA_STORE_URL=` in an env file) means "not set", not "invalid". */
function parse(url: string | undefined): ParsedUrl {
  const trimmed = url?.trim();
  if (!trimmed) return { kind: 'default' };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return URL.canParse(trimmed) ? { kind: 'postgres', url: trimmed } : { kind: 'invalid' };
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
    case 'postgres':
      return postgresTarget(parsed.url);
    case 'invalid':
      throw new StoreError(`store.url ${storeUrlProblem(url)}.`, { url: redactUrl(url?.trim() ?? '') });
  }
}

// The URL goes to the driver as it is (it reads user, password, host, port, database and the
// query's sslmode…); what is parsed here only names the server in messages, as libpq defaults.
function postgresTarget(url: string): StoreTarget {
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || parsed.searchParams.get('host') || 'localhost';
  const port = Number(parsed.port || parsed.searchParams.get('port') || 5432);
  const user = decodeURIComponent(parsed.username) || undefined;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user || 'postgres';
  return { kind: 'postgres', url, location: redactUrl(url), host, port, database };
}

function fileTarget(file: string): StoreTarget {
  return { kind: 'sqlite', file, location: file };
}
