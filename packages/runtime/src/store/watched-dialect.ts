// A Kysely dialect wrapped so that every statement on the store's connection (the runtime's and
// the plugins' through `pluginDb`) is watched: a lock held elsewhere is waited out by retrying
// asynchronously with backoff up to a bound, never by blocking in the driver; faults that
// mean "this database can no longer be written" become coded StoreErrors naming it and mark
// the store unhealthy; a write that succeeds marks it healthy again.
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { StoreError, describeError, type StoreErrorCode } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { StoreHealthMonitor } from './health.js';

/** What a driver error means for the store; undefined: the statement's own fault (a constraint, bad SQL). */
export type StoreFaultKind = 'busy' | 'full' | 'io' | 'unreachable';

export interface StatementWatch {
  clock: Clock;
  /** Named in errors; safe to show. */
  location: string;
  health: StoreHealthMonitor;
  classify(err: unknown): StoreFaultKind | undefined;
  /** How long a statement keeps retrying a lock held elsewhere before it fails with KORA_ERR_STORE_BUSY. */
  busyRetryForMs: number;
  /** A database server (PostgreSQL): why it cannot be reached, naming host, port and database. */
  unreachable?(err: unknown): string;
  /** After a statement that may have changed the database succeeded (anything but a read, a COMMIT included): SQLite schedules its WAL sync. */
  changed?(): void;
}

const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 250;

export class WatchedDialect implements Dialect {
  readonly #inner: Dialect;
  readonly #watch: StatementWatch;

  readonly #oneConnection: boolean;

  /**
   * `oneConnection`: the inner driver has a single connection (SQLite) and callers queue for it
   * here, first come first served. Kysely's own SQLite mutex wakes every waiter at each release
   * (one wins, the others wait again): with n callers queued, each query costs O(n) wake-ups,
   * which made ten concurrent webhook requests seven times slower per insert than one.
   */
  constructor(inner: Dialect, watch: StatementWatch, options: { oneConnection?: boolean } = {}) {
    this.#inner = inner;
    this.#watch = watch;
    this.#oneConnection = options.oneConnection ?? false;
  }

  createDriver(): Driver {
    return new WatchedDriver(this.#inner.createDriver(), this.#watch, this.#oneConnection ? new FifoLock() : undefined);
  }

  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter();
  }

  // Kysely's own signature: the introspector reads catalog tables no schema type describes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db);
  }
}

class WatchedDriver implements Driver {
  readonly #inner: Driver;
  readonly #watch: StatementWatch;
  readonly #connections = new WeakMap<DatabaseConnection, WatchedConnection>();
  readonly #lock: FifoLock | undefined;

