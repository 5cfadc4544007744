// The tool bridge on `pre_tool_call_can_provide_result`: the `kora__*` tools Kora answers itself,
// from the gateway's own read-only views, for the model. Whatever goes wrong (bad input, a
// failing view) comes back as `{ error: { code, message } }` for the model to read, never as a
// throw. Other `kora__*` tools (another plugin's `kora__send_slack`) are not answered here: the
// pipeline runs them as registered.
import { KoraError, tasksWithRecentRuns, z, type GatewayView, type ToolCall } from '@kora/runtime';

export interface BridgeError {
  readonly error: { readonly code: string; readonly message: string };
}

interface BridgedTool<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly input: S;
  answer(input: z.infer<S>, gateway: GatewayView): Promise<Record<string, unknown>>;
}

function bridged<S extends z.ZodType>(tool: BridgedTool<S>): BridgedTool {
  return tool as unknown as BridgedTool;
}

const epochOrIso = z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

export const BRIDGED_TOOLS: readonly BridgedTool[] = [
  bridged({
    name: 'kora__daemon_status',
    description: "The gateway's status: state (running, degraded…), problems, uptime, identity, plugins, daemons with their tasks, inbox counts.",
    input: z.object({}).strict(),
    answer: async (_input, gateway) => ({ ...gateway.status() }),
  }),
  bridged({
    name: 'kora__list_tasks',
    description: 'Every scheduled task of a running daemon: schedule, next and last run, counts, and its most recent runs (newest first).',
    input: z.object({ runs: z.number().int().min(1).max(50).optional().describe('Recent runs per task, default 5') }).strict(),
    async answer({ runs }, gateway) {
      return { tasks: await tasksWithRecentRuns(gateway, runs ?? 5) };
    },
  }),
  bridged({
    name: 'kora__audit_tail',
    description: 'Audit log entries, newest first, filtered by seam (llm.call, tool.call, operations.task_run…), plugin and time; page back with next_before_id as before_id.',
    input: z
      .object({
        seam: z.string().min(1).max(200).optional(),
        plugin: z.string().min(1).max(200).optional(),
        since: epochOrIso.optional().describe('Epoch ms or an ISO 8601 time'),
        until: epochOrIso.optional().describe('Epoch ms or an ISO 8601 time'),
        before_id: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(200).optional().describe('Default 20'),
      })
      .strict(),
    async answer({ seam, plugin, since, until, before_id, limit }, gateway) {
      const wanted = limit ?? 20;
      const entries = await gateway.auditPage({ seam, plugin, since, until, beforeId: before_id, limit: wanted });
      const last = entries.at(-1)?.id;
      return { entries, next_before_id: entries.length === wanted && last !== undefined ? last : null };
    },
  }),
];

const BY_NAME = new Map(BRIDGED_TOOLS.map((tool) => [tool.name, tool]));

export function isBridged(name: string): boolean {
  return BY_NAME.has(name);
}

function bridgeError(code: string, message: string): BridgeError {
  return { error: { code, message } };
}

/** The answer for `call`, an error object when it fails, or null when the bridge does not answer this tool. */
export async function answerKoraTool(call: Pick<ToolCall, 'tool' | 'input'>, gateway: GatewayView): Promise<Record<string, unknown> | BridgeError | null> {
  const tool = BY_NAME.get(call.tool);
  if (tool === undefined) return null;
  const parsed = tool.input.safeParse(call.input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`).join('; ');
    return bridgeError('invalid_input', `${call.tool} was called with input it does not take (${problems}); see its input schema`);
  }
  try {
    return await tool.answer(parsed.data, gateway);
  } catch (err) {
    if (err instanceof KoraError) return bridgeError(err.code, err.message);
    return bridgeError('tool_failed', `${call.tool} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The tools as the registry lists them to the model (JSON Schema of each input). */
export function bridgedToolSpecs(): { name: string; description: string; inputSchema: Record<string, unknown> }[] {
  return BRIDGED_TOOLS.map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
  }));
}
