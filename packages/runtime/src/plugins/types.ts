// The plugin API: what a plugin's entry module exports and what `register` gets.
import type { FleetView } from '../fleet/view.js';
import type { ZodType } from 'zod';
import type { DaemonSpec } from '../daemons/types.js';
import type { DispatchResult, HookCallback, HookName, HookPayload, UnknownHookCallback } from '../hooks/catalog.js';
import type { AnyHookHandle, HandleCallback } from '../hooks/define-hook.js';
import type { HandlePayload, HandleResult } from '../hooks/hook-bus.js';
import type { GatewayStatus } from '../gateway/status.js';
import type { IdentityProvider, ResolvedIdentity } from '../identity/types.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../services/registry.js';
import type { Kysely } from 'kysely';
import type { AuditCursor, AuditEntry, AuditPageQuery, AuditTailOptions, DeadLetter, InboxMessage, InboxTopicStats, KeyValueStore, PluginMigrations, PluginTables, RunRecord } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import type { Duration } from '../time/duration.js';
import type { ContributionPoint, ContributionValue } from './contributions.js';
import type { Tools } from './tool-pipeline.js';

export interface ToolSpec {
  /** Unique across plugins. */
  name: string;
  description: string;
  /** JSON Schema of the input. */
  inputSchema?: Record<string, unknown>;
  /** `actor` is set when a surface vouches for the caller (`mcp:<caller id>`); the model's calls have none. */
  run(input: Record<string, unknown>, context: { signal: AbortSignal; actor?: string }): unknown;
  /** Default 60s. */
  timeout?: Duration | number;
  /** Also offered to MCP callers by the `mcp` server (host API 1.1). Default false: the engine's tools only. */
  mcp?: boolean;
}

/**
 * Tools known only once a daemon runs (an MCP server's, listed when its session opens), under a
 * name prefix claimed at register time: no registered tool and no other source may use it.
 * `tools()` is asked on every listing and call, so what it answers changes without a restart. Host API 1.1.
 */
export interface ToolSource {
  /** Every tool of the source is named `<prefix>…`, e.g. `mcp__github__`. */
  readonly prefix: string;
  /** The tools now; empty while the daemon behind them is not running. A throw counts as none. */
  tools(): readonly ToolSpec[];
}

/** Read-only views of the gateway a plugin runs in (host API 1.1). */
export interface GatewayView {
  readonly sessionId: string;
  /** The resolved identity, or null before boot resolved it or when it is unresolved. */
  identity(): ResolvedIdentity | null;
  /** The gateway's status, the same shape `kora status --json` prints. */
  status(): GatewayStatus;
  /** The run ledger's most recent rows, newest first. */
  recentRuns(query?: { task?: string; limit?: number }): Promise<RunRecord[]>;
  /** Audit entries after `afterId` (oldest first). For following the log, use `tailAudit`; for paging back from the newest, `auditPage`. */
  readAudit(query?: { seam?: string; plugin?: string; afterId?: number; limit?: number }): Promise<AuditEntry[]>;
  /** Newest first: entries before `beforeId` (default: from the newest), filtered by seam, plugin and time (`since` ≤ at < `until`, epoch ms). */
  auditPage(query?: AuditPageQuery): Promise<AuditEntry[]>;
  /** Follow the audit log: entries after `cursor`, oldest first, and the cursor to pass next time. No entry is skipped, even one committed late. */
  tailAudit(cursor?: AuditCursor, options?: AuditTailOptions): Promise<{ entries: AuditEntry[]; cursor: AuditCursor }>;
  /** The gateways sharing the store, their heartbeats and the leader (DESIGN §6a). Host API 1.1. */
  fleet(): Promise<FleetView>;
}

/** Who asks for an operation, as the audit log records it: `web:admin`, `mcp:<caller id>`, `cli`. */
export interface Actor {
  readonly actor: string;
}

/** A manual run, once its slot is claimed: `done` settles with its ledger row when it finishes. */
export interface ManualRun {
  readonly task: string;
  readonly daemon: string;
  /** The run's slot: the time it was asked for (epoch ms), its identity in the ledger. */
  readonly slot: number;
  readonly done: Promise<RunRecord>;
}

/**
 * What an operator does through a surface (admin API, MCP): the same operations `kora` offers
 * on the command line. Each is audited with its actor: a stop before it begins, a run once claimed (a refusal with its code), a replay or discard once done. Host API 1.1.
 */
export interface GatewayOperations {
  /**
   * Run a scheduled task now, outside its schedule: a ledger row with `trigger: 'manual'`.
   * Never twice at once: rejects with `KORA_ERR_TASK_RUNNING` while a run of it is going,
   * `KORA_ERR_TASK_UNKNOWN` for a name no running daemon schedules.
   */
  runTask(name: string, by: Actor): Promise<ManualRun>;
  /** Stop the gateway cleanly, as SIGTERM would; `reason` goes into the status's shutdown reason. */
  requestStop(by: Actor & { reason?: string }): Promise<void>;
  readonly inbox: {
    /** Per topic with any item pending, in flight or dead. */
    topics(): Promise<Record<string, InboxTopicStats>>;
    /** Dead letters, the most recently dead first, secrets scrubbed. */
    dead(query?: { topic?: string; limit?: number }): Promise<DeadLetter[]>;
    /** Back to pending; false when `id` is not a dead letter. */
    replay(id: number, by: Actor): Promise<boolean>;
    /** Deleted for good; false when `id` is not a dead letter. */
    discard(id: number, by: Actor): Promise<boolean>;
  };
}

