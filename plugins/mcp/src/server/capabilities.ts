// What an MCP caller may do. A capability names one kind of access; each tool needs exactly one.
// Plugin tools (`ctx.registerTool({ mcp: true })`) need `tools:call`, or `tools:call:<name>` for
// that one tool; `*` grants everything.

export const CAPABILITIES = {
  'status:read': 'the gateway status and the tasks with their recent runs',
  'tasks:run': 'run a scheduled task now',
  'audit:read': 'read the audit log',
  'inbox:read': 'inbox topics and dead letters',
  'inbox:write': 'replay a dead letter',
  'gateway:stop': 'stop the gateway',
  'tools:call': "call every plugin tool exposed over MCP (or `tools:call:<name>` for one)",
  '*': 'everything above',
} as const;

export type Capability = keyof typeof CAPABILITIES | `tools:call:${string}`;

const TOOL_CAPABILITY_RE = /^tools:call:[A-Za-z0-9_.-]{1,128}$/;

export function isCapability(value: string): value is Capability {
  return Object.hasOwn(CAPABILITIES, value) || TOOL_CAPABILITY_RE.test(value);
}

/** Every capability, for callers that get all of them (the env tokens, the dev token). */
export const ALL: readonly Capability[] = ['*'];

/** Whether `granted` covers `needed`: itself, `*`, or `tools:call` for any `tools:call:<name>`. */
export function allows(granted: ReadonlySet<string>, needed: Capability): boolean {
  if (granted.has('*') || granted.has(needed)) return true;
  return needed.startsWith('tools:call:') && granted.has('tools:call');
}

/** The capability a plugin tool needs: the narrow one, which `tools:call` and `*` also grant. */
export function pluginToolCapability(tool: string): Capability {
  return `tools:call:${tool}`;
}
