// The closed catalog of hooks Kora knows, each with its kind. The kind decides how results
// combine, in the dispatcher, not at each call site. A `Record<HookName, kind>` below makes the
// compiler fail when a hook is added to the map but not classified.
import type { IdentityRequest, IdentitySpec } from '../identity/types.js';

export type HookKind = 'first' | 'merge' | 'guard' | 'observe' | 'collect';

export interface ToolCall {
  readonly tool: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The conversation route asking (e.g. `slack.dm`, `mcp`). */
  readonly route?: string;
  readonly sessionId?: string;
}

export interface ToolDescriptor {
  readonly name: string;
  readonly description: string;
  readonly inputSchema?: Readonly<Record<string, unknown>>;
}

export interface ToolResultEvent extends ToolCall {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
  readonly durationMs: number;
}

export interface LlmMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

export interface ApiRequest {
  readonly model: string;
  readonly maxTokens: number;
  readonly system?: string;
  readonly messages: readonly LlmMessage[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface LlmCallEvent {
  readonly request: ApiRequest;
  readonly response?: { readonly text: string; readonly model: string; readonly usage?: Readonly<Record<string, number>> };
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
 * Every known hook: its kind, what callbacks receive, what they return. Plugins may add their
 * own hooks by declaration merging; such hooks are dispatched as `collect` unless classified.
 */
export interface HookMap {
  pre_agent_identity_set: Hook<'first', IdentityRequest, IdentitySpec | null | undefined>;
  pre_tool_list_finalized: Hook<'first', { readonly tools: readonly ToolDescriptor[] }, readonly ToolDescriptor[] | null | undefined>;
  pre_tool_call_can_provide_result: Hook<'first', ToolCall, { readonly result: unknown } | null | undefined>;
  post_llm_call_can_reissue: Hook<'first', LlmCallEvent, ReissueRequest | null | undefined>;
  transform_llm_output: Hook<'first', LlmCallEvent, string | null | undefined>;
  pre_api_request_mutable: Hook<'merge', ApiRequest, Partial<ApiRequest> | null | undefined>;
  pre_tool_call: Hook<'guard', ToolCall, GuardVerdict>;
  post_tool_call: Hook<'observe', ToolResultEvent, void>;
  post_llm_call: Hook<'observe', LlmCallEvent, void>;
  on_session_start: Hook<'observe', { readonly sessionId: string }, void>;
  gateway_started: Hook<'observe', { readonly sessionId: string; readonly state: string }, void>;
  daemon_failed: Hook<'observe', { readonly daemon: string; readonly pluginId: string; readonly error: string; readonly fatal: boolean }, void>;
  pre_llm_call: Hook<'collect', LlmCallEvent, unknown>;
}

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
  pre_tool_list_finalized: 'first',
  pre_tool_call_can_provide_result: 'first',
  post_llm_call_can_reissue: 'first',
  transform_llm_output: 'first',
  pre_api_request_mutable: 'merge',
  pre_tool_call: 'guard',
  post_tool_call: 'observe',
  post_llm_call: 'observe',
  on_session_start: 'observe',
  gateway_started: 'observe',
  daemon_failed: 'observe',
  pre_llm_call: 'collect',
};

export function isKnownHook(name: string): name is HookName {
  return Object.hasOwn(HOOK_KINDS, name);
}

export function hookKind(name: string): HookKind {
  return isKnownHook(name) ? HOOK_KINDS[name] : 'collect';
}

/** What `dispatch` returns for each kind. */
export type DispatchResult<K extends HookName> = HookMap[K]['kind'] extends 'first'
  ? { readonly value: NonNullable<HookResult<K>>; readonly pluginId: string } | null
  : HookMap[K]['kind'] extends 'merge'
    ? Partial<HookPayload<K>>
    : HookMap[K]['kind'] extends 'guard'
      ? GuardResult
      : HookMap[K]['kind'] extends 'observe'
        ? void
        : NonNullable<HookResult<K>>[];
