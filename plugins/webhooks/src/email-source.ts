// Inbound email as a webhook source: the mail relay posts each message as JSON, signed with
// HMAC-SHA256 (hex, optionally `sha256=`-prefixed) of the raw body in `X-Kora-Signature` under
// KORA_PUREMAIL_HMAC_SECRET. Kept in the inbox under its Message-ID, so a resend adds nothing.
import { hexDigestMatches, hmacSha256 } from './hmac.js';
import { headerValue, type WebhookOutcome, type WebhookRejection, type WebhookRequest, type WebhookSource } from './source.js';

export const EMAIL_SECRET_ENV = 'KORA_PUREMAIL_HMAC_SECRET';
export const EMAIL_SIGNATURE_HEADER = 'x-kora-signature';
export const EMAIL_TOPIC = 'email.inbound';

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
  if (typeof body !== 'object' || body === null) return undefined;
  const { messageId, headers } = body as { messageId?: unknown; headers?: unknown };
  if (typeof messageId === 'string' && messageId.trim() !== '') return messageId.trim();
  if (typeof headers !== 'object' || headers === null) return undefined;
  const found = Object.entries(headers).find(([name]) => name.toLowerCase() === 'message-id')?.[1];
  return typeof found === 'string' && found.trim() !== '' ? found.trim() : undefined;
}

export function emailSource(env: Readonly<Record<string, string | undefined>>): WebhookSource {
  return {
    path: 'email/inbound',
    signatureHeaders: [EMAIL_SIGNATURE_HEADER],
    verify: (request) => verifyEmailRequest(env[EMAIL_SECRET_ENV], request),
    toOutcome(body): WebhookOutcome {
      const key = messageIdOf(body);
      if (key === undefined) return reject('email_message_id_missing', 400);
      return { item: { topic: EMAIL_TOPIC, key, payload: body } };
    },
  };
}
