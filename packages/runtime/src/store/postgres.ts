// Opening the PostgreSQL store (several gateways sharing one database, DESIGN §6a): a `pg` pool
// under Kysely's PostgresDialect, watched like SQLite's connection, and what PostgreSQL's
// errors mean for the store's health. Everything PostgreSQL-specific lives here; the queries
// are the same as SQLite's.
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { KoraError, StoreError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { StoreHealthMonitor } from './health.js';
import { migrate, type MigrationDialect } from './migrations.js';
import type { StoreSchema } from './schema.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './types.js';
import type { StoreTarget } from './url.js';
import { WatchedDialect, type StatementWatch, type StoreFaultKind } from './watched-dialect.js';

type PostgresTarget = Extract<StoreTarget, { kind: 'postgres' }>;

/** Connections per gateway unless `store.pool` says otherwise. */
export const DEFAULT_POOL_SIZE = 10;
/** How long opening a connection may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_BUSY_RETRY_MS = 5_000;
/** Key of the advisory lock that keeps two gateways from migrating one database at once ("kora"). */
const MIGRATION_LOCK = 0x6b6f7261;

// bigint (int8) columns hold epoch ms and ids: numbers, not the strings pg hands back by
// default. A value past 2^53 cannot occur in them. Per pool, so no other user of pg is affected.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export const postgresMigrationDialect: MigrationDialect = {
  // A transaction-scoped advisory lock: a second gateway opening the database waits here, then
  // reads the version again and finds nothing to do. Released by the commit or rollback.
  begin: async (db) => {
    await sql`begin`.execute(db);
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(db);
  },
  idType: 'bigint',
  // An identity column's sequence never hands out a value twice.
  autoIncrementId: (c) => c.primaryKey().generatedByDefaultAsIdentity(),
  // Only the tables of the schema the store uses: another schema of the same database (another
  // application, another agent) is none of a plugin migration's business.
  currentSchema: async (db) => {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    return rows[0]?.schema;
  },
};

export interface PostgresStoreDeps {
  logger: Logger;
  clock: Clock;
  busyRetryMs?: number;
  leaseMs?: number;
  auditTailGraceMs?: number;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/** Where the server is, for every message about reaching it: host, port and database, never the password. */
export function describeServer(target: PostgresTarget): string {
  return `PostgreSQL at host ${target.host}, port ${target.port}, database ${target.database}`;
}

export async function openPostgresStore(target: PostgresTarget, deps: PostgresStoreDeps): Promise<Store> {
  const started = deps.clock.monotonic();
  const log = deps.logger;
  const health = new StoreHealthMonitor(deps.clock, log);
  const server = describeServer(target);
  const watch: StatementWatch = {
    clock: deps.clock,
    location: target.location,
    health,
    classify: classifyPostgresError,
    busyRetryForMs: deps.busyRetryMs ?? DEFAULT_BUSY_RETRY_MS,
    unreachable: (err) => (err === undefined ? `${server} cannot be reached` : `${server} cannot be reached: ${describeConnectionError(err)}`),
  };
  const pool = new pg.Pool({
    connectionString: target.url,
    max: deps.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Idle connections are closed after a while: a database restarted meanwhile is met with a new one.
    idleTimeoutMillis: 30_000,
    types,
    application_name: 'kora',
  });
  // A connection that dies while idle in the pool (a server restart, pg_terminate_backend) is an
  // 'error' event; unheard, it would end the process. The pool drops it and opens another on demand.
  pool.on('error', (err) => {
    health.writeFailed('KORA_ERR_STORE_UNREACHABLE', `${server} cannot be reached`);
    log.warn({ err: describeConnectionError(err) }, `store: an idle connection to ${server} was closed (${describeConnectionError(err)}); a new one is opened on demand`);
  });
  // One that dies while checked out (between two statements of a transaction or a claim) is an
  // 'error' event on the client, which the pool stops listening to at checkout: unheard, it ended
  // the process. The work holding it fails with the connection's error (and the store's health
  // says so); the pool drops the client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      log.debug({ err: describeConnectionError(err) }, `store: a connection to ${server} in use was closed (${describeConnectionError(err)}); the work holding it fails`);
    });
  });
  const db = new Kysely<StoreSchema>({ dialect: new WatchedDialect(new PostgresDialect({ pool }), watch) });
  try {
    const outcome = await migrate(db, postgresMigrationDialect, { now: deps.clock.now(), location: target.location });
    const fields = { location: target.location, schema: outcome.to, ms: Math.round(deps.clock.monotonic() - started) };
    if (outcome.applied > 0) log.info({ ...fields, from: outcome.from, applied: outcome.applied }, 'store migrated');
    else log.debug(fields, 'store opened');
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const cause = err instanceof StoreError && err.cause !== undefined ? err.cause : err;
    if (isConnectionError(cause) || (err instanceof StoreError && err.code === 'KORA_ERR_STORE_UNREACHABLE')) {
      throw new StoreError(
        `Cannot connect to ${server}: ${describeConnectionError(cause)}. Check that the server runs and accepts connections there, and the user and password of store.url (or KORA_STORE_URL).`,
        { location: target.location, host: target.host, port: target.port, database: target.database },
        { cause, code: 'KORA_ERR_STORE_UNREACHABLE' },
      );
    }
    if (err instanceof KoraError) throw err;
    throw new StoreError(`Cannot open the PostgreSQL store at ${target.location}: ${describeError(err)}`, { location: target.location }, { cause: err });
  }
  return new SqlStore({
    kind: 'postgres',
    location: target.location,
    db,
    logger: log,
    clock: deps.clock,
    health,
    migrationDialect: postgresMigrationDialect,
    claimDialect: { skipLocked: true },
    // Shared by several gateways: only owners whose lease expired are gone.
    exclusive: false,
    leaseMs: deps.leaseMs,
    auditTailGraceMs: deps.auditTailGraceMs,
    checkFile: () => undefined,
    release: () => db.destroy(),
  });
}

// SQLSTATE classes: 08 connection exception, 57P0x the server shutting down or the backend
// terminated, 53 insufficient resources, 40001/40P01 a serialization failure or deadlock
// (worth the retry a lock gets), 55P03 a lock not available, 28 bad credentials.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** What a pg error means for the store: the server out of reach, full, or a conflict worth a retry. */
export function classifyPostgresError(err: unknown): StoreFaultKind | undefined {
  if (isConnectionError(err)) return 'unreachable';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === '40001' || code === '40P01' || code === '55P03') return 'busy';
  if (code === '53100') return 'full';
  if (code.startsWith('53') || code.startsWith('58') || code === 'XX001' || code === 'XX002') return 'io';
  return undefined;
}

function isConnectionError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P') || code.startsWith('28') || code === '3D000')) return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i.test(message);
}

// The driver's own text, which never carries the password; the SQLSTATE or errno when it has one.
function describeConnectionError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err instanceof Error ? err.message : describeError(err)) || (typeof code === 'string' ? code : 'connection failed');
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
