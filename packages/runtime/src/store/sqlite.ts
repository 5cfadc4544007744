// Opening the embedded SQLite store: the file, its pragmas, a statement cache, and Kysely's
// SQLite dialect. Everything SQLite-specific lives here; the queries are shared.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import { KoraError, StoreError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { migrate, type MigrationDialect } from './migrations.js';
import type { StoreSchema } from './schema.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './types.js';
import type { StoreTarget } from './url.js';

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** Distinct SQL texts kept prepared; the store issues a few dozen shapes. */
const STATEMENT_CACHE_SIZE = 200;

export const sqliteMigrationDialect: MigrationDialect = {
  // IMMEDIATE takes the write lock up front, so a second process opening the same file waits
  // (busy_timeout) instead of failing half-way with SQLITE_BUSY on its first write.
  begin: async (db) => {
    await sql`begin immediate`.execute(db);
  },
  idType: 'integer',
  // AUTOINCREMENT: plain rowids may be reused after the newest rows are deleted, which would
  // make a tailer using `afterId` skip entries.
  autoIncrementId: (c) => c.primaryKey().autoIncrement(),
};

// Opens of one file within this process take turns. SQLite waits for a lock inside a blocking
// call, so a second connection of this process waiting on a migration's write lock would stall
// the event loop the first one needs to finish. Keyed by file; other processes wait in SQLite.
const opening = new Map<string, Promise<unknown>>();

export function openSqliteStore(target: StoreTarget, deps: { logger: Logger; clock: Clock }): Promise<Store> {
  if (target.file === null) return open(target, deps);
  const file = target.file;
  const turn = (opening.get(file) ?? Promise.resolve()).then(() => open(target, deps));
  const done = turn.then(
    () => undefined,
    () => undefined,
  );
  opening.set(file, done);
  void done.then(() => {
    if (opening.get(file) === done) opening.delete(file);
  });
  return turn;
}

async function open(target: StoreTarget, deps: { logger: Logger; clock: Clock }): Promise<Store> {
  const started = performance.now();
  const log = deps.logger;
  const raw = openFile(target);
  let db: Kysely<StoreSchema> | undefined;
  try {
    applyPragmas(raw, target, log);
    db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
    const outcome = await migrate(db, sqliteMigrationDialect, { now: deps.clock.now(), location: target.location });
    const fields = { location: target.location, schema: outcome.to, ms: Math.round(performance.now() - started) };
    if (outcome.applied > 0) log.info({ ...fields, from: outcome.from, applied: outcome.applied }, 'store migrated');
    else log.debug(fields, 'store opened');
    const kysely = db;
    return new SqlStore({
      kind: 'sqlite',
      location: target.location,
      db: kysely,
      logger: log,
      clock: deps.clock,
      release: () => kysely.destroy(),
    });
  } catch (err) {
    await db?.destroy().catch(() => undefined);
    if (raw.open) raw.close();
    if (err instanceof KoraError) throw err;
    throw new StoreError(`Cannot open the SQLite store at ${target.location}: ${describeError(err)}`, { location: target.location }, { cause: err });
  }
}

function openFile(target: StoreTarget): Database.Database {
  try {
    if (target.file === null) return new Database(':memory:');
    // The store holds plugin state (tokens a plugin keeps in its namespace): owner-only, and
    // SQLite gives the -wal/-shm files the database file's mode.
    fs.mkdirSync(path.dirname(target.file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(target.file, 'a', 0o600));
    return new Database(target.file);
  } catch (err) {
    throw new StoreError(`Cannot open the SQLite store at ${target.location}: ${describeError(err)}`, { location: target.location }, { cause: err });
  }
}

function applyPragmas(raw: Database.Database, target: StoreTarget, log: Logger): void {
  // busy_timeout first, so switching the journal waits out a lock held by another process.
  raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (target.file !== null) {
    // WAL: readers (kora status, the admin UI) never block the scheduler's writes, and commits
    // are cheap. NORMAL sync is safe with WAL: a power cut can lose the last commits, never corrupt.
    const mode = String(raw.pragma('journal_mode = WAL', { simple: true }));
    if (mode.toLowerCase() !== 'wal') {
      log.warn({ location: target.location, journalMode: mode }, 'SQLite could not switch to WAL (a network file system?): readers will block writers');
    }
  }
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
}

// Kysely's SQLite driver prepares every statement anew. The store runs the same few shapes
// thousands of times (claim/complete per task run), so keep them prepared.
function withStatementCache(raw: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare(text) {
      let statement = cache.get(text);
      if (!statement) {
        statement = raw.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(text, statement);
      }
      return statement;
    },
    close() {
      cache.clear();
      raw.close();
    },
  };
}
