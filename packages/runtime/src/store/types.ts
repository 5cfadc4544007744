// The store's one async interface. Nothing here knows SQL or which database is behind it:
// SQLite (embedded default) and PostgreSQL (several machines) both implement it. Plugin tables
// are reached through Kysely, whose builder compiles the same query for either.
import type { Kysely } from 'kysely';
import type { StoreErrorCode } from '../errors.js';

/** What became of one scheduled slot of one task. */
export type RunStatus =
  | 'running'
  | 'ok'
  | 'failed'
  | 'timeout'
  | 'interrupted'
  | 'skipped_overlap'
  | 'missed';

export interface RunRecord {
  /** Task name, e.g. `snapshot.compute`. Unique across the gateway. */
  task: string;
  daemon: string;
  /** Start of the slot this row is about (epoch ms); `(task, slot)` identifies the row. */
  slot: number;
  status: RunStatus;
  /** Epoch ms; null for rows that never ran (skips, misses). */
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  error: string | null;
  /** Which gateway ran or recorded it (its session id). */
  owner: string | null;
  /**
   * While `running`: the claim's lease (epoch ms). Its owner renews it while the run goes on; a
   * lease in the past means the owner is gone. Null once the run is finished, and on rows that never ran.
   */
  leaseUntil?: number | null;
  /** For `missed` rows: how many slots the row stands for. */
  count?: number;
  /** `manual` for a run an operator asked for; absent (schedule) otherwise. */
  trigger?: 'schedule' | 'manual';
}

export interface RunLedger {
  /**
   * Claim `(task, slot)` for this owner by inserting a `running` row. Returns false when the
   * slot is already claimed (by this gateway or another sharing the store): the caller must not run it.
   */
  claim(run: { task: string; daemon: string; slot: number; startedAt: number; owner: string; trigger?: 'schedule' | 'manual' }): Promise<boolean>;
  /** Finish a claimed run. */
  complete(
    task: string,
    slot: number,
    result: { status: Exclude<RunStatus, 'running' | 'skipped_overlap' | 'missed'>; finishedAt: number; durationMs: number; error: string | null },
  ): Promise<void>;
  /** Record a row that did not run (`skipped_overlap`, `missed`). Ignored if the slot already has a row. */
  note(run: RunRecord): Promise<void>;
  /** The latest slot with a row of the schedule's (manual runs aside) for `task`, or null. Used to judge misses after a restart. */
  lastSlot(task: string): Promise<number | null>;
  /** Most recent rows first. */
  recent(query?: { task?: string; limit?: number }): Promise<RunRecord[]>;
  /**
   * Marks `interrupted` the rows still `running` whose owner is gone, and returns how many: rows
   * of an owner listed in `previous` (this gateway's earlier sessions), and rows whose lease
   * expired before `now` (default: the store's clock). Rows of `not` (this session) are never
   * touched. A store that one gateway has to itself (SQLite: one gateway per home) treats
   * every other owner as a previous session, so `{ not }` alone interrupts them all.
   */
  interruptStale(owner: { not: string; previous?: readonly string[]; now?: number }): Promise<number>;
  /** Keep at most `maxRowsPerTask` rows per task and none older than `maxAgeMs`. Returns rows deleted. */
  prune(policy: { maxRowsPerTask: number; maxAgeMs?: number; now: number }): Promise<number>;
  /** Rows still `running` whose lease ended before `now`: runs of gateways that are gone (oldest first, at most `limit`, default 100). */
  expired(now: number, limit?: number): Promise<RunRecord[]>;
  /**
   * Take over the expired claim of `(task, slot)` for `owner`, to run the slot again (its task's
   * `missed: run-once`). False when it is not expired any more (renewed, taken, finished): do not run it.
   */
  takeOver(run: { task: string; slot: number; owner: string; startedAt: number }): Promise<boolean>;
  /** Mark the expired claim of `(task, slot)` interrupted, with `error`. False when it is not expired any more. */
  interrupt(task: string, slot: number, now: number, error: string): Promise<boolean>;
}

export interface AuditEntry {
  id?: number;
  at: number;
  /** Plugin id that wrote it, or `runtime`. */
  plugin: string;
  /** The seam of the event, e.g. `tool.call`, `probe.wake_requested`. */
  seam: string;
  /** JSON-serialisable details; secrets are redacted before they are written. */
  details: Record<string, unknown>;
}

