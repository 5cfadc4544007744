// The bundled mcp plugin (DESIGN §8): Kora's MCP server. It contributes `/mcp` to the admin
// server (`http.admin`, run by the web plugin) and runs the `mcp` daemon that loads the callers.
// The server side lives in `server/`; the client side (`mcp_consumption`, the servers Kora
// consumes, their tools offered to the engine as `mcp__<server>__<tool>`) in `client/`.
import { readFileSync } from 'node:fs';
import { definePlugin } from '@kora/runtime';
import { consumptionDaemon, type PoolHolder } from './client/daemon.js';
import { toolPrefix } from './client/pool.js';
import { mcpConfigSchema, type McpConfig } from './config.js';
import { mcpDaemon } from './server/daemon.js';
import { mcpRoute } from './server/route.js';
import { McpService } from './server/service.js';

export type { McpConfig, McpServerConfig } from './config.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export { CAPABILITIES, type Capability } from './server/capabilities.js';

export default definePlugin<McpConfig | undefined>({
  id: 'mcp',
  configSchema: mcpConfigSchema.optional(),
  register(ctx) {
    const service = new McpService({
      gateway: ctx.gateway,
      operations: ctx.operations,
      tools: ctx.tools,
      log: ctx.log,
      audit: (seam, details) => ctx.audit(seam, details),
    });
    ctx.contribute('http.admin', mcpRoute(service));
    ctx.registerDaemon(mcpDaemon({ service, env: ctx.env, home: ctx.paths.home, deployEnv: ctx.deployEnv, gateway: ctx.gateway }));

    // The servers are known now, their tools only once a session lists them: one tool source
    // per server, its prefix claimed here (decision 0126).
    const servers = ctx.config?.servers ?? [];
    const holder: PoolHolder = { current: null };
    for (const server of servers) {
      ctx.registerToolSource({ prefix: toolPrefix(server.name), tools: () => holder.current?.tools(server.name) ?? [] });
    }
    ctx.registerDaemon(consumptionDaemon({ servers, env: ctx.env, clock: ctx.clock, version: VERSION, holder }));
  },
});
