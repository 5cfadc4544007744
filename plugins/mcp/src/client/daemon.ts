// The `mcp_consumption` daemon (non-fatal, DESIGN §8): the client pool to the servers of
// `plugins.config.mcp.servers`, `mcp.consumption` (health per server), and `mcp.health_check`.
// Its start opens nothing (a slow server never delays boot); the first check runs at once. Its
// stop closes every session and clears the tool cache. No server configured: it runs, says so.
import type { DaemonSpec, Logger } from '@kora/runtime';
import type { McpServerConfig } from '../config.js';
import { McpClientPool } from './pool.js';

export const CONSUMPTION_DAEMON = 'mcp_consumption';
export const HEALTH_TASK = 'mcp.health_check';
export const NO_SERVERS_NOTE = 'no MCP server to consume (plugins.config.mcp.servers is empty)';

/** The running daemon's pool, read by the tool sources registered at register time. */
export interface PoolHolder {
  current: McpClientPool | null;
}

export interface ConsumptionDeps {
  readonly servers: readonly McpServerConfig[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: { now(): number };
  readonly version: string;
  readonly holder: PoolHolder;
}

export function consumptionDaemon(deps: ConsumptionDeps): DaemonSpec {
  let log: Logger | undefined;
  let note: ((text: string | null) => void) | undefined;
  return {
    name: CONSUMPTION_DAEMON,
    fatalOnStartupFailure: false,
    // Everywhere: each gateway's engine calls the servers' tools through its own sessions.
    scope: 'everywhere',
    start(d) {
      log = d.log;
      note = (text) => d.setNote(text);
      const pool = new McpClientPool({ servers: deps.servers, env: deps.env, clock: deps.clock, log: d.log, version: deps.version });
      deps.holder.current = pool;
      d.services.provide('mcp.consumption', pool);
      if (deps.servers.length === 0) d.setNote(NO_SERVERS_NOTE);
    },
    async stop() {
      const pool = deps.holder.current;
      deps.holder.current = null;
      await pool?.close();
      log?.debug('mcp_consumption: every session closed');
    },
    tasks: [
      {
        name: HEALTH_TASK,
        every: '5m',
        // Right after start too, so the servers' tools are offered without waiting five minutes.
        runOnStart: true,
        async run({ signal }) {
          const pool = deps.holder.current;
          if (!pool || deps.servers.length === 0) return;
          await pool.checkAll(signal);
          // The servers down, in the status where the operator looks; none down clears it.
          const down = pool.health().filter((h) => !h.connected);
          note?.(down.length === 0 ? null : `${down.length} of ${deps.servers.length} MCP server(s) not connected: ${down.map((h) => `${h.name} (${h.lastError ?? 'no session'})`).join('; ')}`.slice(0, 300));
        },
      },
    ],
  };
}
