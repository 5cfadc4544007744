// The Anthropic Messages API's shapes, as the LLM hooks carry them: snake_case like the API, so
// a request a plugin builds or rewrites goes to the API as it is, and read-only, because a
// hook changes a request by returning a change (pre_api_request_mutable), never by mutating it.

/** A prompt-cache breakpoint. `ttl` defaults to 5 minutes in the API. */
export interface CacheControl {
  readonly type: 'ephemeral';
  readonly ttl?: '5m' | '1h';
}

export interface TextBlock {
  readonly type: 'text';
  readonly text: string;
  readonly cache_control?: CacheControl;
}

export interface ToolUseBlock {
  readonly type: 'tool_use';
  readonly id: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly cache_control?: CacheControl;
}

export interface ToolResultBlock {
  readonly type: 'tool_result';
  readonly tool_use_id: string;
  readonly content: string | readonly TextBlock[];
  readonly is_error?: boolean;
  readonly cache_control?: CacheControl;
}

export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

export interface LlmMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string | readonly ContentBlock[];
}

/** A tool as the API is told about it. */
export interface LlmTool {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the input; the API requires an object schema. */
  readonly input_schema: { readonly type: 'object'; readonly [key: string]: unknown };
  readonly cache_control?: CacheControl;
}

export type ToolChoice =
  | { readonly type: 'auto'; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: 'any'; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: 'tool'; readonly name: string; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: 'none' };

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface LlmUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  /** Null when the API did not report it. */
  readonly cache_creation_input_tokens: number | null;
  readonly cache_read_input_tokens: number | null;
}

/** The body of `POST /v1/messages` (streaming is the engine's business, not the hooks'). */
export interface ApiRequest {
  readonly model: string;
  readonly max_tokens: number;
  /** Always blocks, never a bare string, so a cache breakpoint can go on any part of it. */
  readonly system?: readonly TextBlock[];
  readonly messages: readonly LlmMessage[];
  readonly tools?: readonly LlmTool[];
  readonly tool_choice?: ToolChoice;
  readonly temperature?: number;
  readonly metadata?: { readonly user_id?: string | null };
  readonly stop_sequences?: readonly string[];
}

/** What the API answered. */
export interface ApiResponse {
  readonly id: string;
  readonly type: 'message';
  readonly role: 'assistant';
  readonly model: string;
  readonly content: readonly (TextBlock | ToolUseBlock)[];
  readonly stop_reason: StopReason | null;
  readonly stop_sequence: string | null;
  readonly usage: LlmUsage;
}
