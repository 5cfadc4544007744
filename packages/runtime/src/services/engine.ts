// The `engine` service (DESIGN §8): what the reasoning plugin's daemon provides once it runs,
// and what every channel (Slack, email, the CLI, investigations) asks for a reply. Declared by
// the runtime so a channel plugin and the engine plugin agree without importing each other.
import type { LlmMessage, StopReason } from '../hooks/llm-types.js';

export interface EngineRequest {
  /** Who is asking, for the hooks and the usage rows: `slack_dm`, `email_inbound`, `cli`, `mcp_tool`, `probe_investigation`… */
  readonly route: string;
  /** The history to continue and extend (a Slack thread, an email thread, a CLI session); none: a one-off exchange. */
  readonly conversation?: string;
  /** The new turns, usually one user message. */
  readonly messages: readonly LlmMessage[];
  /** Names of the registered tools to offer; default every registered tool. An empty list offers none. */
  readonly tools?: readonly string[];
  readonly signal?: AbortSignal;
  /** Context for the hooks (who wrote, where), never sent to the model as such. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface EngineUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** From the engine's price table, over every model call of the reply. */
  readonly costUsd: number;
}

export interface EngineReply {
  /** The text to send back (after `transform_llm_output`). */
  readonly text: string;
  /** The model of the last call. */
  readonly model: string;
  /** Model calls made for this reply (the tool-use loop, a re-ask). */
  readonly calls: number;
  readonly stopReason: StopReason | null;
  readonly usage: EngineUsage;
}

export interface Engine {
  /**
   * The model ids the engine sends its `cheap` and `strong` tiers to (its config), for hooks that
   * pick or compare models (Kora's cost ladder and router follow them unless configured otherwise).
   */
  readonly models?: { readonly cheap: string; readonly strong: string };
  /**
   * The tool-use loop through the hook pipeline. Rejects with a coded KoraError when the call is
   * refused (a cost rung's hard stop), times out, is cancelled or the API keeps failing.
   */
  respond(request: EngineRequest): Promise<EngineReply>;
}

declare module './registry.js' {
  interface ServiceMap {
    engine: Engine;
  }
}
