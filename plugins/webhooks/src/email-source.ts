// Inbound email as a webhook source: the mail relay posts each message as JSON, signed with
// HMAC-SHA256 (hex, optionally `sha256=`-prefixed) of the raw body in `X-Kora-Signature` under
// KORA_PUREMAIL_HMAC_SECRET. Kept in the inbox under its Message-ID, so a resend adds nothing,
// as the runtime's `InboundEmail` (the one payload of `email.inbound`, which the email plugin's
// IMAP poller produces too).
import { inboundEmail, INBOUND_EMAIL_TOPIC } from '@kora/runtime';
import { hexDigestMatches, hmacSha256 } from './hmac.js';
import { headerValue, type WebhookOutcome, type WebhookRejection, type WebhookRequest, type WebhookSource } from './source.js';

export const EMAIL_SECRET_ENV = 'KORA_PUREMAIL_HMAC_SECRET';
export const EMAIL_SIGNATURE_HEADER = 'x-kora-signature';
export const EMAIL_TOPIC = INBOUND_EMAIL_TOPIC;

const reject = (reason: string, status = 401): WebhookRejection => ({ reason, status });

export function verifyEmailRequest(secret: string | undefined, request: WebhookRequest): WebhookRejection | null {
  if (!secret) return reject('email_secret_unset');
  const signature = headerValue(request, EMAIL_SIGNATURE_HEADER)?.trim();
  if (!signature) return reject('email_signature_missing');
  const hex = signature.startsWith('sha256=') ? signature.slice('sha256='.length) : signature;
  if (!hexDigestMatches(hex, hmacSha256(secret, request.rawBody))) return reject('email_signature_mismatch');
  return null;
}

/** The Message-ID: the body's `messageId`, else its `headers['message-id']` (any case). */
export function messageIdOf(body: unknown): string | undefined {
  const read = inboundEmail(body);
  return 'error' in read ? undefined : read.email.messageId;
}

export function emailSource(env: Readonly<Record<string, string | undefined>>): WebhookSource {
  return {
    path: 'email/inbound',
    signatureHeaders: [EMAIL_SIGNATURE_HEADER],
    verify: (request) => verifyEmailRequest(env[EMAIL_SECRET_ENV], request),
    toOutcome(body): WebhookOutcome {
      const read = inboundEmail(body);
      // Only the Message-ID is required of the relay: without one it cannot be kept exactly once.
      if ('error' in read) return reject('email_message_id_missing', 400);
      return { item: { topic: EMAIL_TOPIC, key: read.email.messageId, payload: read.email } };
    },
  };
}
