// The tables as Kysely sees them. Column names are the SQL ones; mapping to the camelCase
// records of `types.ts` happens in each part's file.
import type { Generated } from 'kysely';
import type { InboxStatus, RunStatus } from './types.js';

export interface RunsTable {
  task: string;
  slot: number;
  daemon: string;
  status: RunStatus;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  error: string | null;
  owner: string | null;
  count: number | null;
  /** Epoch ms; set while `running` (the claim's lease), null otherwise. */
  lease_until: number | null;
  /** 'manual' for a run an operator asked for; null for the schedule's. */
  trigger: 'manual' | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: number;
  plugin: string;
  seam: string;
  /** JSON text, redacted before it was written. */
  details: string;
}

export interface KvTable {
  namespace: string;
  key: string;
  /** JSON text. */
  value: string;
  updated_at: number;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface PluginMigrationsTable {
  plugin: string;
  name: string;
  applied_at: number;
}

/** One row, rewritten by `check()`: the cheapest write that proves the database takes writes. */
export interface StoreProbeTable {
  id: number;
  checked_at: number;
}

export interface InboxTable {
  id: Generated<number>;
  topic: string;
  /** The producer's dedup key; `(topic, key)` is unique. */
  key: string;
  /** JSON text; null once the item is done (the row stays only to deduplicate). */
  payload: string | null;
  status: InboxStatus;
  owner: string | null;
  /** Epoch ms; set while `claimed` (the claim's lease), null otherwise. */
  lease_until: number | null;
  /** Epoch ms from which a pending item may be claimed: its enqueue, or the retry time. */
  available_at: number;
  /** Deliveries since the enqueue or the last replay. */
  attempts: number;
  replays: number;
  /** JSON array of `InboxFailure`, oldest first. */
  errors: string;
  enqueued_at: number;
  /** Epoch ms when it was done or dead-lettered; null while pending or claimed. */
  finished_at: number | null;
}

export interface FleetTable {
  session_id: string;
  host: string;
  pid: number;
  /** The runtime's package version. */
  version: string;
  started_at: number;
  heartbeat_at: number;
  /** The gateway state it last reported (`running`, `degraded`, `stopped`…). */
  state: string;
  /** Epoch ms of a clean stop; null while it runs (or if it died). */
  stopped_at: number | null;
}

export interface FleetLeaderTable {
  /** Always `leader`: one lease per database. */
  name: string;
  owner: string;
  /** When `owner` took the lead. */
  since: number;
  lease_until: number;
}

export interface StoreSchema {
  kora_runs: RunsTable;
  kora_audit: AuditTable;
  kora_kv: KvTable;
  kora_migrations: MigrationsTable;
  kora_plugin_migrations: PluginMigrationsTable;
  kora_store_probe: StoreProbeTable;
  kora_inbox: InboxTable;
  kora_fleet: FleetTable;
  kora_fleet_leader: FleetLeaderTable;
}
