// The snapshots: computed by `snapshot.compute`, stored with their time in `snapshot_snapshots`
// (the newest `keep` kept), and the newest served by the `snapshot` service. A reader treats one
// older than the threshold as stale: it is served, marked so, never passed off as now.
import { randomBytes } from 'node:crypto';
import type { Logger, PluginContext, Snapshot, SnapshotView } from '@kora/runtime';
import type { SnapshotSettings } from './config.js';
import { SNAPSHOTS_TABLE } from './migrations.js';
import { rollup, type RollupDeps } from './rollup.js';

export interface SnapshotDeps extends RollupDeps {
  readonly db: PluginContext['db'];
  readonly clock: { now(): number };
  readonly settings: SnapshotSettings;
  readonly log: Logger;
}

type Stored = { at: number; data: Record<string, unknown> };

/** The newest row of `snapshot_snapshots`, null when there is none (or it is not JSON, said in the log). */
async function readNewest(db: PluginContext['db'], log: Logger): Promise<Stored | null> {
  const row = await db.selectFrom(SNAPSHOTS_TABLE).selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) return null;
  try {
    return { at: Number(row.at), data: JSON.parse(String(row.data)) as Record<string, unknown> };
  } catch {
    log.warn({ id: row.id }, 'snapshot: the newest stored snapshot is not JSON; none is served until the next compute');
    return null;
  }
}

/** How long the reader keeps what it read before reading the table again. */
export const READ_EVERY_MS = 30_000;

/**
 * The newest stored snapshot, for the surfaces of a gateway whose `snapshot` daemon is not
 * running: a fleet's other gateways (the daemon is leader-scoped, decision 0160), or one whose
 * daemon failed. Read from the table at most every 30 s; stale by the same threshold.
 */
export class StoredSnapshotReader {
  readonly #d: Pick<SnapshotDeps, 'db' | 'clock' | 'settings' | 'log'>;
  #stored: Stored | null = null;
  #readAt: number | null = null;

  constructor(deps: Pick<SnapshotDeps, 'db' | 'clock' | 'settings' | 'log'>) {
    this.#d = deps;
  }

  async latest(): Promise<SnapshotView | null> {
    const now = this.#d.clock.now();
    if (this.#readAt === null || now - this.#readAt >= READ_EVERY_MS) {
      try {
        this.#stored = await readNewest(this.#d.db, this.#d.log);
        this.#readAt = now;
      } catch (err) {
        // The store is away: serve what was read last (marked stale by its age), try again next time.
        this.#d.log.warn({ err }, 'snapshot: reading the newest stored snapshot failed');
      }
    }
    if (!this.#stored) return null;
    return { at: this.#stored.at, stale: now - this.#stored.at > this.#d.settings.staleAfterMs, data: this.#stored.data };
  }
}

export class SnapshotKeeper implements Snapshot {
  readonly #d: SnapshotDeps;
  #latest: Stored | null = null;

  constructor(deps: SnapshotDeps) {
    this.#d = deps;
  }

  latest(): SnapshotView | null {
    if (!this.#latest) return null;
    const { at, data } = this.#latest;
    return { at, stale: this.#d.clock.now() - at > this.#d.settings.staleAfterMs, data };
  }

  /** The newest stored snapshot, from before a restart: served (stale when old) until the first compute. */
  async load(): Promise<void> {
    this.#latest = await readNewest(this.#d.db, this.#d.log);
  }

  /** `snapshot.compute`: roll the agent up, store it, prune past `keep`. */
  async compute(signal?: AbortSignal): Promise<SnapshotView> {
    const at = this.#d.clock.now();
    const data = await rollup(this.#d, signal);
    const { db } = this.#d;
    await db.insertInto(SNAPSHOTS_TABLE).values({ id: `${at.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`, at, data: JSON.stringify(data) }).execute();
    this.#latest = { at, data };
    const cutoff = await db.selectFrom(SNAPSHOTS_TABLE).select('at').orderBy('at', 'desc').offset(this.#d.settings.keep - 1).limit(1).executeTakeFirst();
    if (cutoff) await db.deleteFrom(SNAPSHOTS_TABLE).where('at', '<', Number(cutoff.at)).execute();
    return this.latest()!;
  }

  /** Stored snapshots, newest first (their time only). */
  async history(limit: number): Promise<number[]> {
    const rows = await this.#d.db.selectFrom(SNAPSHOTS_TABLE).select('at').orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => Number(r.at));
  }
}
