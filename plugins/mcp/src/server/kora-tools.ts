// The MCP server's own tools, `kora__*`: the same views and operations the admin API offers, each
// behind one capability. Inputs are zod shapes (the SDK validates them and lists their JSON
// Schema); every result is an object, sent as text and as structured content.
import { tasksWithRecentRuns, type GatewayOperations, type GatewayView } from '@kora/runtime';
import { z } from 'zod';
import type { Capability } from './capabilities.js';
import type { Caller } from './callers.js';
import { ToolRefusal } from './tool-error.js';

export interface KoraToolDeps {
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
}

export interface KoraToolCall {
  readonly caller: Caller;
  /** Aborted when the client cancels or goes away, or the daemon stops. */
  readonly signal: AbortSignal;
}

export interface KoraTool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly capability: Capability;
  readonly input: Shape;
  /** MCP tool annotations: hints for the client, never trusted for access. */
  readonly readOnly: boolean;
  run(input: z.infer<z.ZodObject<Shape>>, deps: KoraToolDeps, call: KoraToolCall): Promise<Record<string, unknown>>;
}

/** The actor the runtime's operations audit: `mcp:<caller id>`. */
export const actorOf = (caller: Caller): string => `mcp:${caller.id}`;

function tool<Shape extends z.ZodRawShape>(spec: KoraTool<Shape>): KoraTool {
  return spec as unknown as KoraTool;
}

