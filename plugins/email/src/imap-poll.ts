// One cycle of the IMAP poller: connect (imapflow), open the mailbox, and for each unseen message
// — oldest first, at most `maxPerPoll` — fetch it without marking it (BODY.PEEK), parse it
// (mailparser), keep it in the inbox as an `InboundEmail` under its Message-ID, and only then
// flag it `\Seen`. A message that could not be kept stays unseen for the next cycle; one kept
// but not flagged (the gateway died in between) is kept again next cycle, which the inbox
// deduplicates. The connection is closed at the end of every cycle, failed or not.
import { inboundEmail, INBOUND_EMAIL_TOPIC, type InboundEmail, type Logger, type PluginContext } from '@kora/runtime';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { ImapSettings } from './config.js';
import { describeMailError, EmailError } from './errors.js';

export interface PollResult {
  /** Unseen messages found. */
  readonly unseen: number;
  /** Kept in the inbox now (not already there). */
  readonly kept: number;
  /** Already in the inbox (a message kept by a cycle that could not flag it). */
  readonly duplicates: number;
  /** Left unseen for the next cycle (over `maxPerPoll`). */
  readonly deferred: number;
}

export interface PollOptions {
  readonly settings: ImapSettings;
  readonly timeoutMs: number;
  readonly inbox: PluginContext['inbox'];
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Each client the cycle creates, for a test to watch it close. */
  readonly onClient?: (client: ImapFlow) => void;
}

/** Run one cycle. Rejects with KORA_ERR_EMAIL_IMAP naming the step; the connection is closed either way. */
export async function pollMailbox(options: PollOptions): Promise<PollResult> {
  const { settings, log, signal } = options;
  const [{ ImapFlow }, { simpleParser }] = await Promise.all([import('imapflow'), import('mailparser')]);
  const clientOptions: ImapFlowOptions = {
    host: settings.host,
    port: settings.port,
    secure: settings.tls,
    auth: { user: settings.username, pass: settings.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  };
  const client = new ImapFlow(clientOptions);
  options.onClient?.(client);
  // A socket error after a failed step would otherwise be an unhandled 'error' event.
  client.on('error', (err: unknown) => log.debug({ err: describeMailError(err) }, 'imap: connection error'));
  const onAbort = () => client.close();
  signal.addEventListener('abort', onAbort, { once: true });
  let step = `connect to ${settings.host}:${settings.port}`;
  try {
    await client.connect();
    step = `open mailbox ${settings.mailbox}`;
    const lock = await client.getMailboxLock(settings.mailbox);
    try {
      const box = client.mailbox;
      const uidValidity = box && typeof box === 'object' ? String(box.uidValidity) : '0';
      step = 'search for unseen messages';
      const found = await client.search({ seen: false }, { uid: true });
      const uids = (Array.isArray(found) ? found : []).sort((a, b) => a - b);
      const now = uids.slice(0, settings.maxPerPoll);
      let kept = 0;
      let duplicates = 0;
      for (const uid of now) {
        signal.throwIfAborted();
        step = `fetch message uid ${uid}`;
        const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        if (!message || !message.source) continue;
        step = `parse message uid ${uid}`;
        const parsed = await simpleParser(message.source, { skipHtmlToText: false, skipImageLinks: true, skipTextToHtml: true });
        const email = toInboundEmail(parsed, `<imap.${uidValidity}.${uid}@${settings.host}>`);
        step = `keep message ${email.messageId} (uid ${uid}) in the inbox`;
        const result = await options.inbox.enqueue({ topic: INBOUND_EMAIL_TOPIC, key: email.messageId, payload: email });
        if (result.duplicate) duplicates++;
        else kept++;
        // Only once it is kept: a message flagged but not kept would never be answered.
        step = `flag message uid ${uid} \\Seen`;
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        log.debug({ uid, messageId: email.messageId, duplicate: result.duplicate }, `imap: kept ${email.messageId} in ${INBOUND_EMAIL_TOPIC}`);
      }
      return { unseen: uids.length, kept, duplicates, deferred: uids.length - now.length };
    } finally {
      lock.release();
    }
  } catch (err) {
    if (signal.aborted) throw new EmailError('KORA_ERR_EMAIL_IMAP', `the IMAP cycle on ${settings.host}:${settings.port} was cut short (${step})`, { host: settings.host, port: settings.port }, { cause: err });
    throw new EmailError('KORA_ERR_EMAIL_IMAP', `the IMAP cycle on ${settings.host}:${settings.port} failed to ${step}: ${describeMailError(err)}`, { host: settings.host, port: settings.port, step }, { cause: err });
  } finally {
    signal.removeEventListener('abort', onAbort);
    await closeClient(client);
  }
}

/** LOGOUT when the connection still works, else drop the socket: never left open. */
async function closeClient(client: ImapFlow): Promise<void> {
  if (client.usable) {
    try {
      await client.logout();
      return;
    } catch {
      // fall through to close()
    }
  }
  client.close();
}

/** A parsed message as the one `email.inbound` payload; `fallbackId` when it has no Message-ID. */
export function toInboundEmail(parsed: ParsedMail, fallbackId: string): InboundEmail {
  const headers: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const first = (field: AddressObject | AddressObject[] | undefined) => (Array.isArray(field) ? field[0] : field)?.value[0];
  const all = (field: AddressObject | AddressObject[] | undefined) => (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
  const from = first(parsed.from);
  const read = inboundEmail({
    messageId: parsed.messageId ?? fallbackId,
    from: from ? { address: from.address, name: from.name } : null,
    replyTo: first(parsed.replyTo) ?? null,
    to: all(parsed.to),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    inReplyTo: parsed.inReplyTo ?? null,
    references: parsed.references ?? [],
    date: parsed.date ?? null,
    headers,
  });
  // The Message-ID is always set above, so this cannot fail; a guard keeps the type honest.
  if ('error' in read) throw new Error(read.error);
  return read.email;
}
