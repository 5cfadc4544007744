// The services Kora's operations plugins provide to one another (DESIGN §8): probes, cost
// telemetry, alerts, MCP consumption, the snapshot and the learning loops. Declared by the
// runtime, like `engine`, so a plugin that reads one (the snapshot reads them all) and the plugin
// that provides it agree without importing each other. Every reader treats a missing service as
// "that plugin is not enabled" and does less, saying so.

/** One probe's result in one cycle (`heartbeat.service_probes`). */
export type ProbeState = 'ok' | 'degraded' | 'down' | 'error' | 'unconfigured';

export interface ProbeResult {
  /** `vercel`, `sentry`, … or a generic probe's configured name. */
  readonly name: string;
  readonly state: ProbeState;
  /** Null when nothing was sent (unconfigured) or no answer came. */
  readonly latencyMs: number | null;
  /** One line for the operator, never a secret: `HTTP 401`, `timed out after 10s`, `KORA_VERCEL_TOKEN is not set`. */
  readonly detail: string | null;
  /** When the probe finished (epoch ms). */
  readonly at: number;
}

/** Provided by `heartbeat_probes` (plugin `probes`). */
export interface Probes {
  /** The latest result of every probe, by name; empty before the first cycle. */
  latest(): readonly ProbeResult[];
}

export const COST_RUNGS = ['normal', 'warn_75', 'downshift_90', 'hard_stop_100'] as const;
export type CostRungName = (typeof COST_RUNGS)[number];

/** Provided by `cost_telemetry` (plugin `telemetry`); read by the cost ladder on every call. */
export interface CostRung {
  /** The rung now: `warn_75` and `downshift_90` send every turn to the cheap model, `hard_stop_100` refuses it. */
  current(): CostRungName;
}

export interface CostWindow {
  /** `rolling_24h` or `month`. */
  readonly window: string;
  /** Window start (epoch ms). */
  readonly since: number;
  readonly calls: number;
  readonly costUsd: number;
  /** Null when no budget is configured for the window. */
  readonly budgetUsd: number | null;
  /** The window's own rung (the service's `cost.rung` is the highest of them). Added by the telemetry plugin. */
  readonly rung?: CostRungName;
  /** The window's calls and cost by model and route, the costliest first. Added by the telemetry plugin. */
  readonly breakdown?: readonly CostBreakdown[];
}

export interface CostBreakdown {
  readonly model: string;
  readonly route: string;
  readonly calls: number;
  readonly costUsd: number;
}

/** Provided by `cost_telemetry` next to `cost.rung`. */
export interface CostWindows {
  windows(): readonly CostWindow[];
}

export interface OpenAlert {
  /** The dedup key, e.g. `probe:vercel`, `task:snapshot.compute`, `rung`, `dead_letter:slack.events`. */
  readonly key: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly title: string;
  /** When it opened (epoch ms). */
  readonly since: number;
}

/** Provided by `alert_notifier` (plugin `alerts`). */
export interface Alerts {
  open(): readonly OpenAlert[];
}

export interface McpServerHealth {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  readonly connected: boolean;
  readonly tools: number;
  /** Epoch ms of the last health check; null before the first. */
  readonly lastCheck: number | null;
  readonly lastError: string | null;
}

/** Provided by `mcp_consumption` (plugin `mcp`). */
export interface McpConsumption {
  health(): readonly McpServerHealth[];
}

export interface SnapshotView {
  /** When it was computed (epoch ms). */
  readonly at: number;
  /** Older than the snapshot's staleness threshold: read it, but do not trust it as now. */
  readonly stale: boolean;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Provided by `snapshot` (plugin `snapshot`). */
export interface Snapshot {
  /** The latest stored roll-up; null before the first. */
  latest(): SnapshotView | null;
}

/**
 * Provided by the learning loops (plugin `promote`): what a person approved, for the plugins
 * that apply it. Each reader calls it at use time (an approval takes effect without a restart).
 */
export interface ApprovedProposals {
  /** A canned answer approved for this DM text, or null (`promote_phrasebook`). */
  phrasebook(question: string): { readonly answer: string; readonly proposalId: string } | null;
  /** Decision-language patterns added (`add`) or removed (`remove`) by `promote_router_tuning`, as regular-expression sources. */
  routerPatterns(): { readonly add: readonly string[]; readonly remove: readonly string[] };
  /** Tool names to include in the snapshot (`promote_snapshot_expand`). */
  snapshotTools(): readonly string[];
  /** Tool names a person dropped from this route's tool list (`promote_tool_trimming`); empty when none. */
  trimmedTools(route: string): readonly string[];
  /** Proposals waiting for a person (for the snapshot and the UI). */
  pendingCount(): number;
}

/** The engine's usage rows summed by model and route (`usage.totals`). */
export interface UsageTotals {
  readonly model: string;
  readonly route: string;
  /** `YYYY-MM-DD` (UTC) when asked `byDay`, else null. */
  readonly day: string | null;
  readonly calls: number;
  /** Calls whose outcome was not `ok`. */
  readonly failed: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** As priced by the engine's price table (`plugins.config.reasoning.prices`) when the call was made. */
  readonly costUsd: number;
}

/** Provided by the `reasoning` plugin at register (its table `reasoning_usage`), read by `cost_telemetry`. */
export interface UsageLedger {
  /** Usage rows with `since` ≤ at < `until` (epoch ms), summed by model and route, and by UTC day with `byDay`. */
  totals(query: { readonly since: number; readonly until: number; readonly byDay?: boolean }): Promise<readonly UsageTotals[]>;
}

declare module './registry.js' {
  interface ServiceMap {
    probes: Probes;
    'cost.rung': CostRung;
    'cost.windows': CostWindows;
    alerts: Alerts;
    'mcp.consumption': McpConsumption;
    snapshot: Snapshot;
    proposals: ApprovedProposals;
    'email.sender': EmailSender;
    usage: UsageLedger;
  }
}

/**
 * One email to send through `email.sender`. Threading: `inReplyTo` is the Message-ID answered,
 * `references` the thread's Message-IDs oldest first (RFC 5322 §3.6.4).
 */
export interface OutgoingEmail {
  /** One address or several (`a@x`, or `Name <a@x>`). */
  readonly to: string | readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
  /** Another From than the sender's own; refused (`KORA_ERR_EMAIL_FROM_REFUSED`) outside the allowed domains. */
  readonly from?: string;
  /** The Message-ID to give it (`<id@domain>`), so a resend is recognisably the same message; generated when absent. */
  readonly messageId?: string;
}

export interface SentEmail {
  /** The Message-ID the email went out with. */
  readonly messageId: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  /** The SMTP server's last answer, e.g. `250 2.0.0 Ok: queued`. */
  readonly response: string;
}

/** Provided by `purelymail_client` (plugin `email`) when SMTP credentials are set. */
export interface EmailSender {
  /** The default From address. */
  readonly from: string;
  /** Rejects with `KORA_ERR_EMAIL_FROM_REFUSED` or `KORA_ERR_EMAIL_SEND_FAILED` (a KoraError). */
  send(email: OutgoingEmail): Promise<SentEmail>;
}
