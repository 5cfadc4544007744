// The bundled mcp plugin (DESIGN §8): Kora's MCP server. It contributes `/mcp` to the admin
// server (`http.admin`, run by the web plugin) and runs the `mcp` daemon that loads the callers.
// The server side lives in `server/`; the MCP client pool (`mcp_consumption`) will sit beside it.
import { definePlugin } from '@kora/runtime';
import { mcpConfigSchema, type McpConfig } from './config.js';
import { mcpDaemon } from './server/daemon.js';
import { mcpRoute } from './server/route.js';
import { McpService } from './server/service.js';

export type { McpConfig } from './config.js';
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
  },
});
