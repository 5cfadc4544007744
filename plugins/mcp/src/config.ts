// The mcp plugin's config (`plugins.config.mcp`). The server has no setting of its own: its
// callers come from the env and `$KORA_HOME/mcp_callers.yaml`, its address from the web plugin.
// `servers` lists the MCP servers Kora consumes (`mcp_consumption`): a command run as a child
// process (stdio) or a URL (Streamable HTTP). A secret (a token in a header or the child's env)
// is named by its variable, `{ env: NAME }`, and read from the gateway's environment at connect.
// Strict, so a key meant for a later version is an error rather than silently ignored.
import { z } from '@kora/runtime';

/** A literal, or `{ env: NAME }`: the value of that variable of the gateway's environment. */
const secretValue = z.union([z.string(), z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }).strict()]);
export type SecretValue = z.infer<typeof secretValue>;

/** Part of every tool's name (`mcp__<name>__<tool>`): lower-case, no `__` inside. */
const serverName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(?:_[a-z0-9-]+)*$/, 'lower-case letters, digits, - and single _ (it becomes part of tool names mcp__<name>__<tool>)')
  .max(32);

const common = {
  name: serverName,
  /** Per request (connect, list, call), in ms; default 30 000. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
};

const stdioServer = z
  .object({
    ...common,
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    /** Added to the child's small default environment (PATH, HOME…), never the gateway's whole one. */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), secretValue).optional(),
    cwd: z.string().min(1).optional(),
  })
  .strict();

const httpServer = z
  .object({
    ...common,
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), secretValue).optional(),
  })
  .strict();

export const mcpServerSchema = z.union([stdioServer, httpServer]);
export type McpServerConfig = z.infer<typeof mcpServerSchema>;

export const mcpConfigSchema = z
  .object({
    servers: z
      .array(mcpServerSchema)
      .refine((list) => new Set(list.map((s) => s.name)).size === list.length, 'server names must be unique')
      .optional(),
  })
  .strict();

export type McpConfig = z.infer<typeof mcpConfigSchema>;
