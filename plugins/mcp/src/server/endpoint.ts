// The MCP protocol side, on the official SDK: per POST a fresh McpServer and a stateless
// Streamable HTTP transport (decision 0047), with the kora__* tools and the plugin tools exposed
// over MCP, each call checked against the caller's capabilities. This module is imported on the
// first request, not at boot (decision 0048).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayOperations, GatewayView, Logger, ToolCallResult, Tools } from '@kora/runtime';
import { z } from 'zod';
import { allows, pluginToolCapability, type Capability } from './capabilities.js';
import type { Caller } from './callers.js';
import { KORA_TOOLS, type KoraTool } from './kora-tools.js';
import { describeFailure, ToolRefusal } from './tool-error.js';

export interface EndpointDeps {
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
  readonly tools: Tools;
  readonly log: Logger;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

export interface Endpoint {
  /** Answer one MCP request on `raw.res` for `caller`; resolves once the transport has the response. */
  serve(caller: Caller, raw: { req: IncomingMessage; res: ServerResponse }, body: unknown): Promise<void>;
  /** Close every request still open (the daemon stops): in-flight tool calls see their signal abort. */
  closeAll(): Promise<void>;
}

interface PluginTool {
  readonly name: string;
  readonly description: string;
  readonly schema: z.ZodType;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const INSTRUCTIONS =
  'Kora gateway tools. Read kora__daemon_status first: it has the state, what is degraded and why, and the sessionId that kora__request_stop takes as confirm_token. Each tool needs a capability of the caller; a refusal names the missing one.';

export function createEndpoint(deps: EndpointDeps): Endpoint {
  const pluginTools = exposedPluginTools(deps);
  const open = new Set<StreamableHTTPServerTransport>();

  const call = async (caller: Caller, tool: string, capability: Capability, run: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    if (!allows(caller.capabilities, capability)) {
      // Audited before the reply; a denial the log could not keep still denies.
      await deps.audit('mcp.denied', { caller: caller.id, tool, capability }).catch((err: unknown) => deps.log.error({ err, tool }, 'mcp: could not audit a denied call'));
      return refusal(new ToolRefusal('capability_denied', `caller "${caller.id}" lacks the capability "${capability}" that ${tool} needs: grant it in mcp_callers.yaml (see docs/mcp.md)`));
    }
    try {
      return await run();
    } catch (err) {
      return refusal(err);
    }
  };

  const build = (caller: Caller): McpServer => {
    const server = new McpServer({ name: 'kora', version: VERSION }, { instructions: INSTRUCTIONS });
    for (const t of KORA_TOOLS) registerKoraTool(server, t, caller);
    for (const t of pluginTools) {
      server.registerTool(t.name, { description: t.description, inputSchema: t.schema as z.ZodObject }, (input, extra) =>
        call(caller, t.name, pluginToolCapability(t.name), async () =>
          fromToolCall(await deps.tools.call(t.name, input as Record<string, unknown>, { route: 'mcp', signal: extra.signal, actor: `mcp:${caller.id}` })),
        ),
      );
    }
    return server;
  };

  const registerKoraTool = (server: McpServer, t: KoraTool, caller: Caller) => {
    server.registerTool(
      t.name,
      { title: t.title, description: `${t.description} Needs the capability "${t.capability}".`, inputSchema: t.input, annotations: { readOnlyHint: t.readOnly, destructiveHint: t.name === 'kora__request_stop', openWorldHint: false } },
      (input: Record<string, unknown>, extra: { signal: AbortSignal }) =>
        call(caller, t.name, t.capability, async () => success(await t.run(input as never, deps, { caller, signal: extra.signal }))),
    );
  };

  return {
    async serve(caller, raw, body) {
      const server = build(caller);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      open.add(transport);
      raw.res.on('close', () => {
        open.delete(transport);
        void server.close();
      });
      await server.connect(transport);
      // The admin server already parsed the body; `null` for none, so the SDK answers it as
      // an invalid message instead of reading a stream that was consumed.
      await transport.handleRequest(raw.req, raw.res, body ?? null);
    },
    async closeAll() {
      await Promise.all([...open].map((t) => t.close()));
      open.clear();
    },
  };
}

/** The plugin tools with `mcp: true`, their JSON Schema turned into zod once, so the SDK lists and validates them. */
function exposedPluginTools(deps: EndpointDeps): PluginTool[] {
  const koraNames = new Set(KORA_TOOLS.map((t) => t.name));
  const out: PluginTool[] = [];
  for (const t of deps.tools.list({ mcp: true })) {
    if (koraNames.has(t.name)) {
      deps.log.warn({ tool: t.name }, `mcp: plugin tool ${t.name} has the name of a kora__ tool of the MCP server and is not exposed`);
      continue;
    }
    let schema: z.ZodType;
    try {
      schema = z.fromJSONSchema(t.input_schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (err) {
      // A schema zod cannot read (a $ref outside it, say): exposed with any object as input;
      // the tool still checks its own input.
      deps.log.warn({ tool: t.name, err }, `mcp: the input schema of tool ${t.name} cannot be read (${(err as Error).message}); it is listed as taking any object`);
      schema = z.looseObject({});
    }
    out.push({ name: t.name, description: t.description ?? '', schema });
  }
  return out;
}

function success(result: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: result };
}

function refusal(err: unknown): CallToolResult {
  const error = describeFailure(err);
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }], structuredContent: { error } };
}

/** A plugin tool's outcome from the runtime pipeline: its result, or its coded failure (blocked, unknown, timed out). */
function fromToolCall(outcome: ToolCallResult): CallToolResult {
  if (!outcome.ok) {
    const error = { code: outcome.code, message: outcome.error, ...(outcome.blocked ? { blocked: outcome.blocked } : {}) };
    return { isError: true, content: [{ type: 'text', text: `${outcome.code}: ${outcome.error}` }], structuredContent: { error } };
  }
  const { result } = outcome;
  const text = typeof result === 'string' ? result : (JSON.stringify(result, null, 2) ?? 'null');
  const structured = result !== null && typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, unknown>) : undefined;
  return { content: [{ type: 'text', text }], ...(structured ? { structuredContent: structured } : {}) };
}