/**
 * Where a tail of the audit log stands: every id up to `after` was either delivered or is
 * listed in `gaps` (ids that did not exist yet when the tail passed them). JSON-serialisable,
 * so a consumer can keep it in its key-value namespace; treat it as opaque.
 */
export interface AuditCursor {
  readonly after: number;
  /** Inclusive id ranges not seen yet, each with the time (epoch ms) it was first found missing. */
  readonly gaps: readonly AuditGap[];
}

export interface AuditGap {
  readonly from: number;
  readonly to: number;
  readonly since: number;
}

export interface AuditTailOptions {
  /** At most this many entries above the cursor's `after` (default 1000); late entries from gaps come in addition. */
  limit?: number;
  seam?: string;
  plugin?: string;
}

export interface AuditLog {
  append(entry: Omit<AuditEntry, 'id'>): Promise<number>;
  /**
   * The entries not delivered yet, and the cursor to pass next time. Ids may commit out of
   * order (PostgreSQL sequences); an id missing below the newest one is kept in the cursor and
   * re-read until the grace period has passed, so no entry committed within it is skipped.
   * Entries come in id order within one call; a late one arrives after higher ids delivered earlier.
   */
  tail(cursor?: AuditCursor, options?: AuditTailOptions): Promise<{ entries: AuditEntry[]; cursor: AuditCursor }>;
  /** Oldest first, after `afterId` when given (for tailing). */
  list(query?: { seam?: string; plugin?: string; afterId?: number; limit?: number }): Promise<AuditEntry[]>;
  /** Newest first: entries before `beforeId`, filtered by seam, plugin and `since` ≤ at < `until` (default 50, at most 500). */
  page(query?: AuditPageQuery): Promise<AuditEntry[]>;
  /** Retention: delete entries whose `at` is before `before` (epoch ms). Returns how many went. */
  prune(policy: { before: number }): Promise<number>;
}

/** A page of the audit log, read back from the newest. */
export interface AuditPageQuery {
  seam?: string;
  plugin?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Entries with a smaller id: the last id of the previous page. */
  beforeId?: number;
  /** Default 50, at most 500. */
  limit?: number;
}

/** Where an inbox item stands: waiting (due or backing off), held by a consumer, handled, or given up. */
export type InboxStatus = 'pending' | 'claimed' | 'done' | 'dead';

/** What a producer hands the inbox. `(topic, key)` identifies the item: a second enqueue of the same pair is a duplicate. */
export interface InboxMessage {
  /** Lower-case words joined by dots, e.g. `slack.events`, `email.inbound`. */
  topic: string;
  /** The sender's own id for the item (a Slack `event_id`, a Message-ID): non-empty, at most 1024 characters. */
  key: string;
  /** Any JSON-serialisable value; it comes back as `JSON.parse(JSON.stringify(payload))`. */
  payload: unknown;
}

/** One item as a consumer claimed it. */
export interface ClaimedInboxItem<Payload = unknown> {
  readonly id: number;
  readonly topic: string;
  readonly key: string;
  readonly payload: Payload;
  /** Deliveries so far, this one included: 1 on the first (a delivery whose gateway died counts). Reset by a replay. */
  readonly attempt: number;
  /** Epoch ms. */
  readonly enqueuedAt: number;
}

/** One failed delivery, as `inbox.fail` recorded it. */
export interface InboxFailure {
  /** Epoch ms (the store's clock). */
  readonly at: number;
  /** The delivery that failed (`ClaimedInboxItem.attempt`). */
  readonly attempt: number;
  /** The caller's message, redacted by the caller; cut to 4096 characters. */
  readonly error: string;
}

export interface DeadLetter<Payload = unknown> {
  readonly id: number;
  readonly topic: string;
  readonly key: string;
  readonly payload: Payload;
  /** Deliveries since the enqueue or the last replay. */
  readonly attempts: number;
  /** How many times it was replayed before. */
  readonly replays: number;
  /** Every failure since it was enqueued, replays included, oldest first. */
  readonly errors: readonly InboxFailure[];
  readonly enqueuedAt: number;
  /** Epoch ms when it was dead-lettered. */
  readonly deadAt: number;
}

