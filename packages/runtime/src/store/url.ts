// Turns `store.url` into where the store lives. Pure (no files touched), so the CLI can show
// the location and a bad URL fails before anything is opened.
import path from 'node:path';
import { StoreError } from '../errors.js';
import { redactUrl } from '../log/redact.js';

export type StoreTarget =
  /** `file` null: in memory, gone on close. */
  { kind: 'sqlite'; file: string | null; location: string };

const DEFAULT_DB_FILE = 'kora.db';
const MEMORY_URL = 'sqlite::memory:';

const ACCEPTED =
  'Accepted forms: no store.url (SQLite at $KORA_HOME/kora.db), "sqlite::memory:", "sqlite:/absolute/path.db", ' +
  '"sqlite:relative/path.db" (relative to $KORA_HOME), "postgres://user:password@host/db" (not built yet)';

export function resolveStoreUrl(url: string | undefined, home: string): StoreTarget {
  const trimmed = url?.trim();
  // An empty value (`KORA_STORE_URL=` in an env file) means "not set", not "invalid".
  if (!trimmed) return fileTarget(path.resolve(home, DEFAULT_DB_FILE));
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();

  if (scheme === 'postgres' || scheme === 'postgresql') {
    const shown = redactUrl(trimmed);
    throw new StoreError(
      `PostgreSQL support is not built yet (it comes next): store.url is ${shown}. ` +
        'For now, leave store.url unset (SQLite at $KORA_HOME/kora.db) or use "sqlite:PATH".',
      { url: shown },
    );
  }

  if (scheme === 'sqlite') {
    const rest = trimmed.slice('sqlite:'.length);
    if (rest === ':memory:') return { kind: 'sqlite', file: null, location: MEMORY_URL };
    // `sqlite:///abs/path.db` is the URL spelling of an absolute path (empty host); any other
    // `sqlite://host…` names a host, which SQLite has no use for.
    if (rest.startsWith('//')) {
      if (rest.startsWith('///')) return fileTarget(path.resolve(rest.slice(2)));
    } else if (rest !== '') {
      return fileTarget(path.resolve(home, rest));
    }
  }

  throw new StoreError(`store.url "${redactUrl(trimmed)}" is not a store URL Kora understands. ${ACCEPTED}.`, {
    url: redactUrl(trimmed),
  });
}

function fileTarget(file: string): StoreTarget {
  return { kind: 'sqlite', file, location: file };
}
