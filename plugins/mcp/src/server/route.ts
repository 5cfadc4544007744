// The `/mcp` route the MCP server contributes to the admin server (`http.admin`). Its own
// authentication (the callers' bearer tokens) runs before the body is read, so a wrong token is
// a 401 before any JSON-RPC is looked at. While the `mcp` daemon is not running it answers 503.
import type { HttpRoute, HttpRouteResponse } from '@kora/runtime';
import type { McpService } from './service.js';

export const MCP_PATH = '/mcp';

// What `authenticate` lets through while the daemon is not running, so `handle` can say 503
// rather than the 401 that would send a client hunting for a token that is fine.
const UNAVAILABLE = '\0mcp-unavailable';

export function mcpRoute(service: McpService): HttpRoute {
  return {
    method: ['GET', 'POST', 'DELETE'],
    path: MCP_PATH,
    authenticate(headers) {
      const callers = service.callers();
      if (!callers) return UNAVAILABLE;
      return callers.authenticate(headers)?.id ?? null;
    },
    async handle(request): Promise<HttpRouteResponse> {
      const callers = service.callers();
      if (!callers || request.principal === UNAVAILABLE) return unavailable();
      // Stateless (decision 0047): no session to hold a server-to-client stream open for, or
      // to delete. The spec lets a server answer both with 405; the SDK client expects that.
      if (request.method !== 'POST') {
        return {
          status: 405,
          headers: { allow: 'POST' },
          body: { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; send every message as a POST' }, id: null },
        };
      }
      const caller = callers.byId(request.principal);
      // The callers were reloaded (a restart of the daemon) between authenticate and here.
      if (!caller) return { status: 401, body: { error: { code: 'unauthorized', message: 'the bearer token names no MCP caller' } } };
      const endpoint = await service.endpoint();
      if (!endpoint) return unavailable();
      await endpoint.serve(caller, request.raw, request.body);
      return { handled: true };
    },
  };
}

function unavailable(): HttpRouteResponse {
  return {
    status: 503,
    headers: { 'retry-after': '5' },
    body: { error: { code: 'mcp_unavailable', message: 'the MCP server (daemon "mcp") is not running: see the gateway status for why' } },
  };
}