/** For status: items waiting (due or backing off), held by a consumer, and dead-lettered. */
export interface InboxTopicStats {
  pending: number;
  inFlight: number;
  dead: number;
}

/**
 * The durable inbox (DESIGN §7): work from outside that must not be lost, claimed by consumers
 * with a lease (the ledger's claim mechanism). Only the owner of a claim can renew, complete or
 * fail it; a call about a claim it lost (taken over after its lease, or requeued) changes
 * nothing and returns false: the caller logs it and drops its result.
 */
export interface Inbox {
  /**
   * Keep `message` before its sender is acknowledged. A duplicate `(topic, key)` changes
   * nothing and returns the first item's id, as long as that item exists (done items stay until
   * pruned, dead ones until discarded). `now` (default: the store's clock) is when it becomes due.
   * Rejects with `KORA_ERR_INBOX_INVALID` (topic, key) or `KORA_ERR_INBOX_PAYLOAD`.
   */
  enqueue(message: InboxMessage, now?: number): Promise<{ id: number; duplicate: boolean }>;
  /**
   * Claim up to `limit` (default 1) items of `topics`, oldest first: pending ones due at `now`,
   * and claimed ones whose lease ended before `now` (their gateway is gone: taken over). Each is
   * held by `owner` until `now + leaseMs` and its attempt counted.
   */
  claim(options: { topics: readonly string[]; owner: string; leaseMs: number; now: number; limit?: number }): Promise<ClaimedInboxItem[]>;
  /** Extend the leases of `ids` to `until`. Returns the ids still held by `owner`: stop working on the others. */
  renew(ids: readonly number[], owner: string, until: number): Promise<number[]>;
  /** The item was handled: it is kept, without its payload, to deduplicate until pruned. */
  complete(id: number, owner: string): Promise<boolean>;
  /**
   * A delivery failed: `error` joins the item's errors, and the item is pending again from
   * `retryAt`, or dead-lettered (`dead: true`) with its payload and every error.
   */
  fail(id: number, owner: string, outcome: { error: string; retryAt: number } | { error: string; dead: true }): Promise<boolean>;
  /** Dead letters, the most recently dead first (default at most 100). */
  dead(query?: { topic?: string; limit?: number }): Promise<DeadLetter[]>;
  /** Put a dead letter back to pending, due at `now` (default: the store's clock), with its attempts reset and its errors kept. False when `id` is not dead. */
  replay(id: number, now?: number): Promise<boolean>;
  /** Delete a dead letter for good (its key can be enqueued again). False when `id` is not dead. */
  discard(id: number): Promise<boolean>;
  /** Per topic with any item pending, in flight or dead. */
  stats(): Promise<Record<string, InboxTopicStats>>;
  /**
   * Put back to pending, due at `now`, the items still claimed by owners that are gone, and
   * return how many: claims whose lease ended before `now`, and those of the owners in
   * `previous`, never those of `not` (this session). A store one gateway has to itself (SQLite)
   * treats every other owner as gone, so after a crash the items are handled at once, not a lease later.
   */
  requeueStale(owner: { not: string; previous?: readonly string[]; now?: number }): Promise<number>;
  /** Retention of done items: delete those finished before `now - maxAgeMs` and beyond the newest `maxDonePerTopic` of their topic. Returns how many. */
  prune(policy: { now: number; maxAgeMs?: number; maxDonePerTopic?: number }): Promise<number>;
}

/** One gateway of the fleet as its row says (DESIGN §6a). */
export interface FleetMember {
  sessionId: string;
  host: string;
  pid: number;
  version: string;
  /** Epoch ms. */
  startedAt: number;
  heartbeatAt: number;
  /** The gateway state it last reported. */
  state: string;
  /** Epoch ms of its clean stop; null while it runs, or when it died without one. */
  stoppedAt: number | null;
}

/** Who leads the fleet: the holder of the leadership lease. */
export interface FleetLeadership {
  owner: string;
  /** Epoch ms when `owner` took the lead. */
  since: number;
  /** Epoch ms until which the lease holds unless renewed. */
  until: number;
}

/**
 * The gateways sharing this store and the leadership lease (DESIGN §6a). Every gateway writes
 * its own row; the lease row is taken with one conditional upsert, so two gateways can never
 * both hold it: the first to write a free or expired lease wins, the holder alone renews it.
 */
