// Opening the embedded SQLite store: the file, its pragmas, a statement cache, Kysely's
// SQLite dialect under the statement watch, and what SQLite's errors mean for the store's
// health. Everything SQLite-specific lives here; the queries are shared.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import { KoraError, StoreError, describeError, type StoreErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { StoreHealthMonitor } from './health.js';
import { migrate, type MigrationDialect } from './migrations.js';
import type { StoreSchema } from './schema.js';
import { openSqlite } from './sqlite-driver.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './types.js';
import type { StoreTarget } from './url.js';
import { WalSync } from './wal-sync.js';
import { WatchedDialect, runWatched, type StatementWatch, type StoreFaultKind } from './watched-dialect.js';

/**
 * How long one SQLite call waits inside the driver for another connection's lock before it
 * returns SQLITE_BUSY. better-sqlite3 is synchronous, so this is time the event loop is
 * blocked: kept short, and the wait continues asynchronously (watched-dialect.ts).
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 50;
/** How long a statement keeps retrying a lock before failing with KORA_ERR_STORE_BUSY. */
export const DEFAULT_BUSY_RETRY_MS = 5000;
/** Pages of WAL between automatic checkpoints (SQLite's default: 1000). */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
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
  // Each table's and view's CREATE statement as SQLite keeps it in sqlite_master, which it
  // rewrites on every ALTER TABLE: one plain read, where the columns through pragma_table_info
  // cost ≈ 0.5 ms a call with the example config's tables, twice per plugin migration (decision 0176).
  tableShapes: async (db) => {
    const { rows } = await sql<{ name: string; sql: string | null }>`
      select name, sql from sqlite_master
      where type in ('table', 'view') and name not like 'sqlite_%'
      order by name`.execute(db);
    return new Map(rows.map((r) => [r.name, r.sql ?? '']));
  },
};

// Opens of one file within this process take turns. SQLite waits for a lock inside a blocking
// call, so a second connection of this process waiting on a migration's write lock would stall
// the event loop the first one needs to finish. Keyed by file; other processes wait in SQLite.
const opening = new Map<string, Promise<unknown>>();

export interface SqliteStoreDeps {
  logger: Logger;
  clock: Clock;
  busyTimeoutMs?: number;
  busyRetryMs?: number;
  leaseMs?: number;
  auditTailGraceMs?: number;
  /** fsync of the WAL file (wal-sync.ts); tests count the calls. */
  syncWal?: (file: string) => Promise<void>;
  /** Default true: one gateway per home (DESIGN §6a). False: interrupt only expired or listed owners' runs, as a shared database must. */
  exclusive?: boolean;
}

type SqliteTarget = Extract<StoreTarget, { kind: 'sqlite' }>;

