// Which inbound emails the agent answers, and how the answer is threaded. Never: a message
// without a sender, one from the agent itself, an automatic one (RFC 3834 `Auto-Submitted`
// other than `no`), a list's (`List-Id`, `Precedence: bulk | list | junk`), or one from an
// address nobody reads (noreply, mailer-daemon…). The answer goes to Reply-To, else From, with
// `In-Reply-To` the message's Message-ID and `References` its References plus that Message-ID
// (RFC 5322 §3.6.4), and the subject given one `Re: `.
import { createHash } from 'node:crypto';
import { emailThreadId, type InboundEmail } from '@kora/runtime';

export interface ReplyPlan {
  readonly to: string;
  readonly subject: string;
  readonly inReplyTo: string;
  readonly references: readonly string[];
  /** The engine's conversation: `email:<the thread's first Message-ID>`. */
  readonly conversation: string;
}

export type InboundDecision = { readonly answer: ReplyPlan } | { readonly ignore: string };

/** Local parts of addresses nobody reads: an answer to them is at best lost, at worst a mail loop. */
const UNREAD_LOCAL_PART = /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|mailer[-_.]?daemon|postmaster)(?:[-+._].*)?$/i;

export function isUnreadAddress(address: string): boolean {
  return UNREAD_LOCAL_PART.test(address.slice(0, address.lastIndexOf('@')));
}

/** The one automation header that says "not a person": the reason, or null. */
export function automationReason(headers: Readonly<Record<string, string>>): string | null {
  const auto = headers['auto-submitted']?.trim().toLowerCase();
  if (auto !== undefined && auto !== '' && !/^no\b/.test(auto)) return `Auto-Submitted: ${auto}`;
  if (headers['list-id'] !== undefined) return 'List-Id (a mailing list)';
  const precedence = headers.precedence?.trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return `Precedence: ${precedence}`;
  return null;
}

/** `Re: ` once: kept as is when the subject already starts with `Re:` (any case, `Re[2]:` too). */
export function replySubject(subject: string): string {
  const s = subject.trim();
  if (/^re(?:\[\d+\])?\s*:/i.test(s)) return s;
  return s === '' ? 'Re: (no subject)' : `Re: ${s}`;
}

export function replyReferences(email: Pick<InboundEmail, 'messageId' | 'inReplyTo' | 'references'>): string[] {
  const base = email.references.length > 0 ? [...email.references] : email.inReplyTo ? [email.inReplyTo] : [];
  return base.includes(email.messageId) ? base : [...base, email.messageId];
}

/** The engine keys conversations (its turns and usage rows) by varchar(512). */
export const MAX_CONVERSATION_CHARS = 512;

export function conversationOf(email: Pick<InboundEmail, 'messageId' | 'inReplyTo' | 'references'>): string {
  const conversation = `email:${emailThreadId(email)}`;
  // A Message-ID may run to a header line's 998 characters: a longer key would fail the engine's
  // insert on PostgreSQL after the model call was paid for. Stable, so the thread stays one.
  if (conversation.length <= MAX_CONVERSATION_CHARS) return conversation;
  return `email:sha256:${createHash('sha256').update(emailThreadId(email)).digest('hex')}`;
}

/** `own`: the agent's addresses (its From, the SMTP and IMAP logins), lower-case. */
export function classifyInbound(email: InboundEmail, own: ReadonlySet<string>): InboundDecision {
  if (!email.from) return { ignore: 'no From address' };
  if (own.has(email.from)) return { ignore: `written by the agent itself (${email.from})` };
  const to = email.replyTo ?? email.from;
  if (own.has(to)) return { ignore: `its Reply-To is the agent itself (${to})` };
  const automated = automationReason(email.headers);
  if (automated) return { ignore: `automatic or bulk mail (${automated})` };
  for (const address of new Set([email.from, to])) if (isUnreadAddress(address)) return { ignore: `a no-reply address (${address})` };
  if (email.text.trim() === '' && email.subject.trim() === '') return { ignore: 'no subject and no text' };
  return { answer: { to, subject: replySubject(email.subject), inReplyTo: email.messageId, references: replyReferences(email), conversation: conversationOf(email) } };
}
