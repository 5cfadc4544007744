// The engine: one reply is a tool-use loop of at most `maxCalls` model calls, each through the
// hook pipeline in the catalog's order (docs/reasoning.md lists it step by step). Every call
// leaves a usage row, answered or failed; a finished reply's turn is added to its conversation.
import {
  KoraError,
  type ApiRequest,
  type ApiResponse,
  type Clock,
  type ContentBlock,
  type Engine,
  type EngineReply,
  type EngineRequest,
  type LlmMessage,
  type LlmRoute,
  type LlmTool,
  type LlmUsage,
  type Logger,
  type PluginHooks,
  type TextBlock,
  type ToolResultBlock,
  type ToolUseBlock,
  type Tools,
} from '@kora/runtime';
import type { MessagesClient } from './client.js';
import type { EngineSettings } from './config.js';
import { aborted, outOfCalls } from './errors.js';
import { textOf, type ConversationStore } from './history.js';
import type { CallOutcome, UsageRecorder } from './usage.js';

export interface EngineDeps {
  readonly client: MessagesClient;
  readonly hooks: PluginHooks;
  readonly tools: Tools;
  readonly settings: EngineSettings;
  /** The identity's system blocks, resolved at start, with their cache marker. */
  readonly system: readonly TextBlock[];
  readonly usage: UsageRecorder;
  readonly history: ConversationStore;
  readonly clock: Clock;
  readonly log: Logger;
}

interface Totals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
}

/** A re-ask the `post_llm_call_can_reissue` hook asked for: the next call goes to `model`, with the draft as context. */
interface Reissue {
  readonly model: string;
  readonly reason: string;
  readonly draft: string;
  readonly from: string;
}

export class ReasoningEngine implements Engine {
  readonly #d: EngineDeps;
  /** Aborted by `close()` (the daemon stops): every reply in flight is cancelled. */
  readonly #closing = new AbortController();

  constructor(deps: EngineDeps) {
    this.#d = deps;
  }

  /** The configured ids of the `cheap` and `strong` tiers. */
  get models(): { readonly cheap: string; readonly strong: string } {
    return this.#d.settings.models;
  }

  close(): void {
    this.#closing.abort(new Error('the reasoning engine stopped'));
  }

  respond(request: EngineRequest): Promise<EngineReply> {
    const { conversation } = request;
    if (conversation === undefined) return this.#reply(request);
    return this.#d.history.serialize(conversation, () => this.#reply(request));
  }

