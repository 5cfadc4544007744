// The mcp plugin's config (`plugins.config.mcp`). The server has no setting of its own yet: its
// callers come from the env and `$KORA_HOME/mcp_callers.yaml`, its address from the web plugin.
// Strict, so a key meant for a later version is an error rather than silently ignored.
import { z } from '@kora/runtime';

export const mcpConfigSchema = z.object({}).strict();

export type McpConfig = z.infer<typeof mcpConfigSchema>;