const epochOrIso = z
  .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** Resolves with `promise`, or rejects when `signal` aborts first (the work itself goes on). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export const KORA_TOOLS: readonly KoraTool[] = [
  tool({
    name: 'kora__daemon_status',
    title: 'Gateway status',
    description:
      "The gateway's status, the same shape as the admin API's GET /api/status and `kora status --json`: state (booting, running, degraded, shutting_down, stopped), problems, uptime, sessionId (the confirm_token kora__request_stop needs), identity, plugins, daemons with their tasks, inbox counts.",
    capability: 'status:read',
    input: {},
    readOnly: true,
    run: async (_input, { gateway }) => ({ ...gateway.status() }),
  }),
  tool({
    name: 'kora__list_tasks',
    title: 'Scheduled tasks',
    description: 'Every scheduled task of a running daemon: its schedule, next run, last run, run and failure counts, and its most recent ledger rows (newest first; trigger "manual" for runs asked through kora__run_task or the admin API).',
    capability: 'status:read',
    input: { runs: z.number().int().min(1).max(50).optional().describe('Recent runs per task, default 5') },
    readOnly: true,
    async run({ runs }, { gateway }) {
      return { tasks: await tasksWithRecentRuns(gateway, runs ?? 5) };
    },
  }),
  tool({
    name: 'kora__run_task',
    title: 'Run a task now',
    description:
      'Run a scheduled task now, outside its schedule (a ledger row with trigger "manual", audited with this caller). Never twice at once: a task already running is refused (KORA_ERR_TASK_RUNNING). With wait: true, answers with the finished run row (status ok, failed or timeout); otherwise once the run has started.',
    capability: 'tasks:run',
    input: {
      name: z.string().min(1).max(200).describe('Task name, e.g. snapshot.compute (see kora__list_tasks)'),
      wait: z.boolean().optional().describe('Wait for the run to finish and return its row'),
    },
    readOnly: false,
    async run({ name, wait }, { operations }, { caller, signal }) {
      const run = await operations.runTask(name, { actor: actorOf(caller) });
      const started = { task: run.task, daemon: run.daemon, slot: run.slot };
      if (!wait) {
        // Nobody awaits it here; the ledger has the outcome.
        run.done.catch(() => undefined);
        return { ...started, started: true };
      }
      return { ...started, run: await unlessAborted(run.done, signal) };
    },
  }),
  tool({
    name: 'kora__audit_tail',
    title: 'Audit log',
    description:
      'Audit log entries, newest first, filtered by seam (e.g. operations.task_run, mcp.denied), plugin and time. Page back by passing next_before_id as before_id.',
    capability: 'audit:read',
    input: {
      seam: z.string().min(1).max(200).optional().describe('Only this seam, e.g. operations.task_run'),
      plugin: z.string().min(1).max(200).optional().describe('Only entries this plugin wrote (runtime for the operations)'),
      since: epochOrIso.optional().describe('Entries at or after this time: epoch ms or an ISO 8601 time'),
      until: epochOrIso.optional().describe('Entries before this time: epoch ms or an ISO 8601 time'),
      before_id: z.number().int().positive().optional().describe('Entries older than this id (next_before_id of the previous page)'),
      limit: z.number().int().min(1).max(500).optional().describe('Default 50'),
    },
    readOnly: true,
    async run({ seam, plugin, since, until, before_id, limit }, { gateway }) {
      const wanted = limit ?? 50;
      const entries = await gateway.auditPage({ seam, plugin, since, until, beforeId: before_id, limit: wanted });
      const last = entries.at(-1)?.id;
      return { entries, next_before_id: entries.length === wanted && last !== undefined ? last : null };
    },
  }),
  tool({
    name: 'kora__dead_letters',
    title: 'Dead letters',
    description: 'Inbox counts per topic (pending, in flight, dead) and the dead letters, most recently dead first, each with its payload and every error (secrets scrubbed).',
    capability: 'inbox:read',
    input: {
      topic: z.string().min(1).max(200).optional().describe('Only this inbox topic, e.g. slack.events'),
      limit: z.number().int().min(1).max(200).optional().describe('Default 20'),
    },
    readOnly: true,
    async run({ topic, limit }, { operations }) {
      const [topics, dead] = await Promise.all([operations.inbox.topics(), operations.inbox.dead({ topic, limit: limit ?? 20 })]);
      return { topics, dead };
    },
  }),
  tool({
    name: 'kora__replay_dead_letter',
    title: 'Replay a dead letter',
    description: 'Put a dead letter back to pending, so its consumer gets it again (audited with this caller). The id comes from kora__dead_letters.',
    capability: 'inbox:write',
    input: { id: z.number().int().positive().describe('Dead letter id') },
    readOnly: false,
    async run({ id }, { operations }, { caller }) {
      const replayed = await operations.inbox.replay(id, { actor: actorOf(caller) });
      if (!replayed) throw new ToolRefusal('dead_letter_unknown', `no dead letter has id ${id} (replayed or discarded already?): list them with kora__dead_letters`);
      return { id, replayed: true };
    },
  }),
  tool({
    name: 'kora__request_stop',
    title: 'Stop the gateway',
    description:
      "Stop the gateway cleanly, as SIGTERM would (it exits 0; a supervisor may restart it). confirm_token must be the gateway's current sessionId, read from kora__daemon_status just before: a token from an earlier run is refused. actor says who is asking; it goes into the audit log and the shutdown reason.",
    capability: 'gateway:stop',
    input: {
      confirm_token: z.string().min(1).max(200).describe('The current sessionId from kora__daemon_status'),
      actor: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@ -]{0,63}$/, 'a name of letters, digits, spaces and _.:@- (at most 64)')
        .describe('Who asks for the stop, e.g. "alice" or "claude-desktop"'),
      reason: z.string().max(120).optional().describe('Why, for the audit log and the shutdown reason'),
    },
    readOnly: false,
    async run({ confirm_token, actor, reason }, { gateway, operations }, { caller }) {
      if (confirm_token !== gateway.sessionId) {
        throw new ToolRefusal(
          'confirm_token_stale',
          "confirm_token is not this gateway's current session id (stale from an earlier run, or mistyped): read sessionId from kora__daemon_status and pass it as confirm_token",
        );
      }
      const why = reason?.trim() ? `asked by ${actor}: ${reason.trim()}` : `asked by ${actor}`;
      await operations.requestStop({ actor: actorOf(caller), reason: why });
      return { stopping: true, sessionId: gateway.sessionId };
    },
  }),
];