  async #reply(request: EngineRequest): Promise<EngineReply> {
    const { settings, history, clock } = this.#d;
    const signal = request.signal ? AbortSignal.any([request.signal, this.#closing.signal]) : this.#closing.signal;
    if (signal.aborted) throw aborted(reason(signal));
    const route = {
      route: request.route,
      ...(request.conversation !== undefined ? { conversationId: request.conversation } : {}),
      ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
    };
    const { messages: before, lastSeq } = request.conversation !== undefined ? await history.load(request.conversation) : { messages: [], lastSeq: 0 };
    const turn: LlmMessage[] = [...request.messages];
    const offered = this.#offeredTools(request.tools);
    const totals: Totals = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
    let reissue: Reissue | undefined;
    let calls = 0;
    const t0 = clock.monotonic();
    let last: { request: ApiRequest; response: ApiResponse };

    for (;;) {
      calls += 1;
      const lastCall = calls === settings.maxCalls;
      const sent = await this.#prepare({ route, messages: [...before, ...turn], offered, lastCall, reissue, iteration: calls });
      const costBefore = totals.cost;
      const callStart = clock.monotonic();
      const response = await this.#call(sent, route, totals, signal);
      last = { request: sent, response };

      // A weak answer re-asked of another model (the haiku router): the draft is not kept.
      if (calls < settings.maxCalls) {
        const measures = { durationMs: clock.monotonic() - callStart, costUsd: totals.cost - costBefore, calls };
        const asked = await this.#d.hooks.dispatch('post_llm_call_can_reissue', { ...route, request: sent, response, ...measures });
        const model = asked ? this.#model(asked.value.model) : undefined;
        if (asked && model !== sent.model) {
          reissue = { model: model!, reason: asked.value.reason, draft: textOf(response.content), from: sent.model };
          continue;
        }
      }
      reissue = undefined;
      const uses = response.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
      if (response.stop_reason !== 'tool_use' || uses.length === 0 || lastCall) break;
      turn.push({ role: 'assistant', content: response.content });
      turn.push({ role: 'user', content: await this.#runTools(uses, route, signal) });
    }

    const answer = textOf(last.response.content);
    if (answer.trim() === '' && last.response.content.some((b) => b.type === 'tool_use')) throw outOfCalls(settings.maxCalls);
    const reply = { ...route, ...last, durationMs: clock.monotonic() - t0, costUsd: totals.cost, calls };
    const rewritten = await this.#d.hooks.dispatch('transform_llm_output', reply);
    const text = rewritten ? rewritten.value : answer;
    await this.#d.hooks.dispatch('post_llm_call', reply);

    if (request.conversation !== undefined) {
      // The turn ends with the assistant's text: a tool_use left unanswered (calls ran out) is not kept.
      const content: ContentBlock[] = last.response.content.filter((b) => b.type === 'text');
      turn.push({ role: 'assistant', content: content.length > 0 ? content : [{ type: 'text', text }] });
      try {
        await history.append(request.conversation, lastSeq, { at: clock.now(), route: request.route, messages: turn });
      } catch (err) {
        // The reply is paid for and the person waits for it: a turn that could not be kept costs
        // the next reply its context, never this reply. (A usage row's failed write is treated alike.)
        this.#d.log.error({ err, conversation: request.conversation, route: request.route }, `the turn of conversation ${request.conversation} could not be kept in its history; the reply is still given`);
      }
    }
    return {
      text,
      model: last.response.model,
      calls,
      stopReason: last.response.stop_reason,
      usage: { inputTokens: totals.input, outputTokens: totals.output, cacheReadTokens: totals.cacheRead, cacheWriteTokens: totals.cacheWrite, costUsd: totals.cost },
    };
  }

  /** A hook may name a tier, `cheap` or `strong`, for the configured model id. */
  #model(name: string): string {
    const { models } = this.#d.settings;
    return name === 'cheap' ? models.cheap : name === 'strong' ? models.strong : name;
  }

  /** Every registered tool, or those the request names (in registry order). */
  #offeredTools(names: readonly string[] | undefined): LlmTool[] {
    const all = this.#d.tools.list();
    if (names === undefined) return all;
    const wanted = new Set(names);
    return all.filter((t) => wanted.has(t.name));
  }

  /** pre_llm_call → pre_tool_list_finalized → pre_api_request_mutable: the request as it will be sent. */
  async #prepare(input: {
    route: LlmRoute;
    messages: LlmMessage[];
    offered: LlmTool[];
    lastCall: boolean;
    reissue: Reissue | undefined;
    /** Which model call of the reply this is, from 1. */
    iteration: number;
  }): Promise<ApiRequest> {
    const { settings, hooks } = this.#d;
    const { route, reissue } = input;
    const system: TextBlock[] = [...this.#d.system];
    if (reissue) system.push({ type: 'text', text: draftContext(reissue) });
    const built: ApiRequest = {
      model: reissue?.model ?? settings.models.cheap,
      max_tokens: settings.maxTokens,
      system: [...system],
      messages: input.messages,
      ...(input.offered.length > 0 ? { tools: input.offered } : {}),
    };

    const context = await hooks.dispatch('pre_llm_call', { ...route, request: built });
    for (const item of context) system.push(typeof item === 'string' ? { type: 'text', text: item } : item);

    const finalized = await hooks.dispatch('pre_tool_list_finalized', { route: route.route, tools: input.offered });
    const tools = finalized ? finalized.value : input.offered;
    const request: ApiRequest = {
      model: built.model,
      max_tokens: built.max_tokens,
      system,
      messages: built.messages,
      ...(tools.length > 0 ? { tools } : {}),
      // The last call allowed must answer in text, so a reply never ends on a tool it cannot run.
      ...(tools.length > 0 && input.lastCall ? { tool_choice: { type: 'none' } as const } : {}),
    };
    const turn = await hooks.dispatch('pre_api_request_mutable', { ...route, iteration: input.iteration, request });
    if (turn.refusal) {
      // A hook refused the call (a cost rung's hard stop): nothing is sent, and the channel
      // turns the code into a short answer.
      throw new KoraError('KORA_ERR_REASONING_REFUSED', `the model call was refused (${turn.refusal.code}): ${turn.refusal.message}`, { route: route.route, refusal: turn.refusal.code, reason: turn.refusal.message });
    }
    const mutated = turn.request;
    // A re-ask goes to the model the hook asked for, whatever the waterfall chose.
    const model = reissue ? reissue.model : this.#model(mutated.model);
    return model === mutated.model ? mutated : { ...mutated, model };
  }

  /** pre_api_request → the API → post_api_request, and the usage row. Throws the coded failure after both. */
  async #call(request: ApiRequest, route: LlmRoute, totals: Totals, signal: AbortSignal): Promise<ApiResponse> {
    const { hooks, clock, client, usage } = this.#d;
    await hooks.dispatch('pre_api_request', { ...route, request });
    const at = clock.now();
    const t0 = clock.monotonic();
    let response: ApiResponse | undefined;
    let failure: unknown;
    try {
      response = await client.create(request, { signal });
    } catch (err) {
      failure = err;
    }
    const durationMs = clock.monotonic() - t0;
    const billed: LlmUsage | undefined = response?.usage;
    const outcome = outcomeOf(failure);
    const cost = await usage.record({
      at,
      route: route.route,
      conversation: route.conversationId,
      model: response?.model ?? request.model,
      usage: billed,
      durationMs,
      outcome,
      errorCode: failure instanceof KoraError ? failure.code : failure === undefined ? null : 'unknown',
    });
    if (billed) {
      totals.input += billed.input_tokens;
      totals.output += billed.output_tokens;
      totals.cacheRead += billed.cache_read_input_tokens ?? 0;
      totals.cacheWrite += billed.cache_creation_input_tokens ?? 0;
      totals.cost += cost;
    }
    await hooks.dispatch('post_api_request', {
      ...route,
      request,
      durationMs,
      ...(response ? { response, usage: response.usage } : {}),
      ...(failure !== undefined ? { error: failure instanceof Error ? failure.message : String(failure) } : {}),
    });
    if (failure !== undefined || !response) throw failure;
    return response;
  }

  /** Each tool_use through the runtime's tool pipeline, in order; a failure is an is_error result for the model. */
  async #runTools(uses: readonly ToolUseBlock[], route: LlmRoute, signal: AbortSignal): Promise<ToolResultBlock[]> {
    const results: ToolResultBlock[] = [];
    for (const use of uses) {
      if (signal.aborted) throw aborted(reason(signal));
      const conversation = route.conversationId !== undefined ? { conversationId: route.conversationId } : {};
      const outcome = await this.#d.tools.call(use.name, { ...use.input }, { route: route.route, signal, toolUseId: use.id, ...conversation });
      if (signal.aborted) throw aborted(reason(signal));
      results.push(
        outcome.ok
          ? { type: 'tool_result', tool_use_id: use.id, content: resultText(outcome.result) }
          : { type: 'tool_result', tool_use_id: use.id, content: `${outcome.code}: ${outcome.error}`, is_error: true },
      );
    }
    return results;
  }
}

function draftContext(reissue: Reissue): string {
  return `A first answer to the last message, by ${reissue.from}, was set aside (${reissue.reason}). Answer it yourself; the draft follows as context only.\n\n${reissue.draft}`;
}

function resultText(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === undefined) return '';
  try {
    return JSON.stringify(result) ?? String(result);
  } catch {
    return String(result);
  }
}

function outcomeOf(failure: unknown): CallOutcome {
  if (failure === undefined) return 'ok';
  if (failure instanceof KoraError && failure.code === 'KORA_ERR_REASONING_ABORTED') return 'aborted';
  if (failure instanceof KoraError && failure.code === 'KORA_ERR_REASONING_TIMEOUT') return 'timeout';
  return 'error';
}

function reason(signal: AbortSignal): string {
  const why: unknown = signal.reason;
  if (why instanceof Error) return why.message;
  return typeof why === 'string' ? why : 'the caller aborted';
}
