// The MCP client pool of `mcp_consumption` (decision 0127): one session per configured server,
// opened on first use (the health check, or a tool call) with the official SDK over stdio or
// Streamable HTTP, dropped when it fails and opened again by the next use. The tools a session
// lists are cached per server until the next check; `close()` ends every session (a stdio child
// exits) and clears the cache. Errors carry no secret: header and env values are masked.
import { KoraError, type Logger, type McpServerHealth, type ToolSpec } from '@kora/runtime';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServerConfig, SecretValue } from '../config.js';

export const TOOL_PREFIX = 'mcp__';
/** The Messages API's tool names: letters, digits, _ and -, at most 64. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_TIMEOUT_MS = 30_000;

export function toolPrefix(server: string): string {
  return `${TOOL_PREFIX}${server}__`;
}

interface ListedTool {
  readonly name: string;
  readonly description?: string | undefined;
  readonly inputSchema: Record<string, unknown>;
}

interface ServerState {
  readonly config: McpServerConfig;
  session: Promise<Client> | null;
  tools: ToolSpec[];
  health: McpServerHealth;
}

export interface PoolDeps {
  readonly servers: readonly McpServerConfig[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: { now(): number };
  readonly log: Logger;
  readonly version: string;
}

export class McpClientPool {
  readonly #d: PoolDeps;
  readonly #servers = new Map<string, ServerState>();
  #closed = false;

  constructor(deps: PoolDeps) {
    this.#d = deps;
    for (const config of deps.servers) {
      this.#servers.set(config.name, { config, session: null, tools: [], health: initialHealth(config) });
    }
  }

  health(): McpServerHealth[] {
    return [...this.#servers.values()].map((s) => s.health);
  }

  /** The tools `server` listed at its last check, as the engine is offered them. */
  tools(server: string): readonly ToolSpec[] {
    return this.#servers.get(server)?.tools ?? [];
  }

  /** `mcp.health_check`: every server, at once; each opens its session if it has none and lists its tools. */
  async checkAll(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.#servers.keys()].map((name) => this.check(name, signal)));
  }

  async check(name: string, signal?: AbortSignal): Promise<McpServerHealth> {
    const state = this.#state(name);
    const at = this.#d.clock.now();
    try {
      const client = await this.#session(state);
      const listed = await listAll(client, this.#options(state, signal));
      state.tools = this.#specs(state, listed);
      state.health = { ...state.health, connected: true, tools: state.tools.length, lastCheck: at, lastError: null };
    } catch (err) {
      await this.#drop(state);
      const message = this.#mask(state, err instanceof Error ? err.message : String(err));
      state.health = { ...state.health, connected: false, lastCheck: at, lastError: message };
      this.#d.log.warn({ server: name }, `mcp_consumption: server ${name} failed its health check: ${message}`);
    }
    return state.health;
  }

  /** One tool call; a session that fails on the way is dropped, and the next use opens another. */
  async call(server: string, tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const state = this.#state(server);
    let client: Client;
    try {
      client = await this.#session(state);
    } catch (err) {
      await this.#drop(state);
      throw new KoraError('KORA_ERR_MCP_SERVER', `MCP server "${server}" cannot be reached: ${this.#mask(state, err instanceof Error ? err.message : String(err))}`, { server });
    }
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await client.callTool({ name: tool, arguments: input }, undefined, this.#options(state, signal));
    } catch (err) {
      if (!signal.aborted) await this.#drop(state);
      throw new KoraError('KORA_ERR_MCP_SERVER', `MCP server "${server}" failed tool ${tool}: ${this.#mask(state, err instanceof Error ? err.message : String(err))}`, { server, tool });
    }
    const text = contentText(result.content);
    // The server's own "the tool failed": its text is what the model should read.
    if (result.isError === true) throw new Error(text || `tool ${tool} of MCP server ${server} reported an error`);
    const structured = result.structuredContent;
    if (structured && typeof structured === 'object') return structured;
    return text;
  }

  /** Close every session (stdio children exit), forget every tool; the pool opens nothing after. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#servers.values()].map((s) => this.#drop(s)));
    for (const s of this.#servers.values()) {
      s.tools = [];
      s.health = { ...s.health, connected: false, tools: 0 };
    }
  }

  #state(name: string): ServerState {
    const state = this.#servers.get(name);
    if (!state) throw new KoraError('KORA_ERR_MCP_SERVER', `No MCP server "${name}" is configured (plugins.config.mcp.servers)`, { server: name });
    return state;
  }

  #options(state: ServerState, signal?: AbortSignal) {
    return { timeout: state.config.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(signal ? { signal } : {}) };
  }

  #session(state: ServerState): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('the mcp_consumption daemon has stopped'));
    state.session ??= this.#open(state).catch((err: unknown) => {
      state.session = null;
      throw err;
    });
    return state.session;
  }

  async #open(state: ServerState): Promise<Client> {
    const { config } = state;
    // The SDK's client side is imported on first use, not at boot.
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new Client({ name: 'kora', version: this.#d.version });
    if ('command' in config) {
      const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      const transport = new StdioClientTransport({
        command: config.command,
        args: config.args ?? [],
        env: this.#resolveAll(config.env),
        ...(config.cwd ? { cwd: config.cwd } : {}),
        // Its stderr is its own log: kept out of the gateway's output.
        stderr: 'ignore',
      });
      // A failed handshake is closed by the SDK (a child that never answered is ended).
      await client.connect(transport, { timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    } else {
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      const transport = new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: this.#resolveAll(config.headers) } });
      await client.connect(transport, { timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    }
    // A session the server or the child ends is dropped, so the next use opens another.
    client.onclose = () => {
      if (state.session) state.session = null;
      state.health = { ...state.health, connected: false };
    };
    return client;
  }

  async #drop(state: ServerState): Promise<void> {
    const session = state.session;
    state.session = null;
    if (!session) return;
    const client = await session.catch(() => null);
    if (!client) return;
    client.onclose = undefined;
    await client.close().catch((err: unknown) => this.#d.log.debug({ err, server: state.config.name }, 'mcp_consumption: closing a session failed'));
  }

  #specs(state: ServerState, listed: readonly ListedTool[]): ToolSpec[] {
    const server = state.config.name;
    const prefix = toolPrefix(server);
    const specs: ToolSpec[] = [];
    for (const t of listed) {
      const name = `${prefix}${t.name}`;
      if (!TOOL_NAME.test(name)) {
        this.#d.log.warn({ server, tool: t.name }, `mcp_consumption: tool "${t.name}" of server ${server} is not offered: ${name} is not a tool name the model takes (letters, digits, _ and -, at most 64)`);
        continue;
      }
      specs.push({
        name,
        description: `${t.description ?? t.name} (tool ${t.name} of MCP server ${server})`,
        inputSchema: t.inputSchema,
        timeout: state.config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        run: (input, { signal }) => this.call(server, t.name, input, signal),
      });
    }
    return specs;
  }

  #resolve(value: SecretValue): string {
    if (typeof value === 'string') return value;
    return this.#d.env[value.env] ?? '';
  }

  #resolveAll(values: Record<string, SecretValue> | undefined): Record<string, string> {
    return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, this.#resolve(v)]));
  }

  /** `message` with every configured header and env value masked, read from the environment or not. */
  #mask(state: ServerState, message: string): string {
    const values = 'command' in state.config ? Object.values(state.config.env ?? {}) : Object.values(state.config.headers ?? {});
    let out = message;
    for (const v of values) {
      const secret = this.#resolve(v);
      if (secret.length >= 4) out = out.split(secret).join('[redacted]');
    }
    return out.slice(0, 500);
  }
}

function initialHealth(config: McpServerConfig): McpServerHealth {
  return { name: config.name, transport: 'command' in config ? 'stdio' : 'http', connected: false, tools: 0, lastCheck: null, lastError: null };
}

async function listAll(client: Client, options: { timeout: number; signal?: AbortSignal }): Promise<ListedTool[]> {
  const out: ListedTool[] = [];
  let cursor: string | undefined;
  // Bounded: a server that pages forever is cut at 50 pages.
  for (let page = 0; page < 50; page++) {
    const answer = await client.listTools(cursor ? { cursor } : {}, options);
    for (const t of answer.tools) out.push({ name: t.name, description: t.description, inputSchema: t.inputSchema as Record<string, unknown> });
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return out;
}

function contentText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((block: { type?: string; text?: string }) => (block.type === 'text' && typeof block.text === 'string' ? block.text : `[${block.type ?? 'content'}]`))
    .join('\n');
}
