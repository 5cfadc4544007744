// The one status shape (DESIGN §5), used by the CLI, the status file, the admin API and MCP.
import type { DaemonStatus } from '../daemons/supervisor.js';
import type { IdentitySource } from '../identity/types.js';
import type { PluginState } from '../plugins/loader.js';
import type { PluginSource } from '../plugins/discovery.js';
import type { TaskStatus } from '../schedule/scheduler.js';

export type GatewayState = 'booting' | 'running' | 'degraded' | 'shutting_down' | 'stopped';

export interface GatewayStatus {
  schema: 1;
  pid: number;
  sessionId: string;
  state: GatewayState;
  /** Why it is degraded: one line per reason. */
  problems: string[];
  deployEnv: string;
  startedAt: string;
  updatedAt: string;
  uptimeMs: number;
  shutdownReason: string | null;
  exitCode: number | null;
  home: string;
  config: string | null;
  store: { kind: string; location: string } | null;
  identity: { agentName: string; source: IdentitySource; systemPromptChars: number; soulChars: number } | { error: string; code: string } | null;
  plugins: { id: string; version: string; source: PluginSource; state: PluginState; error: string | null }[];
  daemons: (DaemonStatus & { skipped: string | null; tasks: TaskStatus[] })[];
}
