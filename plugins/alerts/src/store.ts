// The alerts' tables (DESIGN §7), portable schema builder only: `alerts_alerts`, one row per
// dedup key (open or resolved, when it was last said, what it said), and `alerts_events`, what
// was said when (opened, changed, reminder, resolved), for the UI and the digest, pruned to a bound.
import { randomBytes } from 'node:crypto';
import type { PluginContext, PluginMigrations } from '@kora/runtime';

export const ALERTS_TABLE = 'alerts_alerts';
export const EVENTS_TABLE = 'alerts_events';
/** Events kept, at most. */
export const MAX_EVENTS = 2000;

export const migrations: PluginMigrations = {
  '001_alerts': {
    async up(db) {
      await db.schema
        .createTable(ALERTS_TABLE)
        .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('title', 'varchar(300)', (c) => c.notNull())
        .addColumn('detail', 'varchar(1000)')
        .addColumn('fingerprint', 'varchar(200)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('last_notified_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .addColumn('notified', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable(EVENTS_TABLE)
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('key', 'varchar(200)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('title', 'varchar(300)', (c) => c.notNull())
        .addColumn('detail', 'varchar(1000)')
        .execute();
      await db.schema.createIndex('alerts_events_at').on(EVENTS_TABLE).column('at').execute();
    },
  },
};

export type Severity = 'info' | 'warning' | 'critical';
export type EventKind = 'opened' | 'changed' | 'reminder' | 'resolved';

export interface AlertRow {
  readonly key: string;
  readonly severity: Severity;
  readonly title: string;
  readonly detail: string | null;
  readonly fingerprint: string;
  readonly state: 'open' | 'resolved';
  readonly openedAt: number;
  readonly lastNotifiedAt: number;
  readonly resolvedAt: number | null;
  readonly notified: number;
}

export interface AlertEvent {
  readonly at: number;
  readonly key: string;
  readonly kind: EventKind;
  readonly severity: Severity;
  readonly title: string;
  readonly detail: string | null;
}

type Db = PluginContext['db'];

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function readAlerts(db: Db): Promise<Map<string, AlertRow>> {
  const rows = await db.selectFrom(ALERTS_TABLE).selectAll().execute();
  return new Map(
    rows.map((r) => [
      String(r.key),
      {
        key: String(r.key),
        severity: String(r.severity) as Severity,
        title: String(r.title),
        detail: r.detail === null || r.detail === undefined ? null : String(r.detail),
        fingerprint: String(r.fingerprint),
        state: String(r.state) as 'open' | 'resolved',
        openedAt: Number(r.opened_at),
        lastNotifiedAt: Number(r.last_notified_at),
        resolvedAt: num(r.resolved_at),
        notified: Number(r.notified),
      },
    ]),
  );
}

export async function writeAlert(db: Db, row: AlertRow, exists: boolean): Promise<void> {
  const values = {
    severity: row.severity,
    title: row.title.slice(0, 300),
    detail: row.detail?.slice(0, 1000) ?? null,
    fingerprint: row.fingerprint.slice(0, 200),
    state: row.state,
    opened_at: row.openedAt,
    last_notified_at: row.lastNotifiedAt,
    resolved_at: row.resolvedAt,
    notified: row.notified,
  };
  if (exists) await db.updateTable(ALERTS_TABLE).set(values).where('key', '=', row.key).execute();
  else await db.insertInto(ALERTS_TABLE).values({ key: row.key, ...values }).execute();
}

let eventSeq = 0;

/**
 * An event's id, sortable as the events were said: its time, then its order within this process
 * (two events of one tick share their time), then random. The id breaks ties of `at` when the
 * events are read, the same on SQLite and PostgreSQL (neither keeps ties in insertion order).
 */
function eventId(at: number): string {
  eventSeq = (eventSeq + 1) % 36 ** 6;
  return `${Math.max(0, at).toString(36).padStart(9, '0')}-${eventSeq.toString(36).padStart(6, '0')}-${randomBytes(6).toString('hex')}`;
}

export async function addEvent(db: Db, event: AlertEvent): Promise<void> {
  await db
    .insertInto(EVENTS_TABLE)
    .values({ id: eventId(event.at), at: event.at, key: event.key, kind: event.kind, severity: event.severity, title: event.title.slice(0, 300), detail: event.detail?.slice(0, 1000) ?? null })
    .execute();
  const cut = await db.selectFrom(EVENTS_TABLE).select('at').orderBy('at', 'desc').offset(MAX_EVENTS).limit(1).executeTakeFirst();
  if (cut) await db.deleteFrom(EVENTS_TABLE).where('at', '<=', Number(cut.at)).execute();
}

/** Newest first, events of the same time last said first; `since` inclusive (epoch ms). */
export async function readEvents(db: Db, options: { since?: number; limit: number }): Promise<AlertEvent[]> {
  let query = db.selectFrom(EVENTS_TABLE).selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(options.limit);
  if (options.since !== undefined) query = query.where('at', '>=', options.since);
  const rows = await query.execute();
  return rows.map((r) => ({
    at: Number(r.at),
    key: String(r.key),
    kind: String(r.kind) as EventKind,
    severity: String(r.severity) as Severity,
    title: String(r.title),
    detail: r.detail === null || r.detail === undefined ? null : String(r.detail),
  }));
}
