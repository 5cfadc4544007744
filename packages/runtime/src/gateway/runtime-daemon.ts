// The runtime's own daemon, `store_maintenance` of plugin `runtime`: store retention as a task
// (at start, then hourly), so its runs and failures show in status and the ledger like any other.
import type { KoraConfig } from '../config/schema.js';
import type { DaemonSpec } from '../daemons/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { parseDuration } from '../time/duration.js';

export const RUNTIME_PLUGIN_ID = 'runtime';
export const RETENTION_DAEMON = 'store_maintenance';
export const RETENTION_TASK = 'store.retention';
/** Handled inbox items are kept this long (and at most this many per topic) to deduplicate late retries. */
export const INBOX_DONE_MAX_AGE_MS = 7 * 86_400_000;
export const INBOX_DONE_PER_TOPIC = 10_000;
/** A gateway's fleet row is kept this long after its last heartbeat (`kora fleet` shows it stopped or gone meanwhile). */
export const FLEET_ROW_MAX_AGE_MS = 7 * 86_400_000;

export function retentionDaemon(options: { store: () => Store; retention: KoraConfig['store']; clock: Clock; logger: Logger }): DaemonSpec {
  const { ledger, audit } = options.retention;
  const prune = async () => {
    const store = options.store();
    const now = options.clock.now();
    const rows = await store.ledger.prune({ maxRowsPerTask: ledger.maxRowsPerTask, maxAgeMs: parseDuration(ledger.maxAge), now });
    const entries = await store.audit.prune({ before: now - parseDuration(audit.maxAge) });
    // Handled inbox items are kept (without payload) only to deduplicate late retries of their senders.
    const items = await store.inbox.prune({ now, maxAgeMs: INBOX_DONE_MAX_AGE_MS, maxDonePerTopic: INBOX_DONE_PER_TOPIC });
    const gateways = await store.fleet.prune({ before: now - FLEET_ROW_MAX_AGE_MS });
    if (gateways) options.logger.info({ gateways }, `${RETENTION_TASK}: ${gateways} fleet row(s) of gateways silent for over 7 days deleted`);
    if (rows || entries || items) {
      options.logger.info({ rows, entries, items }, `${RETENTION_TASK}: ${rows} ledger row(s), ${entries} audit entr${entries === 1 ? 'y' : 'ies'} and ${items} handled inbox item(s) past retention deleted`);
    }
  };
  return {
    name: RETENTION_DAEMON,
    start: () => {},
    tasks: [{ name: RETENTION_TASK, every: '1h', runOnStart: true, missed: 'skip', run: prune }],
  };
}