  constructor(inner: Driver, watch: StatementWatch, lock: FifoLock | undefined) {
    this.#inner = inner;
    this.#watch = watch;
    this.#lock = lock;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock?.acquire();
    let raw: DatabaseConnection;
    try {
      raw = await this.#inner.acquireConnection();
    } catch (err) {
      this.#lock?.release();
      // A database server that refuses or drops the connection (down, restarting, not accepting
      // connections): the store cannot be reached, whatever the server's code for it says.
      if (this.#watch.unreachable) throw fault(this.#watch, 'unreachable', err, 1, 0);
      throw err;
    }
    let watched = this.#connections.get(raw);
    if (!watched) {
      watched = new WatchedConnection(raw, this.#watch);
      this.#connections.set(raw, watched);
    }
    return watched;
  }

  // The inner driver issues BEGIN/COMMIT through the connection it is given: the watched one,
  // so a BEGIN IMMEDIATE that meets another process's lock is retried like any statement.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(connection instanceof WatchedConnection ? connection.raw : connection);
    } finally {
      this.#lock?.release();
    }
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

/** A mutex that hands itself to the longest waiter: one wake-up per release. */
export class FifoLock {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

class WatchedConnection implements DatabaseConnection {
  readonly raw: DatabaseConnection;
  readonly #watch: StatementWatch;

  constructor(raw: DatabaseConnection, watch: StatementWatch) {
    this.raw = raw;
    this.#watch = watch;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return runWatched(this.#watch, statementKind(compiledQuery), () => this.raw.executeQuery<R>(compiledQuery));
  }

  streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.raw.streamQuery<R>(compiledQuery, chunkSize);
  }
}

// Reads never prove the database can be written (a full disk still serves them), so only
// statements that change something clear a write fault.
// A COMMIT is not counted either: a read-only transaction commits too, and the writes inside a
// write transaction were counted as they ran (a commit that fails is still a fault). But it is
// not a read: it is what puts a transaction in the WAL.
const READ_RAW = /^\s*(select|explain)\b/i;
const CONTROL_RAW = /^\s*(pragma|begin|commit|end|rollback|savepoint|release)\b/i;

function statementKind(compiledQuery: CompiledQuery): StatementKind {
  const kind = compiledQuery.query.kind;
  if (kind === 'SelectQueryNode') return 'read';
  if (kind !== 'RawNode') return 'write';
  if (READ_RAW.test(compiledQuery.sql)) return 'read';
  return CONTROL_RAW.test(compiledQuery.sql) ? 'other' : 'write';
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * What a statement may do to the database: `read` (a SELECT, built or raw) nothing; `write`
 * changes rows or the schema, and proves the database can be written; `other` (BEGIN, COMMIT, a
 * pragma) proves nothing, but a COMMIT writes to the WAL.
 */
export type StatementKind = 'read' | 'write' | 'other';

/**
 * Run one statement (or, at open, one pragma) under the watch: retry while the database is
 * locked elsewhere, then fail with a coded error; record what it says about the store's health.
 */
export async function runWatched<T>(watch: StatementWatch, kind: StatementKind, fn: () => Promise<T>): Promise<T> {
  const started = watch.clock.monotonic();
  let backoff = FIRST_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await fn();
      if (kind === 'write') watch.health.writeSucceeded();
      if (kind !== 'read') watch.changed?.();
      return result;
    } catch (err) {
      const faultKind = watch.classify(err);
      if (faultKind === undefined) throw err;
      const elapsed = watch.clock.monotonic() - started;
      if (faultKind === 'busy' && elapsed + backoff <= watch.busyRetryForMs) {
        await sleep(watch.clock, backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      throw fault(watch, faultKind, err, attempt, elapsed);
    }
  }
}

function fault(watch: StatementWatch, kind: StoreFaultKind, err: unknown, attempts: number, elapsedMs: number): StoreError {
  const { location, health } = watch;
  const driverCode = (err as { code?: unknown } | null)?.code;
  const shownCode = typeof driverCode === 'string' ? ` (${driverCode})` : '';
  let code: StoreErrorCode;
  let reason: string;
  if (kind === 'busy') {
    code = 'KORA_ERR_STORE_BUSY';
    reason =
      `the database at ${location} stayed locked by another connection for ${Math.round(elapsedMs)} ms (${attempts} attempts)${shownCode}: ` +
      'is another process (a second gateway, a backup, an sqlite3 shell) holding a write transaction on it?';
  } else if (kind === 'unreachable') {
    // Not retried here: a statement whose connection died may have run, and the callers that
    // retry (the ledger writer, heartbeats, consumers) know which of theirs are safe to repeat.
    code = 'KORA_ERR_STORE_UNREACHABLE';
    reason = watch.unreachable?.(err) ?? `the database at ${location} cannot be reached${shownCode}: ${describeError(err)}`;
  } else if (kind === 'full') {
    code = 'KORA_ERR_STORE_FULL';
    reason = `the database at ${location} is full${shownCode}: the disk is full or the database reached its size limit`;
  } else {
    code = 'KORA_ERR_STORE_IO';
    reason = `the database at ${location} cannot be read or written${shownCode}: ${describeError(err)}`;
  }
  // The reason of a busy fault carries timings; health keeps one stable text per cause.
  health.writeFailed(code, kind === 'busy' ? `the database at ${location} is locked by another connection` : kind === 'unreachable' ? (watch.unreachable?.(undefined) ?? reason) : reason);
  return new StoreError(reason.charAt(0).toUpperCase() + reason.slice(1), { location, ...(typeof driverCode === 'string' ? { driverCode } : {}) }, { cause: err, code });
}
