// Which `slack.events` items the DM consumer answers: an `event_callback` whose event is a
// plain message (no subtype) in a DM (`channel_type: 'im'`) written by a person, not by a bot
// and not by the agent itself. Everything else is completed without a reply, with the reason.
// The payload is the Events API body as the webhooks plugin kept it.

/** A DM to answer. */
export interface DirectMessage {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly ts: string;
  /** Set when the message is itself in a thread. */
  readonly threadTs: string | null;
  readonly team: string | null;
}

export type DmDecision = { readonly answer: DirectMessage } | { readonly ignore: string };

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function classifyEvent(payload: unknown, botUserId: string | null): DmDecision {
  if (!isObject(payload)) return { ignore: 'payload is not an object' };
  if (payload.type !== 'event_callback') return { ignore: `not an event_callback (${String(payload.type)})` };
  const event = payload.event;
  if (!isObject(event)) return { ignore: 'event_callback without an event' };
  if (event.type !== 'message') return { ignore: `event type ${String(event.type)}` };
  if (event.channel_type !== 'im') return { ignore: `not a DM (channel_type ${String(event.channel_type)})` };
  // bot_message, message_changed (an edit), message_deleted, channel_join, file_share…: none is a person writing to the agent.
  if (event.subtype !== undefined) return { ignore: `message subtype ${String(event.subtype)}` };
  if (event.bot_id !== undefined && event.bot_id !== null) return { ignore: 'written by a bot' };
  const user = str(event.user);
  if (!user) return { ignore: 'no user' };
  if (botUserId !== null && user === botUserId) return { ignore: 'written by the agent itself' };
  const channel = str(event.channel);
  const ts = str(event.ts);
  if (!channel || !ts) return { ignore: 'no channel or ts' };
  const text = typeof event.text === 'string' ? event.text.trim() : '';
  if (text === '') return { ignore: 'no text' };
  return { answer: { channel, user, text, ts, threadTs: str(event.thread_ts), team: str(payload.team_id) ?? str(event.team) } };
}

/** The engine's conversation for a DM: its thread, or the message that starts one. */
export function conversationOf(dm: DirectMessage): string {
  return `slack:${dm.channel}:${dm.threadTs ?? dm.ts}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
