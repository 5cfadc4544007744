// Reading a turn out of the Messages API's shapes: which iteration of the tool-use loop a request
// is, what the person asked, what the model answered. The hooks decide on these, not on the
// engine's internals, so they work for any engine that sends real Messages API requests.
import type { ApiResponse, LlmMessage } from '@kora/runtime';

/** The routes Kora's own channels and jobs use; the hooks leave every other route alone. */
export const KORA_ROUTES: ReadonlySet<string> = new Set(['slack_dm', 'email_inbound', 'mcp_tool', 'cli', 'alert_investigation', 'probe_investigation', 'scheduled_task']);

/** A user message that carries something a person wrote, not only tool results. */
function isPersonMessage(message: LlmMessage): boolean {
  if (message.role !== 'user') return false;
  if (typeof message.content === 'string') return true;
  return message.content.some((block) => block.type === 'text');
}

function lastPersonIndex(messages: readonly LlmMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (isPersonMessage(messages[i]!)) return i;
  return -1;
}

/**
 * 1 for the first model call of a turn; 2, 3… for the calls that follow tool results. Counted as
 * one more than the assistant messages after the person's latest message: in the tool-use loop
 * each call adds an assistant `tool_use` message and a user `tool_result` message.
 */
export function loopIteration(messages: readonly LlmMessage[]): number {
  const start = lastPersonIndex(messages);
  let assistants = 0;
  for (let i = start + 1; i < messages.length; i++) if (messages[i]!.role === 'assistant') assistants++;
  return assistants + 1;
}

/** The text of the person's latest message (its text blocks joined), '' when there is none. */
export function latestQuestion(messages: readonly LlmMessage[]): string {
  const index = lastPersonIndex(messages);
  if (index < 0) return '';
  const { content } = messages[index]!;
  if (typeof content === 'string') return content;
  return content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('\n');
}

/** The answer's text blocks joined. */
export function answerText(response: ApiResponse): string {
  return response.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('\n');
}

/** At most `max` characters, with how much was cut when it was. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more characters]`;
}
