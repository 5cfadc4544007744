// The one path every tool call takes, whoever asks (the reasoning engine, the MCP server, a
// test): the `pre_tool_call` guard, then `pre_tool_call_can_provide_result` (a plugin may answer
// for the tool, e.g. the kora__* bridge), then the tool's own `run`, then `post_tool_call`.
// A call never throws: its outcome, blocked or failed, comes back as a value.
import { describeError, KoraError, type KoraErrorCode } from '../errors.js';
import type { ToolCall } from '../hooks/catalog.js';
import type { HookBus } from '../hooks/hook-bus.js';
import type { LlmTool } from '../hooks/llm-types.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import { parseDuration } from '../time/duration.js';
import { attempt, raceTimeout, rejectWhenAborted, TIMED_OUT } from '../time/timeout.js';
import type { Attribution } from './attribution.js';
import type { ToolRegistry } from './tool-registry.js';

export interface ToolCallOptions {
  /** The conversation route asking (e.g. `slack.dm`, `mcp`), passed to the hooks. */
  route?: string;
  /** Cancels the call; the tool's own signal is aborted with it. */
  signal?: AbortSignal;
  sessionId?: string;
  /** The API's `tool_use` block id the call answers, passed to the hooks. Host API 1.1. */
  toolUseId?: string;
  /** The conversation the call belongs to, passed to the hooks. Host API 1.1. */
  conversationId?: string;
  /**
   * Who asks, when a surface vouches for it (the MCP server passes `mcp:<caller id>`): given to the
   * tool's `run`, so a tool that changes something audits its actor. Never set for the model's calls.
   */
  actor?: string;
}

type Outcome =
  | { readonly ok: true; readonly result: unknown; readonly providedBy: string }
  | {
      readonly ok: false;
      readonly code: KoraErrorCode;
      readonly error: string;
      /** Set when a `pre_tool_call` guard blocked the call. */
      readonly blocked?: readonly { readonly pluginId: string; readonly reason: string }[];
    };

/** How a tool call ended: its result and who provided it, or the coded reason it did not run or failed. */
export type ToolCallResult = Outcome & { readonly tool: string; readonly durationMs: number };

/** What plugins see as `ctx.tools`. */
export interface Tools {
  /** Every registered tool, in registration order, in the shape the Messages API takes; with `mcp: true`, only those a plugin exposed over MCP. */
  list(options?: { mcp?: boolean }): LlmTool[];
  call(name: string, input: Record<string, unknown>, options?: ToolCallOptions): Promise<ToolCallResult>;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

export interface ToolPipelineOptions {
  tools: ToolRegistry;
  hooks: HookBus;
  clock: Clock;
  logger: Logger;
  attribution: Attribution;
  timeoutMs?: number;
}

export class ToolPipeline implements Tools {
  readonly #o: ToolPipelineOptions;

  constructor(options: ToolPipelineOptions) {
    this.#o = options;
  }

  list(options: { mcp?: boolean } = {}): LlmTool[] {
    const entries = this.#o.tools.list().filter(({ tool }) => !options.mcp || tool.mcp === true);
    return entries.map(({ tool }) => ({ name: tool.name, description: tool.description, input_schema: { ...tool.inputSchema, type: 'object' } }));
  }

  async call(name: string, input: Record<string, unknown>, options: ToolCallOptions = {}): Promise<ToolCallResult> {
    const { hooks, clock } = this.#o;
    const t0 = clock.now();
    const call: ToolCall = {
      tool: name,
      input,
      ...(options.route !== undefined ? { route: options.route } : {}),
      ...(options.conversationId !== undefined ? { conversationId: options.conversationId } : {}),
      ...(options.toolUseId !== undefined ? { toolUseId: options.toolUseId } : {}),
      ...(options.sessionId !== undefined ? { sessionId: options.sessionId } : {}),
    };
    const outcome = await this.#run(name, input, call, options);
    const durationMs = clock.now() - t0;
    const result = { ...outcome, tool: name, durationMs } as ToolCallResult;
    await hooks.dispatch('post_tool_call', {
      ...call,
      ok: result.ok,
      durationMs,
      ...(result.ok ? { result: result.result } : { error: result.error }),
    });
    return result;
  }

  async #run(
    name: string,
    input: Record<string, unknown>,
    call: ToolCall,
    options: ToolCallOptions,
  ): Promise<Outcome> {
    const { hooks, tools, attribution, clock } = this.#o;
    if (options.signal?.aborted) return failure('KORA_ERR_TOOL_ABORTED', `tool "${name}" was cancelled before it ran`);
    const verdict = await hooks.dispatch('pre_tool_call', call);
    if (verdict.blocked) {
      const why = verdict.reasons.map((r) => `${r.pluginId}: ${r.reason}`).join('; ');
      return { ...failure('KORA_ERR_TOOL_BLOCKED', `tool "${name}" was blocked by pre_tool_call (${why})`), blocked: verdict.reasons };
    }
    const provided = await hooks.dispatch('pre_tool_call_can_provide_result', call);
    if (provided !== null) return { ok: true, result: provided.value.result, providedBy: provided.pluginId };

    const registered = tools.entry(name);
    if (!registered) {
      const known = tools.list().map((t) => t.tool.name);
      return failure('KORA_ERR_TOOL_UNKNOWN', `no tool "${name}" is registered${known.length ? ` (registered: ${known.join(', ')})` : ' (none is registered)'}, and no plugin provided a result for it`);
    }
    const { tool, pluginId } = registered;
    // Cancelled while the hooks ran: the tool is not started at all.
    if (options.signal?.aborted) return failure('KORA_ERR_TOOL_ABORTED', `tool "${name}" was cancelled before it ran`);
    const timeoutMs = tool.timeout !== undefined ? parseDuration(tool.timeout, `timeout of tool "${name}"`) : (this.#o.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS);
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const running = attempt(() => attribution.run({ pluginId }, () => tool.run(input, { signal: controller.signal, ...(options.actor !== undefined ? { actor: options.actor } : {}) })));
      const value = await raceTimeout(options.signal ? Promise.race([running, rejectWhenAborted(options.signal)]) : running, timeoutMs, clock);
      if (value === TIMED_OUT) {
        controller.abort(new KoraError('KORA_ERR_TOOL_TIMEOUT', `tool "${name}" timed out after ${timeoutMs} ms`));
        return failure('KORA_ERR_TOOL_TIMEOUT', `tool "${name}" of plugin "${pluginId}" did not answer within ${timeoutMs} ms`);
      }
      return { ok: true, result: value, providedBy: pluginId };
    } catch (err) {
      if (options.signal?.aborted) return failure('KORA_ERR_TOOL_ABORTED', `tool "${name}" was cancelled`);
      this.#o.logger.warn({ tool: name, pluginId, err }, `tool ${name} of plugin ${pluginId} failed: ${describeError(err)}`);
      return failure(err instanceof KoraError ? err.code : 'KORA_ERR_TOOL_FAILED', `tool "${name}" of plugin "${pluginId}" failed: ${describeError(err)}`);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function failure(code: KoraErrorCode, error: string): { ok: false; code: KoraErrorCode; error: string } {
  return { ok: false, code, error };
}
