// The `mcp` daemon: loads the callers (fail closed: none is a start failure, except dev mode's
// generated token), opens the `/mcp` route for them and publishes where it is served.
import { join } from 'node:path';
import { DaemonError, keptToken, type DaemonContext, type DaemonSpec, type GatewayView } from '@kora/runtime';
import { ALL } from './capabilities.js';
import { CALLERS_FILE, CallersError, CallerTable, envCallers, fileCallers, sha256, TOKEN_ENV } from './callers.js';
import { MCP_PATH } from './route.js';
import type { McpService } from './service.js';

/** Dev mode's caller: one token generated on the first dev boot, kept owner-only in the home and reused. */
export const DEV_TOKEN_FILE = 'mcp_token';
export const DEV_CALLER_ID = 'dev';

export const DAEMON_NAME = 'mcp';
export const WEB_HOST_ENV = 'KORA_WEB_HOST';
export const WEB_PORT_ENV = 'KORA_WEB_PORT';
const WEB_DEFAULT = { host: '127.0.0.1', port: 9119 };

export interface McpDaemonDeps {
  readonly service: McpService;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly deployEnv: string;
  readonly gateway: GatewayView;
}

export function mcpDaemon(deps: McpDaemonDeps): DaemonSpec {
  const callersFile = join(deps.home, CALLERS_FILE);
  const tokenFile = join(deps.home, DEV_TOKEN_FILE);
  const fail = (message: string) => new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${DAEMON_NAME}" cannot start: ${message}`, { daemon: DAEMON_NAME });
  return {
    name: DAEMON_NAME,
    fatalOnStartupFailure: true,
    async start(context: DaemonContext) {
      let callers;
      try {
        callers = [...envCallers(deps.env[TOKEN_ENV]), ...(await fileCallers(callersFile))];
      } catch (err) {
        if (err instanceof CallersError) throw fail(err.message);
        throw err;
      }
      let note = `bearer token of a caller (${TOKEN_ENV} or ${callersFile})`;
      if (callers.length === 0) {
        if (deps.deployEnv !== 'dev') {
          throw fail(
            `no MCP caller is configured, and the server does not run open (fail closed): set ${TOKEN_ENV}=<token>[,<token>…] (callers with every capability), or list callers with their token's SHA-256 and capabilities in ${callersFile} (docs/mcp.md)`,
          );
        }
        let dev;
        try {
          dev = keptToken(tokenFile);
        } catch (err) {
          throw fail(`the dev-mode token in ${tokenFile} cannot be used: ${(err as Error).message}`);
        }
        if (dev.created) context.log.info({ file: tokenFile }, `mcp: dev mode and no caller configured: generated a token for caller "${DEV_CALLER_ID}" in ${tokenFile} (mode 0600)`);
        if (dev.tightened) context.log.warn({ file: tokenFile }, `mcp: ${tokenFile} was readable by others; made it owner-only (0600)`);
        callers = [{ id: DEV_CALLER_ID, capabilities: new Set(ALL), source: tokenFile, digest: sha256(dev.token) }];
        note = `bearer token in ${tokenFile}`;
      }
      let table: CallerTable;
      try {
        table = new CallerTable(callers);
      } catch (err) {
        if (err instanceof CallersError) throw fail(err.message);
        throw err;
      }
      const origin = adminOrigin(deps.gateway, deps.env);
      if (!origin.fromWeb) {
        context.log.warn(
          `mcp: no running "web" daemon has published the admin server's address yet; announcing ${origin.url} from ${WEB_HOST_ENV}/${WEB_PORT_ENV} or the default. /mcp is served by the web plugin: enable it, before mcp in plugins.enabled`,
        );
      }
      deps.service.open(table);
      const url = `${origin.url}${MCP_PATH}`;
      context.publishEndpoint({ name: 'MCP', url, note });
      context.log.info({ callers: table.ids(), url }, `MCP server at ${url} for ${table.size} caller(s): ${table.ids().join(', ')}`);
    },
    async stop() {
      await deps.service.close();
    },
  };
}

/** Where the admin server listens: the `web` daemon's published endpoint, else KORA_WEB_HOST/PORT, else 127.0.0.1:9119. */
export function adminOrigin(gateway: GatewayView, env: Readonly<Record<string, string | undefined>>): { url: string; fromWeb: boolean } {
  const web = gateway.status().daemons.find((d) => d.name === 'web' && d.state === 'running');
  for (const endpoint of web?.endpoints ?? []) {
    try {
      const url = new URL(endpoint.url);
      if (url.protocol === 'http:' || url.protocol === 'https:') return { url: url.origin, fromWeb: true };
    } catch {
      // not a URL: try the next one
    }
  }
  const host = env[WEB_HOST_ENV]?.trim() || WEB_DEFAULT.host;
  const port = env[WEB_PORT_ENV]?.trim() || String(WEB_DEFAULT.port);
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, fromWeb: false };
}
