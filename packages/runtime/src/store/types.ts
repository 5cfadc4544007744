// The store's one async interface. Nothing here knows SQL or which database is behind it:
// SQLite (embedded default) and PostgreSQL (several machines) both implement it.

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
  /** For `missed` rows: how many slots the row stands for. */
  count?: number;
}

export interface RunLedger {
  /**
   * Claim `(task, slot)` for this owner by inserting a `running` row. Returns false when the
   * slot is already claimed (by this gateway or another sharing the store): the caller must not run it.
   */
  claim(run: { task: string; daemon: string; slot: number; startedAt: number; owner: string }): Promise<boolean>;
  /** Finish a claimed run. */
  complete(
    task: string,
    slot: number,
    result: { status: Exclude<RunStatus, 'running' | 'skipped_overlap' | 'missed'>; finishedAt: number; durationMs: number; error: string | null },
  ): Promise<void>;
  /** Record a row that did not run (`skipped_overlap`, `missed`). Ignored if the slot already has a row. */
  note(run: RunRecord): Promise<void>;
  /** The latest slot with any row for `task`, or null. Used to judge misses after a restart. */
  lastSlot(task: string): Promise<number | null>;
  /** Most recent rows first. */
  recent(query?: { task?: string; limit?: number }): Promise<RunRecord[]>;
  /** Rows still `running` whose owner is gone; marks them `interrupted`. Returns how many. */
  interruptStale(owner: { not: string }): Promise<number>;
  /** Keep at most `maxRowsPerTask` rows per task and none older than `maxAgeMs`. Returns rows deleted. */
  prune(policy: { maxRowsPerTask: number; maxAgeMs?: number; now: number }): Promise<number>;
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

export interface AuditLog {
  append(entry: Omit<AuditEntry, 'id'>): Promise<number>;
  /** Oldest first, after `afterId` when given (for tailing). */
  list(query?: { seam?: string; plugin?: string; afterId?: number; limit?: number }): Promise<AuditEntry[]>;
  /** Retention: delete entries whose `at` is before `before` (epoch ms). Returns how many went. */
  prune(policy: { before: number }): Promise<number>;
}

/** A key-value store private to one namespace (one per plugin). Values are JSON. */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  keys(prefix?: string): Promise<string[]>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it lives, safe to show (passwords redacted). */
  readonly location: string;
  readonly ledger: RunLedger;
  readonly audit: AuditLog;
  kv(namespace: string): KeyValueStore;
  close(): Promise<void>;
}
