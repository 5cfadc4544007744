// A Store over any Kysely database: the ledger, the audit log, the inbox, the key-value namespaces
// and the plugins' tables share one connection (pool), one gate and one health, so close() covers
// them all and a fault seen by any of them is the store's.
import type { Kysely } from 'kysely';
import { StoreError, describeError, type StoreErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { SqlAuditLog } from './audit.js';
import type { ClaimDialect } from './claims.js';
import { StoreGate } from './gate.js';
import type { StoreHealthMonitor } from './health.js';
import { SqlFleet } from './fleet.js';
import { SqlInbox } from './inbox.js';
import { SqlKeyValueStore } from './kv.js';
import { SqlRunLedger } from './ledger.js';
import type { MigrationDialect } from './migrations.js';
import { migratePlugin } from './plugin-migrations.js';
import type { StoreSchema } from './schema.js';
import type { AuditLog, Fleet, Inbox, KeyValueStore, PluginMigrations, PluginTables, RunLedger, Store, StoreHealth } from './types.js';

/** How long a run's claim stays valid unless renewed (every third of it) by its gateway. */
export const DEFAULT_LEASE_MS = 60_000;
/** How long an audit tail waits for an id it found missing below newer ones. */
export const DEFAULT_AUDIT_TAIL_GRACE_MS = 60_000;

export interface SqlStoreOptions {
  kind: Store['kind'];
  location: string;
  db: Kysely<StoreSchema>;
  logger: Logger;
  clock: Clock;
  health: StoreHealthMonitor;
  migrationDialect: MigrationDialect;
  claimDialect: ClaimDialect;
  /** One gateway has the database to itself (SQLite): see `RunLedger.interruptStale`. */
  exclusive: boolean;
  leaseMs?: number;
  auditTailGraceMs?: number;
  /** Is the database still the one opened? Undefined: yes (or nothing to check, in memory). Cheap and synchronous. */
  checkFile(): { code: StoreErrorCode; reason: string } | undefined;
  /** Frees the database once the calls in flight have finished. */
  release(): Promise<void>;
}

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  readonly location: string;
  readonly ledger: RunLedger;
  readonly audit: AuditLog;
  readonly inbox: Inbox;
  readonly fleet: Fleet;
  readonly exclusive: boolean;
  readonly #options: SqlStoreOptions;
  readonly #runs: SqlRunLedger;
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #namespaces = new Map<string, KeyValueStore>();
  readonly #pluginDbs = new Map<string, Kysely<unknown>>();
  #checking: Promise<StoreHealth> | undefined;

  constructor(options: SqlStoreOptions) {
    this.kind = options.kind;
    this.location = options.location;
    this.#options = options;
    this.#db = options.db;
    this.#gate = new StoreGate(options.location);
    this.#runs = new SqlRunLedger(options.db, this.#gate, options.logger, {
      clock: options.clock,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      exclusive: options.exclusive,
      claimDialect: options.claimDialect,
    });
    this.ledger = this.#runs;
    this.audit = new SqlAuditLog(options.db, this.#gate, { clock: options.clock, tailGraceMs: options.auditTailGraceMs ?? DEFAULT_AUDIT_TAIL_GRACE_MS });
    this.fleet = new SqlFleet(options.db, this.#gate);
    this.exclusive = options.exclusive;
    this.inbox = new SqlInbox(options.db, this.#gate, { clock: options.clock, exclusive: options.exclusive, claimDialect: options.claimDialect });
  }

  kv(namespace: string): KeyValueStore {
    if (typeof namespace !== 'string' || namespace === '') {
      throw new StoreError(`A key-value namespace must be a non-empty string (a plugin id), got ${JSON.stringify(namespace)}`, { namespace });
    }
    let kv = this.#namespaces.get(namespace);
    if (!kv) {
      kv = new SqlKeyValueStore(this.#db, this.#gate, this.#options.clock, namespace);
      this.#namespaces.set(namespace, kv);
    }
    return kv;
  }

  migratePlugin(pluginId: string, migrations: PluginMigrations): Promise<{ applied: string[] }> {
    checkName('A plugin id', pluginId);
    const { migrationDialect, clock, logger } = this.#options;
    return this.#gate.run('store.migratePlugin', () => migratePlugin({ db: this.#db, dialect: migrationDialect, clock, log: logger }, pluginId, migrations));
  }

  pluginDb<DB = PluginTables>(pluginId: string): Kysely<DB> {
    checkName('A plugin id', pluginId);
    let db = this.#pluginDbs.get(pluginId);
    if (!db) {
      // Same connection, same watch (busy retry, health); its own instance so that a plugin
      // calling destroy() cannot close the gateway's store under everyone else.
      db = this.#db.withoutPlugins() as unknown as Kysely<unknown>;
      const location = this.location;
      Object.defineProperty(db, 'destroy', {
        value: () =>
          Promise.reject(new StoreError(`ctx.db of plugin ${pluginId} is the gateway's connection to ${location}: it closes with the store, not with destroy()`, { pluginId })),
      });
      this.#pluginDbs.set(pluginId, db);
    }
    return db as Kysely<DB>;
  }

  health(): StoreHealth {
    return this.#options.health.current;
  }

  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    return this.#options.health.onChange(listener);
  }

  check(): Promise<StoreHealth> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<StoreHealth> {
    const { health, clock } = this.#options;
    let fileProblem: ReturnType<SqlStoreOptions['checkFile']>;
    try {
      fileProblem = this.#options.checkFile();
    } catch (err) {
      fileProblem = { code: 'KORA_ERR_STORE_FILE_GONE', reason: `the database at ${this.location} cannot be checked: ${describeError(err)}` };
    }
    health.fileChecked(fileProblem);
    try {
      const at = clock.now();
      // One fixed row, rewritten: the smallest write that goes through the whole path to the file.
      await this.#gate.run('store.check', () =>
        this.#db
          .insertInto('kora_store_probe')
          .values({ id: 1, checked_at: at })
          .onConflict((oc) => oc.column('id').doUpdateSet({ checked_at: at }))
          .execute(),
      );
    } catch (err) {
      const coded = err instanceof StoreError && err.code !== 'KORA_ERR_STORE';
      // Coded faults have already been recorded; anything else failing the probe is one too, unless the store was closed.
      if (!coded && !this.#gate.closed) health.writeFailed('KORA_ERR_STORE_IO', `the database at ${this.location} refused the health probe: ${describeError(err)}`);
    }
    return health.current;
  }

  close(): Promise<void> {
    this.#runs.halt();
    return this.#gate.close(async () => {
      await this.#options.release();
    });
  }
}

function checkName(what: string, value: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new StoreError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`, { value });
  }
}
