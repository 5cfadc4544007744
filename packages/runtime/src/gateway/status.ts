// The one status shape (DESIGN §5), used by the CLI, the status file, the admin API and MCP.
import type { DaemonStatus } from '../daemons/supervisor.js';
import type { IdentitySource } from '../identity/types.js';
import type { PluginState } from '../plugins/loader.js';
import type { PluginSource } from '../plugins/discovery.js';
import type { TaskStatus } from '../schedule/scheduler.js';
import type { FleetStatus } from '../fleet/membership.js';

export type GatewayState = 'booting' | 'running' | 'degraded' | 'shutting_down' | 'stopped';

/** Schema 2 added heartbeatAt, heartbeatEveryMs, processStartedAt, exit and plugins[].enabled; readers accept 1. */
export const STATUS_SCHEMA = 2;

/** How the process ended (or is ending), written with the final status. */
export interface ExitRecord {
  code: number;
  reason: string;
  /** ISO time. */
  at: string;
  /** A second signal, a timeout on the stop, or a `process.exit()` the gateway did not ask for. */
  forced?: boolean;
  /** Who ended it when it was not the gateway's own stop: `plugin marvin`, `signal SIGTERM`. */
  by?: string;
}

export interface GatewayStatus {
  schema: typeof STATUS_SCHEMA;
  pid: number;
  /**
   * Tells this process from a later one given the same pid: `<boot id>:<start time in clock
   * ticks>` from /proc on Linux (see `process-identity.ts`); null where that cannot be read.
   */
  processStartedAt: string | null;
  sessionId: string;
  state: GatewayState;
  /** Why it is degraded: one line per reason. */
  problems: string[];
  deployEnv: string;
  startedAt: string;
  updatedAt: string;
  /** When the status writer last rewrote the file from the event loop; null when it is not heartbeating. */
  heartbeatAt: string | null;
  /** The heartbeat period: a reader takes a heartbeat older than a few periods for a wedged process. */
  heartbeatEveryMs: number | null;
  uptimeMs: number;
  shutdownReason: string | null;
  exitCode: number | null;
  exit: ExitRecord | null;
  home: string;
  config: string | null;
  store: { kind: string; location: string } | null;
  identity: { agentName: string; source: IdentitySource; systemPromptChars: number; soulChars: number } | { error: string; code: string } | null;
  plugins: { id: string; version: string; source: PluginSource; state: PluginState; enabled: boolean; error: string | null }[];
  daemons: (DaemonStatus & { skipped: string | null; tasks: TaskStatus[] })[];
  /** The durable inbox per topic: items waiting, being handled, and dead-lettered, and which daemon consumes it (null: none running). */
  inbox: { topic: string; consumer: string | null; pending: number; inFlight: number; dead: number }[];
  /**
   * The fleet (DESIGN §6a): who leads (a session id), whether this gateway does, since when, the
   * lease, and this gateway's last heartbeat in the store. Leader-scoped daemons run on the
   * leader only (`daemons[].scope`). Null before the gateway joined (inspection, early boot).
   */
  fleet: FleetStatus | null;
}
