// The one payload of the inbox topic `email.inbound`, whoever produced it: the webhooks plugin
// (a mail relay POSTing JSON) or the email plugin's IMAP poller (a message parsed from the
// mailbox). Both build it with `inboundEmail`, and the consumer reads it back with the same
// function, so the shape is decided here and nowhere else.

export const INBOUND_EMAIL_TOPIC = 'email.inbound';

/** An email that arrived, as kept in the inbox (key: its Message-ID). */
export interface InboundEmail {
  /** With its angle brackets, `<abc@example.com>`: the inbox key. */
  readonly messageId: string;
  /** The sender's bare address (`alice@example.com`), null when the message names none. */
  readonly from: string | null;
  /** The sender's display name, when given. */
  readonly fromName: string | null;
  /** Where answers go (the Reply-To's bare address), null when not set. */
  readonly replyTo: string | null;
  /** Bare addresses. */
  readonly to: readonly string[];
  readonly subject: string;
  /** The plain-text body (the relay's `text`, the message's text part). */
  readonly text: string;
  /** The Message-ID this answers, when it answers one. */
  readonly inReplyTo: string | null;
  /** The thread's Message-IDs, oldest first (the References header). */
  readonly references: readonly string[];
  /** ISO 8601, when the message is dated. */
  readonly date: string | null;
  /** Every header the producer saw, names lower-cased, one string each (repeated ones joined by `, `). */
  readonly headers: Readonly<Record<string, string>>;
}

export type InboundEmailResult = { readonly email: InboundEmail } | { readonly error: string };

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/** `Alice <a@x>` → `a@x`; `a@x` → `a@x`; null when there is no address in it. */
export function bareAddress(value: unknown): string | null {
  if (typeof value === 'object' && value !== null && 'address' in value) return bareAddress((value as { address: unknown }).address);
  const text = str(value);
  if (!text) return null;
  const angled = /<([^<>\s]+@[^<>\s]+)>/.exec(text);
  const address = angled ? angled[1]! : /^[^\s<>@]+@[^\s<>@]+$/.test(text) ? text : null;
  return address ? address.toLowerCase() : null;
}

function displayName(value: unknown): string | null {
  if (typeof value === 'object' && value !== null && 'name' in value) return str((value as { name: unknown }).name);
  const text = str(value);
  if (!text) return null;
  const name = /^(.*?)\s*<[^<>]+>\s*$/.exec(text)?.[1]?.replace(/^"(.*)"$/, '$1').trim();
  return name ? name : null;
}

/** A list of addresses: an array, or one comma-separated string. */
function addresses(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : value === undefined || value === null ? [] : [value];
  return items.map(bareAddress).filter((a): a is string => a !== null);
}

/** Message-IDs from a header value (`<a@x> <b@x>`) or a list. */
export function messageIds(value: unknown): string[] {
  const text = Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(' ') : typeof value === 'string' ? value : '';
  return text.match(/<[^<>\s]+>/g) ?? [];
}

function headerMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [name, raw] of Object.entries(value)) {
    const text = Array.isArray(raw) ? raw.filter((v) => typeof v === 'string').join(', ') : typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : null;
    if (text === null) continue;
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? text : `${out[key]}, ${text}`;
  }
  return out;
}

function isoDate(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const text = str(value);
  if (!text) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/**
 * Read an email from JSON (a relay's body, or an inbox payload): the fields of `InboundEmail`,
 * each also taken from its header when the field is absent (`headers['message-id']`, `from`,
 * `reply-to`, `to`, `subject`, `in-reply-to`, `references`, `date`). Only the Message-ID is
 * required: an email without one cannot be kept exactly once.
 */
export function inboundEmail(body: unknown): InboundEmailResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'the email is not a JSON object' };
  const b = body as Record<string, unknown>;
  const headers = headerMap(b.headers);
  const messageId = str(b.messageId) ?? str(headers['message-id']);
  if (!messageId) return { error: 'the email has no Message-ID (neither messageId nor headers["message-id"])' };
  const from = b.from ?? headers.from;
  const inReplyTo = messageIds(b.inReplyTo ?? headers['in-reply-to'])[0] ?? null;
  return {
    email: {
      messageId,
      from: bareAddress(from),
      fromName: str(b.fromName) ?? displayName(from),
      replyTo: bareAddress(b.replyTo ?? headers['reply-to']),
      to: addresses(b.to ?? headers.to),
      subject: typeof b.subject === 'string' ? b.subject : (headers.subject ?? ''),
      text: typeof b.text === 'string' ? b.text : '',
      inReplyTo,
      references: messageIds(b.references ?? headers.references),
      date: isoDate(b.date ?? headers.date),
      headers,
    },
  };
}

/** The conversation an email belongs to: its thread's first Message-ID (References, else In-Reply-To, else its own). */
export function emailThreadId(email: Pick<InboundEmail, 'messageId' | 'inReplyTo' | 'references'>): string {
  return email.references[0] ?? email.inReplyTo ?? email.messageId;
}
