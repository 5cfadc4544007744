// A Store over any Kysely database: the ledger, the audit log and the key-value namespaces
// share one connection (pool) and one gate, so close() covers them all.
import type { Kysely } from 'kysely';
import { StoreError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { SqlAuditLog } from './audit.js';
import { StoreGate } from './gate.js';
import { SqlKeyValueStore } from './kv.js';
import { SqlRunLedger } from './ledger.js';
import type { StoreSchema } from './schema.js';
import type { AuditLog, KeyValueStore, RunLedger, Store } from './types.js';

export interface SqlStoreOptions {
  kind: Store['kind'];
  location: string;
  db: Kysely<StoreSchema>;
  logger: Logger;
  clock: Clock;
  /** Frees the database once the calls in flight have finished. */
  release(): Promise<void>;
}

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  readonly location: string;
  readonly ledger: RunLedger;
  readonly audit: AuditLog;
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #clock: Clock;
  readonly #release: () => Promise<void>;
  readonly #namespaces = new Map<string, KeyValueStore>();

  constructor(options: SqlStoreOptions) {
    this.kind = options.kind;
    this.location = options.location;
    this.#db = options.db;
    this.#clock = options.clock;
    this.#release = options.release;
    this.#gate = new StoreGate(options.location);
    this.ledger = new SqlRunLedger(options.db, this.#gate, options.logger);
    this.audit = new SqlAuditLog(options.db, this.#gate);
  }

  kv(namespace: string): KeyValueStore {
    if (typeof namespace !== 'string' || namespace === '') {
      throw new StoreError(`A key-value namespace must be a non-empty string (a plugin id), got ${JSON.stringify(namespace)}`, { namespace });
    }
    let kv = this.#namespaces.get(namespace);
    if (!kv) {
      kv = new SqlKeyValueStore(this.#db, this.#gate, this.#clock, namespace);
      this.#namespaces.set(namespace, kv);
    }
    return kv;
  }

  close(): Promise<void> {
    return this.#gate.close(this.#release);
  }
}
