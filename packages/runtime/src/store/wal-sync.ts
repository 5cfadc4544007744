// What makes a commit survive a power cut on the SQLite store. Under `synchronous=NORMAL` a
// WAL commit is written but not synced; SQLite syncs the WAL only when it checkpoints, every
// `wal_autocheckpoint` pages, so what a power cut could lose depended on the load: a fifth of
// a second of a webhook flood, or hours of a quiet gateway's ledger. Here the WAL file is synced
// at most `everyMs` after any statement that changed something, on libuv's thread pool (the
// event loop never waits on the disk), so a power cut loses at most that much, whatever the
// load, as PostgreSQL's asynchronous commit does (decision 0172).
import { open } from 'node:fs/promises';
import { describeError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { StoreHealthMonitor } from './health.js';

/** The longest a commit stays unsynced: what a power cut can lose. */
export const WAL_SYNC_EVERY_MS = 200;

export interface WalSyncOptions {
  /** The `-wal` file next to the database. */
  file: string;
  clock: Clock;
  health: StoreHealthMonitor;
  everyMs?: number;
  /** fsync of the file (tests count the calls). */
  syncFile?: (file: string) => Promise<void>;
}

export class WalSync {
  readonly #o: WalSyncOptions;
  readonly #everyMs: number;
  readonly #syncFile: (file: string) => Promise<void>;
  #timer: TimerHandle | undefined;
  #syncing: Promise<void> | undefined;
  /** A change landed while a sync ran: it may not be in it, so one more follows. */
  #again = false;
  #closed = false;

  constructor(options: WalSyncOptions) {
    this.#o = options;
    this.#everyMs = options.everyMs ?? WAL_SYNC_EVERY_MS;
    this.#syncFile = options.syncFile ?? syncFile;
  }

  /**
   * A statement that may have written to the WAL succeeded (a COMMIT included). A read-only
   * transaction's COMMIT counts too: it costs an fsync of a file with nothing new to flush.
   */
  changed(): void {
    if (this.#closed) return;
    if (this.#syncing) this.#again = true;
    else this.#timer ??= this.#o.clock.setTimeout(() => void this.#tick(), this.#everyMs);
  }

  /** Stop syncing; waits for a sync in flight. The connection's close then checkpoints and syncs. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#syncing;
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#syncing = this.#sync();
    await this.#syncing;
    this.#syncing = undefined;
    if (this.#again) {
      this.#again = false;
      this.changed();
    }
  }

  async #sync(): Promise<void> {
    try {
      await this.#syncFile(this.#o.file);
    } catch (err) {
      // No WAL file (the journal is not WAL on this file system): nothing of it to sync.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#o.health.syncChecked({
          code: 'KORA_ERR_STORE_IO',
          reason: `the write-ahead log ${this.#o.file} cannot be synced to disk (${describeError(err)}): commits since the last sync would not survive a power cut`,
        });
        return;
      }
    }
    this.#o.health.syncChecked(undefined);
  }
}

async function syncFile(file: string): Promise<void> {
  // Opened per sync: SQLite may delete and recreate the WAL (the last connection's close), and
  // a descriptor kept open would sync the deleted file.
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
