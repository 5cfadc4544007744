// The `email_reply` daemon: the consumer of the inbox topic `email.inbound` (whoever produced
// it: the IMAP poller or the webhooks plugin's relay route). An email from a person is answered
// through the `engine` service (route `email_inbound`, one conversation per thread) and the reply
// sent by SMTP, threaded. Whatever stands in the way (no sender, no engine, an engine or SMTP
// error) throws, so the inbox retries the email and finally dead-letters it: nothing is dropped.
// Emails not to answer (automatic, bulk, no-reply, the agent's own) are completed without one.
//
// Exactly once (decision 0080): the engine's answer is kept in `email_replies` with the reply's
// Message-ID before the send, and marked sent once the SMTP server took it. A redelivery sends a
// kept pending reply again, under the same Message-ID, without asking the engine again; a sent
// one is not sent again.
import { createHash } from 'node:crypto';
import { inboundEmail, INBOUND_EMAIL_TOPIC, type Clock, type ConsumerContext, type DaemonSpec, type Duration, type InboxItem, type Services } from '@kora/runtime';
import { domainOf } from './config.js';
import { EmailError, senderUnavailable } from './errors.js';
import { classifyInbound } from './inbound.js';
import type { Replies } from './replies.js';
import { SENDER_SERVICE } from './sender-daemon.js';

export const REPLY_DAEMON = 'email_reply';
export const REPLY_ROUTE = 'email_inbound';
export const PRUNE_TASK = 'email.replies_prune';
/** Sent replies are kept this long (to recognise the agent's own mail and a late redelivery). */
const KEEP_SENT_MS = 90 * 24 * 3_600_000;
/** The part of a long email the engine is given. */
const MAX_TEXT_CHARS = 20_000;

export interface ReplyDaemonDeps {
  readonly replies: Replies;
  readonly clock: Clock;
  /** The agent's own addresses (its From, the SMTP and IMAP logins), lower-case. */
  readonly ownAddresses: ReadonlySet<string>;
  readonly attempts: number;
  readonly backoff: Duration | number;
}

/** The reply's Message-ID, derived from the email it answers: the same on every attempt and every gateway. */
export function replyMessageId(inboundMessageId: string, fromAddress: string | null): string {
  const digest = createHash('sha256').update(inboundMessageId).digest('hex').slice(0, 32);
  return `<kora.reply.${digest}@${fromAddress ? domainOf(fromAddress) : 'kora.invalid'}>`;
}

