// A refusal or failure a tool reports to its MCP caller as a tool error (a result with
// `isError`), not a protocol error: the model or operator reads the code and what to do.
import { KoraError } from '@kora/runtime';

/** The MCP server's own refusals; runtime errors keep their `KORA_ERR_*` code. */
export type McpRefusal = 'capability_denied' | 'confirm_token_stale' | 'dead_letter_unknown' | 'tool_failed';

export class ToolRefusal extends Error {
  override readonly name = 'ToolRefusal';
  readonly code: McpRefusal;

  constructor(code: McpRefusal, message: string) {
    super(message);
    this.code = code;
  }
}

/** The `{ code, message }` a thrown error becomes; anything uncoded is `tool_failed`. */
export function describeFailure(err: unknown): { code: string; message: string } {
  if (err instanceof ToolRefusal || err instanceof KoraError) return { code: err.code, message: err.message };
  return { code: 'tool_failed', message: err instanceof Error ? err.message : String(err) };
}