/** What producers use (host API 1.1): keep work from outside before acknowledging its sender. */
export interface PluginInbox {
  /**
   * Enqueue `{ topic, key, payload }` durably; `(topic, key)` deduplicates (a Slack retry, the
   * same Message-ID twice). Resolves once the item is stored: acknowledge the sender after it.
   */
  enqueue(message: InboxMessage): Promise<{ id: number; duplicate: boolean }>;
}

/** Dispatching hooks from a plugin (host API 1.1), e.g. the reasoning engine running the pipeline. */
export interface PluginHooks {
  /** A catalogued hook, or a plugin's own defined with `defineHook`: results combine by its kind. */
  dispatch<K extends HookName>(hook: K, payload: HookPayload<K>): Promise<DispatchResult<K>>;
  dispatch<H extends AnyHookHandle>(hook: H, payload: HandlePayload<H>): Promise<HandleResult<H>>;
  /** A hook outside the catalog and never defined: collect semantics. */
  dispatchCustom(hook: string, payload: unknown): Promise<unknown>;
}

export interface PluginPaths {
  /** `$KORA_HOME`. */
  readonly home: string;
  /** A folder of the plugin's own under the home, for files it keeps (created on first use). */
  readonly data: string;
  /** The plugin package's folder (read package data relative to it, never to the working directory). */
  readonly root: string;
}

export interface PluginContext<Config = unknown> {
  readonly pluginId: string;
  /** `plugins.config.<id>`, already validated by the plugin's `configSchema` when it has one. */
  readonly config: Config;
  readonly log: Logger;
  readonly services: Services;
  /** Key-value store namespaced to this plugin. */
  readonly store: KeyValueStore;
  /**
   * The plugin's own tables (`<pluginId>_*`), created by its `migrations`, over the gateway's
   * store (SQLite or PostgreSQL). Reading it in a plugin that declares no migrations throws. Host API 1.1.
   */
  readonly db: Kysely<PluginTables>;
  readonly paths: PluginPaths;
  /** The environment the gateway was started with. Read it here, not from `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly deployEnv: string;
  /** The gateway's clock (injected in tests): read time and set timers through it. Host API 1.1. */
  readonly clock: Clock;
  /** Read-only views of the gateway: identity, status, ledger, audit. Host API 1.1. */
  readonly gateway: GatewayView;
  /** Operations on the gateway (run a task now, stop, dead letters), each audited with its actor. Host API 1.1. */
  readonly operations: GatewayOperations;
  /** Hook dispatch. Host API 1.1. */
  readonly hooks: PluginHooks;
  /** The runtime's tool pipeline: guard, provided results, the tool, post_tool_call. Host API 1.1. */
  readonly tools: Tools;
  /** The durable inbox, for producers; consumers are declared on daemons (`consumers`). Host API 1.1. */
  readonly inbox: PluginInbox;
  /** A callback on a catalogued hook (a mistyped name does not compile) or on a `defineHook` handle. */
  on<K extends HookName>(hook: K, callback: HookCallback<K>): void;
  on<H extends AnyHookHandle>(hook: H, callback: HandleCallback<H>): void;
  /**
   * A callback on a hook name outside the catalog, said so explicitly (host API 1.1). It runs
   * as collect with a warning; a name that looks like a guard (`pre_tool_call…`) is refused,
   * since a mistyped guard would block nothing. Prefer `defineHook`.
   */
  onCustom(hook: string, callback: UnknownHookCallback): void;
  registerIdentityProvider(provider: IdentityProvider): void;
  registerDaemon(spec: DaemonSpec): void;
  registerTool(tool: ToolSpec): void;
  /** Offer tools discovered at run time under a prefix claimed now (host API 1.1): see `ToolSource`. */
  registerToolSource(source: ToolSource): void;
  /** Add to an extension point another plugin's daemon owns (`http.admin`, webhook sources…). Host API 1.1. */
  contribute<P extends ContributionPoint>(point: P, value: ContributionValue<P>): void;
  /** Append to the audit log (secrets in `details` are redacted). */
  audit(seam: string, details?: Record<string, unknown>): Promise<void>;
}

export interface PluginDefinition<Config = unknown> {
  /** Must equal the manifest's `id`. */
  id: string;
  /** Validates `plugins.config.<id>` before `register` runs. */
  configSchema?: ZodType<Config>;
  /**
   * The plugin's tables, as named migrations applied in name order before `register` runs and
   * tracked per plugin; a failing one fails this plugin only. Tables must be named `<id>_*`. Host API 1.1.
   */
  migrations?: PluginMigrations;
  register(context: PluginContext<Config>): void | Promise<void>;
}

/** Types a plugin definition. It adds nothing at run time: a plain object of the same shape works too. */
export function definePlugin<Config = unknown>(definition: PluginDefinition<Config>): PluginDefinition<Config> {
  return definition;
}
