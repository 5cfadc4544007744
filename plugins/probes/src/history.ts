// The probes' history (DESIGN §7): one row per probe per cycle in `probes_results`, with the
// portable schema builder only (SQLite and PostgreSQL alike; a random id, no auto-increment),
// pruned after each cycle to the newest `history` rows per probe, and the rows of probes no
// longer configured dropped, so the table stays bounded.
import { randomUUID } from 'node:crypto';
import type { PluginContext, PluginMigrations, ProbeResult, ProbeState } from '@kora/runtime';

export const RESULTS_TABLE = 'probes_results';

export const migrations: PluginMigrations = {
  '001_results': {
    async up(db) {
      await db.schema
        .createTable(RESULTS_TABLE)
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('probe', 'varchar(64)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('latency_ms', 'integer')
        .addColumn('detail', 'varchar(512)')
        .execute();
      await db.schema.createIndex('probes_results_probe_at').on(RESULTS_TABLE).columns(['probe', 'at']).execute();
    },
  },
};

type Db = PluginContext['db'];

interface Row {
  probe: unknown;
  at: unknown;
  state: unknown;
  latency_ms: unknown;
  detail: unknown;
}

const toResult = (r: Row): ProbeResult => ({
  name: String(r.probe),
  at: Number(r.at),
  state: String(r.state) as ProbeState,
  latencyMs: r.latency_ms === null || r.latency_ms === undefined ? null : Number(r.latency_ms),
  detail: r.detail === null || r.detail === undefined ? null : String(r.detail),
});

export async function recordCycle(db: Db, results: readonly ProbeResult[], keep: number, names: readonly string[]): Promise<void> {
  if (results.length > 0) {
    await db
      .insertInto(RESULTS_TABLE)
      .values(results.map((r) => ({ id: randomUUID(), probe: r.name, at: r.at, state: r.state, latency_ms: r.latencyMs, detail: r.detail?.slice(0, 512) ?? null })))
      .execute();
  }
  for (const name of names) {
    const cut = await db.selectFrom(RESULTS_TABLE).select('at').where('probe', '=', name).orderBy('at', 'desc').offset(keep).limit(1).executeTakeFirst();
    if (cut) await db.deleteFrom(RESULTS_TABLE).where('probe', '=', name).where('at', '<=', Number(cut.at)).execute();
  }
  if (names.length > 0) await db.deleteFrom(RESULTS_TABLE).where('probe', 'not in', [...names]).execute();
}

/** The newest result of each probe in `names` (none for a probe never run). */
export async function latestResults(db: Db, names: readonly string[]): Promise<ProbeResult[]> {
  const found: ProbeResult[] = [];
  for (const name of names) {
    const row = await db.selectFrom(RESULTS_TABLE).select(['probe', 'at', 'state', 'latency_ms', 'detail']).where('probe', '=', name).orderBy('at', 'desc').limit(1).executeTakeFirst();
    if (row) found.push(toResult(row as Row));
  }
  return found;
}

/** The `limit` newest results of one probe, newest first. */
export async function probeHistory(db: Db, name: string, limit: number): Promise<ProbeResult[]> {
  const rows = await db.selectFrom(RESULTS_TABLE).select(['probe', 'at', 'state', 'latency_ms', 'detail']).where('probe', '=', name).orderBy('at', 'desc').limit(limit).execute();
  return rows.map((r) => toResult(r as Row));
}