export function replyDaemon(deps: ReplyDaemonDeps): DaemonSpec {
  let services: Services | undefined;

  async function handle(item: InboxItem, { signal, log }: ConsumerContext): Promise<void> {
    if (!services) throw new Error(`daemon "${REPLY_DAEMON}" handled an item before it started`);
    const read = inboundEmail(item.payload);
    if ('error' in read) throw new EmailError('KORA_ERR_EMAIL_REPLY_FAILED', `inbox item ${item.id} (${item.key}) is not an email: ${read.error}`);
    const email = read.email;
    const decision = classifyInbound(email, deps.ownAddresses);
    if ('ignore' in decision) {
      log.info({ key: item.key, reason: decision.ignore }, `email: ${item.key} is not answered (${decision.ignore})`);
      return;
    }
    if (await deps.replies.isOwnReply(email.messageId)) {
      log.info({ key: item.key }, `email: ${item.key} is one of the agent's own replies: not answered`);
      return;
    }
    const plan = decision.answer;
    let kept = await deps.replies.find(email.messageId);
    if (kept?.state === 'sent') {
      log.info({ key: item.key, replyMessageId: kept.reply_message_id }, `email: ${item.key} was answered already (${kept.reply_message_id}): not sent again`);
      return;
    }
    const sender = services.tryGet(SENDER_SERVICE);
    if (!sender) throw senderUnavailable(`email ${item.key} from ${email.from} cannot be answered`);
    if (kept) {
      log.info({ key: item.key, replyMessageId: kept.reply_message_id, attempt: item.attempt }, `email: sending the reply the engine already gave for ${item.key}`);
    } else {
      const engine = services.tryGet('engine');
      if (!engine) {
        throw new EmailError('KORA_ERR_EMAIL_REPLY_FAILED', `email ${item.key} from ${email.from} cannot be answered: no engine service is running; enable the reasoning plugin (plugins.enabled) and check its daemon in kora status`);
      }
      let text: string;
      try {
        const reply = await engine.respond({
          route: REPLY_ROUTE,
          conversation: plan.conversation,
          messages: [{ role: 'user', content: promptOf(email.subject, email.text) }],
          signal,
          metadata: { from: email.from, subject: email.subject, messageId: email.messageId },
        });
        text = reply.text;
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal === null) throw new EmailError('KORA_ERR_EMAIL_REPLY_FAILED', `the engine did not answer email ${item.key}: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
        // A refused call (the budget's hard stop) is answered with its short message, not retried into a dead letter.
        log.warn({ key: item.key, conversation: plan.conversation }, `email: the model call for ${item.key} was refused; answering with the refusal`);
        text = refusal;
      }
      if (text.trim() === '') throw new EmailError('KORA_ERR_EMAIL_REPLY_FAILED', `the engine answered email ${item.key} with no text`);
      kept = await deps.replies.keep({
        inbound_message_id: email.messageId,
        reply_message_id: replyMessageId(email.messageId, sender.from),
        conversation: plan.conversation,
        recipient: plan.to,
        subject: plan.subject,
        text,
        created_at: deps.clock.now(),
      });
    }
    await deps.replies.attempted(email.messageId, kept.attempts + 1);
    const sent = await sender.send({ to: kept.recipient, subject: kept.subject, text: kept.text, inReplyTo: plan.inReplyTo, references: plan.references, messageId: kept.reply_message_id });
    await deps.replies.sent(email.messageId, deps.clock.now(), sent.response);
    log.info({ key: item.key, to: kept.recipient, replyMessageId: sent.messageId, conversation: plan.conversation }, `email: answered ${item.key} (${sent.messageId})`);
  }

  return {
    name: REPLY_DAEMON,
    fatalOnStartupFailure: false,
    scope: 'leader',
    start(context) {
      services = context.services;
      if (!context.services.has(SENDER_SERVICE)) context.log.warn(`no SMTP sender: emails in ${INBOUND_EMAIL_TOPIC} are retried, then dead-lettered, until one runs (see purelymail_client)`);
    },
    stop() {
      services = undefined;
    },
    consumers: [{ topic: INBOUND_EMAIL_TOPIC, handle, attempts: deps.attempts, backoff: deps.backoff }],
    tasks: [
      {
        name: PRUNE_TASK,
        every: '1d',
        offset: '4h',
        async run({ log }) {
          const pruned = await deps.replies.prune(deps.clock.now() - KEEP_SENT_MS);
          if (pruned > 0) log.info({ pruned }, `email: pruned ${pruned} sent repl${pruned === 1 ? 'y' : 'ies'} older than 90 days`);
        },
      },
    ],
  };
}

/** The message of an engine refusal (`KORA_ERR_REASONING_REFUSED`, e.g. the cost rung's hard stop), or null for any other failure. */
export function refusalOf(err: unknown): string | null {
  if (typeof err !== 'object' || err === null || (err as { code?: unknown }).code !== 'KORA_ERR_REASONING_REFUSED') return null;
  const reason = (err as { details?: { reason?: unknown } }).details?.reason;
  if (typeof reason === 'string' && reason.trim() !== '') return reason;
  return 'The model call was refused, so there is no answer to this email for now.';
}

function promptOf(subject: string, raw: string): string {
  const text = raw.trim();
  const body = text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS)}\n[… the rest of the email, ${text.length - MAX_TEXT_CHARS} characters, is left out]` : text;
  return subject.trim() === '' ? body : `Subject: ${subject.trim()}\n\n${body}`;
}