export interface Fleet {
  /** Write (or rewrite) this gateway's row. */
  register(member: Omit<FleetMember, 'stoppedAt'>): Promise<void>;
  /** Rewrite the heartbeat and state. False when the row is gone (pruned): register again. */
  heartbeat(sessionId: string, at: number, state: string): Promise<boolean>;
  /** A clean stop: the row stays, marked stopped, until pruned. */
  leave(sessionId: string, at: number): Promise<void>;
  /** Every gateway with a row, the newest first. */
  members(): Promise<FleetMember[]>;
  /**
   * Take or renew the lead for `owner` until `now + leaseMs`: it succeeds when the lease is free,
   * expired before `now`, or already `owner`'s; `force` takes it whoever holds it (a store one
   * gateway has to itself). Returns the lease as it stands after the attempt.
   */
  lead(owner: string, now: number, leaseMs: number, options?: { force?: boolean }): Promise<{ leading: boolean; leadership: FleetLeadership | null }>;
  /** Give up the lead if `owner` holds it (its leader-scoped daemons have stopped): another gateway may take it at once. */
  resign(owner: string): Promise<boolean>;
  /** The lease as it stands (it may have expired: compare `until` with now). */
  leadership(): Promise<FleetLeadership | null>;
  /** Delete rows of gateways whose heartbeat is older than `before`. Returns how many. */
  prune(policy: { before: number }): Promise<number>;
}

/** A key-value store private to one namespace (one per plugin). Values are JSON. */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  keys(prefix?: string): Promise<string[]>;
}

/** Tables as a plugin's queries see them when it does not declare their types: any name, any column. */
export type PluginTables = Record<string, Record<string, unknown>>;

/** One step of a plugin's schema, written with Kysely's portable schema builder. */
export interface PluginMigration {
  up(db: Kysely<PluginTables>): Promise<void>;
  /** Not run by the gateway (migrations only go forward); kept for a plugin's own tooling. */
  down?(db: Kysely<PluginTables>): Promise<void>;
}

/**
 * A plugin's migrations by name, run in name order (as Kysely's Migrator does): prefix names
 * so they sort, e.g. `001_usage`, `002_usage_index`. A shipped migration is never renamed or edited.
 */
export type PluginMigrations = Readonly<Record<string, PluginMigration>>;

/** What `check()` and every write found: fine, or the first fault since it last was. */
export type StoreHealth = { readonly ok: true } | StoreFault;

export interface StoreFault {
  readonly ok: false;
  /** Why, naming the database (passwords redacted). */
  readonly reason: string;
  readonly code: StoreErrorCode;
  /** Epoch ms when the store stopped being healthy. */
  readonly since: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it lives, safe to show (passwords redacted). */
  readonly location: string;
  readonly ledger: RunLedger;
  readonly audit: AuditLog;
  readonly inbox: Inbox;
  /** The gateways sharing the store, and who leads them. */
  readonly fleet: Fleet;
  /** True when one gateway has the database to itself (SQLite): it is always the leader. */
  readonly exclusive: boolean;
  kv(namespace: string): KeyValueStore;
  /**
   * Bring `pluginId`'s tables up to date: each pending migration in its own transaction, recorded
   * once applied. A migration that throws, or that leaves a table not named `<pluginId>_*`, is
   * rolled back and rejects with a PluginError `KORA_ERR_PLUGIN_MIGRATION` naming both; the ones
   * before it stay applied.
   */
  migratePlugin(pluginId: string, migrations: PluginMigrations): Promise<{ applied: string[] }>;
  /** A Kysely instance over the store's connection, for `pluginId`'s own tables (`ctx.db`). */
  pluginDb<DB = PluginTables>(pluginId: string): Kysely<DB>;
  /** The latest known health; changes with every write that fails or succeeds, and with `check()`. */
  health(): StoreHealth;
  /** Called on every change between healthy and not, or from one fault to another. Returns the unsubscribe. */
  onHealthChange(listener: (health: StoreHealth) => void): () => void;
  /** A cheap probe for the gateway's heartbeat: is the database file still the one opened, and does a trivial write succeed? */
  check(): Promise<StoreHealth>;
  close(): Promise<void>;
}
