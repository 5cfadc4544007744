// The closed catalog of hooks Kora knows, each with its kind. The kind decides how results
// combine, in the dispatcher, not at each call site. A `Record<HookName, kind>` below makes the
// compiler fail when a hook is added to the map but not classified.
import type { IdentityRequest, IdentitySpec } from '../identity/types.js';
import type { ApiRequest, ApiResponse, LlmTool, LlmUsage, TextBlock } from './llm-types.js';

export type HookKind = 'first' | 'merge' | 'waterfall' | 'guard' | 'observe' | 'collect';

/** Where an LLM turn comes from (`slack`, `email`, `mcp`…) and the conversation it belongs to. */
export interface LlmRoute {
  readonly route: string;
  readonly conversationId?: string;
  /** The caller's context (who wrote, where: `EngineRequest.metadata`), never sent to the model as such. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A turn about to be sent: the request as the engine built it. */
export interface LlmRequestEvent extends LlmRoute {
  readonly request: ApiRequest;
}

/**
 * A model call about to be prepared (`pre_api_request_mutable`): the request so far, where it
 * comes from and which call of the reply it is. A callback answers `{ request }` (the whole new
 * request: the value is merged one level deep) or `{ refusal }`, which stops the call: the
 * engine sends nothing and rejects the reply with the refusal's code (the channel turns it into
 * a short answer).
 */
export interface ApiRequestTurn extends LlmRoute {
  /** 1 for the first model call of a reply; more in the tool-use loop or a re-ask. */
  readonly iteration: number;
  readonly request: ApiRequest;
  readonly refusal?: CallRefusal;
}

export interface CallRefusal {
  /** Lower-case words, e.g. `cost_hard_stop`. */
  readonly code: string;
  /** One sentence for the person asking. */
  readonly message: string;
}

/** A turn the API answered. */
export interface LlmCallEvent extends LlmRequestEvent {
  readonly response: ApiResponse;
  /**
   * Set by the engine (host API 1.1). On `post_llm_call_can_reissue`: this model call's. On
   * `transform_llm_output` and `post_llm_call`: the whole reply's, every call of the tool-use
   * loop and its tools included.
   */
  readonly durationMs?: number;
  /** What the same calls cost, from the engine's price table (USD). */
  readonly costUsd?: number;
  /** Model calls the reply made so far (the tool-use loop, a re-ask). */
  readonly calls?: number;
}

/** One API round trip, answered or failed. */
export interface ApiResultEvent extends LlmRequestEvent {
  /** Absent when the request failed. */
  readonly response?: ApiResponse;
  /** What the API billed, also when the request failed after tokens were spent. */
  readonly usage?: LlmUsage;
  readonly durationMs: number;
  /** Why the request failed (already redacted). */
  readonly error?: string;
}

export interface ToolListEvent {
  readonly route: string;
  readonly tools: readonly LlmTool[];
}

export interface ToolCall {
  readonly tool: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The conversation route asking (e.g. `slack.dm`, `mcp`). */
  readonly route?: string;
  /** The API's `tool_use` block id, when the call comes from the model. */
  readonly toolUseId?: string;
  /** The conversation the call belongs to, when the engine knows it. Host API 1.1. */
  readonly conversationId?: string;
  readonly sessionId?: string;
}

export interface ToolResultEvent extends ToolCall {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
  readonly durationMs: number;
}

export interface ReissueRequest {
  readonly model: string;
  readonly reason: string;
}

/** A guard callback's answer: block with a reason, or let it through (null/undefined/`{ block: false }`). */
export type GuardVerdict = { readonly block: true; readonly reason: string } | { readonly block: false } | null | undefined | void;

export interface GuardResult {
  readonly blocked: boolean;
  /** Reasons of every blocking callback, with the plugin that blocked. */
  readonly reasons: readonly { readonly pluginId: string; readonly reason: string }[];
}

interface Hook<K extends HookKind, P, R> {
  kind: K;
  payload: P;
  result: R;
}

/**
 * Every known hook: its kind, what callbacks receive, what they return. A plugin's own hooks are
 * classified at run time with `defineHook` (or its manifest), not by merging into this map.
 * The LLM hooks in the order the engine fires them for one turn.
 */
export interface HookMap {
  pre_agent_identity_set: Hook<'first', IdentityRequest, IdentitySpec | null | undefined>;
  /** Context for the turn, which the engine adds to the request: text, or a text block to carry a cache marker. */
  pre_llm_call: Hook<'collect', LlmRequestEvent, string | TextBlock | null | undefined | void>;
  pre_tool_list_finalized: Hook<'first', ToolListEvent, readonly LlmTool[] | null | undefined>;
  /**
   * A waterfall: each callback sees the turn as the previous ones left it and answers a new
   * `request`, or a `refusal` that stops the call; the result is the final turn.
   */
  pre_api_request_mutable: Hook<'waterfall', ApiRequestTurn, { readonly request?: ApiRequest; readonly refusal?: CallRefusal } | null | undefined>;
  pre_api_request: Hook<'observe', LlmRequestEvent, void>;
  post_api_request: Hook<'observe', ApiResultEvent, void>;
  post_llm_call_can_reissue: Hook<'first', LlmCallEvent, ReissueRequest | null | undefined>;
  pre_tool_call: Hook<'guard', ToolCall, GuardVerdict>;
  pre_tool_call_can_provide_result: Hook<'first', ToolCall, { readonly result: unknown } | null | undefined>;
  post_tool_call: Hook<'observe', ToolResultEvent, void>;
  /** The reply's text, rewritten. */
  transform_llm_output: Hook<'first', LlmCallEvent, string | null | undefined>;
  post_llm_call: Hook<'observe', LlmCallEvent, void>;
  on_session_start: Hook<'observe', { readonly sessionId: string }, void>;
  gateway_started: Hook<'observe', { readonly sessionId: string; readonly state: string }, void>;
  daemon_failed: Hook<'observe', { readonly daemon: string; readonly pluginId: string; readonly error: string; readonly fatal: boolean }, void>;
}

// No hook's result may be `unknown`: a callback that takes no parameters is typed before its hook
// name is known, against every hook's result at once, and an `unknown` among them would widen
// `{ block: false }` to `{ block: boolean }`, which no guard accepts.
export type HookName = keyof HookMap;
export type HookPayload<K extends HookName> = HookMap[K]['payload'];
export type HookResult<K extends HookName> = HookMap[K]['result'];

export interface HookCallContext {
  readonly pluginId: string;
  readonly hook: string;
  /** Aborted when the callback's timeout expires. */
  readonly signal: AbortSignal;
}

export type HookCallback<K extends HookName> = (
  payload: HookPayload<K>,
  context: HookCallContext,
) => HookResult<K> | Promise<HookResult<K>>;

/** Callback type for a hook name outside the catalog. */
export type UnknownHookCallback = (payload: unknown, context: HookCallContext) => unknown;

export const HOOK_KINDS: { readonly [K in HookName]: HookMap[K]['kind'] } = {
  pre_agent_identity_set: 'first',
  pre_llm_call: 'collect',
  pre_tool_list_finalized: 'first',
  pre_api_request_mutable: 'waterfall',
  pre_api_request: 'observe',
  post_api_request: 'observe',
  post_llm_call_can_reissue: 'first',
  pre_tool_call: 'guard',
  pre_tool_call_can_provide_result: 'first',
  post_tool_call: 'observe',
  transform_llm_output: 'first',
  post_llm_call: 'observe',
  on_session_start: 'observe',
  gateway_started: 'observe',
  daemon_failed: 'observe',
};

export const HOOK_NAMES: readonly HookName[] = Object.keys(HOOK_KINDS) as HookName[];

export function isKnownHook(name: string): name is HookName {
  return Object.hasOwn(HOOK_KINDS, name);
}

/** What a callback's result counts as when it is not "no answer". */
type Answer<R> = Exclude<R, null | undefined | void>;

/** What a dispatch returns, by kind, for a hook whose callbacks take `P` and return `R`. */
export type DispatchResultOf<K extends HookKind, P, R> = {
  first: { readonly value: Answer<R>; readonly pluginId: string } | null;
  merge: Partial<Answer<R>>;
  waterfall: P;
  guard: GuardResult;
  observe: void;
  collect: Answer<R>[];
}[K];

/** What `dispatch` returns for each catalogued hook. */
export type DispatchResult<K extends HookName> = DispatchResultOf<HookMap[K]['kind'], HookPayload<K>, HookResult<K>>;
