// Opening the store named by `store.url`: the entry point of `store/` for the gateway and the CLI.
import { createSilentLogger, type Logger } from '../log/logger.js';
import { createSystemClock, type Clock } from '../time/clock.js';
import type { Store } from './types.js';
import { resolveStoreUrl } from './url.js';

export type * from './types.js';

export interface OpenStoreOptions {
  /** `store.url`. Unset: SQLite at `${home}/kora.db`. See docs/store.md for the accepted forms. */
  url?: string;
  /** `$KORA_HOME`; relative `sqlite:` paths resolve against it. */
  home: string;
  /** Used as given: the caller names the part (`logger.child({ part: 'store' })`). */
  logger?: Logger;
  /** Stamps rows (key-value `updated_at`, migrations, leases), times busy retries and audit-tail grace. */
  clock?: Clock;
  /** SQLite: how long one call may wait inside the driver for a lock (ms; default 50). */
  busyTimeoutMs?: number;
  /** How long a statement keeps retrying, asynchronously, a lock held elsewhere before KORA_ERR_STORE_BUSY (ms; default 5000). */
  busyRetryMs?: number;
  /** How long a run's claim stays valid unless its gateway renews it (ms; default 60 000). */
  leaseMs?: number;
  /** How long an audit tail keeps looking for an id found missing below newer ones (ms; default 60 000). */
  auditTailGraceMs?: number;
  /** PostgreSQL: connections in this gateway's pool (default 10; `store.pool`). */
  poolSize?: number;
}

/** Open (creating and migrating if needed) the store. Rejects with a StoreError naming what to fix. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const target = resolveStoreUrl(options.url, options.home);
  const { busyTimeoutMs, busyRetryMs, leaseMs, auditTailGraceMs } = options;
  // Loaded on first open only: Kysely and the database driver cost boot time that commands
  // which never open a store should not pay.
  if (target.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(target, {
      logger: options.logger ?? createSilentLogger(),
      clock: options.clock ?? createSystemClock(),
      busyRetryMs,
      leaseMs,
      auditTailGraceMs,
      poolSize: options.poolSize,
    });
  }
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(target, {
    logger: options.logger ?? createSilentLogger(),
    clock: options.clock ?? createSystemClock(),
    busyTimeoutMs,
    busyRetryMs,
    leaseMs,
    auditTailGraceMs,
  });
}