export function openSqliteStore(target: SqliteTarget, deps: SqliteStoreDeps): Promise<Store> {
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

async function open(target: SqliteTarget, deps: SqliteStoreDeps): Promise<Store> {
  const started = deps.clock.monotonic();
  const log = deps.logger;
  const health = new StoreHealthMonitor(deps.clock, log);
  // Commits reach the disk within WAL_SYNC_EVERY_MS (wal-sync.ts); an in-memory store has no file.
  const walSync = target.file === null ? undefined : new WalSync({ file: `${target.file}-wal`, clock: deps.clock, health, ...(deps.syncWal ? { syncFile: deps.syncWal } : {}) });
  const watch: StatementWatch = {
    clock: deps.clock,
    location: target.location,
    health,
    classify: classifySqliteError,
    busyRetryForMs: deps.busyRetryMs ?? DEFAULT_BUSY_RETRY_MS,
    ...(walSync ? { changed: () => walSync.changed() } : {}),
  };
  const raw = openFile(target);
  let db: Kysely<StoreSchema> | undefined;
  try {
    const opened = target.file === null ? undefined : fs.statSync(target.file);
    await applyPragmas(raw, target, log, watch, deps.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    db = new Kysely<StoreSchema>({ dialect: new WatchedDialect(new SqliteDialect({ database: withStatementCache(raw) }), watch, { oneConnection: true }) });
    const outcome = await migrate(db, sqliteMigrationDialect, { now: deps.clock.now(), location: target.location });
    const fields = { location: target.location, schema: outcome.to, ms: Math.round(deps.clock.monotonic() - started) };
    if (outcome.applied > 0) log.info({ ...fields, from: outcome.from, applied: outcome.applied }, 'store migrated');
    else log.debug(fields, 'store opened');
    const kysely = db;
    return new SqlStore({
      kind: 'sqlite',
      location: target.location,
      db: kysely,
      logger: log,
      clock: deps.clock,
      health,
      migrationDialect: sqliteMigrationDialect,
      claimDialect: { skipLocked: false },
      // One gateway per home, and the default database lives in the home (DESIGN §6a).
      exclusive: deps.exclusive ?? true,
      leaseMs: deps.leaseMs,
      auditTailGraceMs: deps.auditTailGraceMs,
      checkFile: () => (target.file === null || opened === undefined ? undefined : checkSameFile(target.file, opened)),
      release: async () => {
        await walSync?.close();
        await kysely.destroy();
      },
    });
  } catch (err) {
    await walSync?.close();
    await db?.destroy().catch(() => undefined);
    if (raw.open) raw.close();
    if (err instanceof KoraError) throw err;
    throw new StoreError(`Cannot open the SQLite store at ${target.location}: ${describeError(err)}`, { location: target.location }, { cause: err });
  }
}

// An open SQLite connection keeps writing to its file descriptor after the file was unlinked
// or renamed away: every write "succeeds" and is lost at close. Only the path says so.
function checkSameFile(file: string, opened: fs.Stats): { code: StoreErrorCode; reason: string } | undefined {
  let now: fs.Stats;
  try {
    now = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { code: 'KORA_ERR_STORE_FILE_GONE', reason: `the database file ${file} was deleted while the store had it open: writes no longer reach the disk` };
    }
    return { code: 'KORA_ERR_STORE_FILE_GONE', reason: `the database file ${file} cannot be reached: ${describeError(err)}` };
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino) {
    return { code: 'KORA_ERR_STORE_FILE_GONE', reason: `the database file ${file} was replaced by another file while the store had it open: writes go to the old one` };
  }
  return undefined;
}

/** What a better-sqlite3 error means for the store: a lock held elsewhere, no space, or a file it cannot use. */
export function classifySqliteError(err: unknown): StoreFaultKind | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code === 'SQLITE_FULL') return 'full';
  if (/^SQLITE_(IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PERM|NOMEM)/.test(code)) return 'io';
  return undefined;
}

function openFile(target: SqliteTarget): Database.Database {
  try {
    if (target.file === null) return openSqlite(':memory:');
    // The store holds plugin state (tokens a plugin keeps in its namespace): owner-only, and
    // SQLite gives the -wal/-shm files the database file's mode.
    fs.mkdirSync(path.dirname(target.file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(target.file, 'a', 0o600));
    return openSqlite(target.file);
  } catch (err) {
    throw new StoreError(`Cannot open the SQLite store at ${target.location}: ${describeError(err)}`, { location: target.location }, { cause: err });
  }
}

async function applyPragmas(raw: Database.Database, target: SqliteTarget, log: Logger, watch: StatementWatch, busyTimeoutMs: number): Promise<void> {
  // busy_timeout first: every later call waits at most this long inside the driver.
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  if (target.file !== null) {
    // WAL: readers (kora status, the admin UI) never block the scheduler's writes, and commits
    // are cheap. NORMAL sync is safe with WAL: a power cut can lose the last commits, never corrupt.
    // Switching needs a lock another process may hold: waited out like any statement.
    const mode = String(await runWatched(watch, 'other', async () => raw.pragma('journal_mode = WAL', { simple: true })));
    if (mode.toLowerCase() !== 'wal') {
      log.warn({ location: target.location, journalMode: mode }, 'SQLite could not switch to WAL (a network file system?): readers will block writers');
    }
  }
  raw.pragma('synchronous = NORMAL');
  // Durability no longer waits on checkpoints (above), so they can be rarer: a checkpoint copies
  // each page once however often it changed, and a webhook burst rewrites the same few index
  // pages. 10 000 pages (≈ 40 MB of WAL at most) made a commit ≈ 20–30 % cheaper (decision 0172).
  raw.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
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
