// @kora/runtime: the public API plugins import. Bundled plugins import nothing else.
export { HOST_API_VERSION } from './version.js';
export * from './errors.js';
export { definePlugin } from './plugins/types.js';
/** The zod the host validates plugin config with: a bundled plugin's schemas use this copy rather than load their own. */
export { z } from './zod.js';
/** Durations in a plugin's config schema, with the runtime's grammar and message (`every: duration.default('1m')`). */
export { consumerRetry, duration, durationMs, durationOrMs } from './config/duration-schema.js';
/** A duration (or ms) to milliseconds, or a coded DurationError naming the grammar: what `duration` parsed, as a number. */
export { parseDuration } from './time/duration.js';
export type { Actor, GatewayOperations, GatewayView, ManualRun, PluginContext, PluginDefinition, PluginHooks, PluginPaths, ToolSource, ToolSpec } from './plugins/types.js';
export type { HttpMethod, HttpRoute, HttpRouteRequest, HttpRouteResponse } from './plugins/http-routes.js';
export { formatAddress, listenAddress, listenError, listenOn, type Listenable, type ListenAddress, type ListenSettings } from './plugins/listen.js';
export type { Contribution, ContributionMap, ContributionPoint, ContributionValue, Contributions } from './plugins/contributions.js';
export type { ToolCallOptions, ToolCallResult, Tools } from './plugins/tool-pipeline.js';
export type { ExitRecord, GatewayState, GatewayStatus } from './gateway/status.js';
export type { FleetGatewayView, FleetView } from './fleet/view.js';
export type { FleetStatus } from './fleet/membership.js';
export { tasksWithRecentRuns, type TaskView } from './gateway/task-views.js';
export type { ConsumerContext, ConsumerSpec, DaemonContext, DaemonEndpoint, DaemonSpec, DaemonState, InboxItem, MissedPolicy, RunTrigger, TaskRunContext, TaskSpec } from './daemons/types.js';
export type * from './hooks/catalog.js';
export type * from './hooks/llm-types.js';
export { defineHook } from './hooks/define-hook.js';
export type { AnyHookHandle, HandleCallback, HookHandle } from './hooks/define-hook.js';
export { SOUL_ENV, SYSTEM_PROMPT_ENV } from './identity/env.js';
export { parseEnvFlag, readEnvFlag } from './config/env-flag.js';
export { keptToken, tokenDigest, tokenMatcher, type KeptToken } from './secrets/kept-token.js';
export type { IdentityProvider, IdentityRequest, IdentitySource, IdentitySpec, ResolvedIdentity } from './identity/types.js';
export type { ServiceMap, Services } from './services/registry.js';
export type { Engine, EngineReply, EngineRequest, EngineUsage } from './services/engine.js';
export { COST_RUNGS } from './services/agent.js';
export { bareAddress, emailThreadId, INBOUND_EMAIL_TOPIC, inboundEmail, messageIds, type InboundEmail, type InboundEmailResult } from './services/inbound-email.js';
export type {
  Alerts,
  ApprovedProposals,
  CostBreakdown,
  CostRung,
  CostRungName,
  CostWindow,
  CostWindows,
  EmailSender,
  McpConsumption,
  McpServerHealth,
  OpenAlert,
  OutgoingEmail,
  ProbeResult,
  Probes,
  ProbeState,
  SentEmail,
  Snapshot,
  SnapshotView,
  UsageLedger,
  UsageTotals,
} from './services/agent.js';
export type {
  AuditCursor,
  AuditEntry,
  AuditGap,
  AuditLog,
  AuditPageQuery,
  AuditTailOptions,
  ClaimedInboxItem,
  DeadLetter,
  Fleet,
  FleetLeadership,
  FleetMember,
  Inbox,
  InboxFailure,
  InboxMessage,
  InboxStatus,
  InboxTopicStats,
  KeyValueStore,
  PluginMigration,
  PluginMigrations,
  PluginTables,
  RunLedger,
  RunRecord,
  RunStatus,
  Store,
  StoreFault,
  StoreHealth,
} from './store/types.js';
export type { Logger, LogLevel } from './log/logger.js';
export type { Clock, TimerHandle } from './time/clock.js';
export type { Duration } from './time/duration.js';
