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
  /** Stamps key-value `updated_at` and migration rows. */
  clock?: Clock;
}

/** Open (creating and migrating if needed) the store. Rejects with a StoreError naming what to fix. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const target = resolveStoreUrl(options.url, options.home);
  // Loaded on first open only: Kysely and the SQLite driver cost boot time that commands
  // which never open a store should not pay.
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(target, { logger: options.logger ?? createSilentLogger(), clock: options.clock ?? createSystemClock() });
}
