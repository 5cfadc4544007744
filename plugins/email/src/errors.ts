// The email plugin's coded errors (catalogued in the runtime's error-codes.ts), each built in
// one place. No message carries a password: nodemailer's and imapflow's errors quote the
// server's answer, never the AUTH command.
import { KoraError } from '@kora/runtime';
import { SMTP_ENV } from './config.js';

export type EmailErrorCode = 'KORA_ERR_EMAIL_SENDER_UNAVAILABLE' | 'KORA_ERR_EMAIL_FROM_REFUSED' | 'KORA_ERR_EMAIL_SEND_FAILED' | 'KORA_ERR_EMAIL_IMAP' | 'KORA_ERR_EMAIL_REPLY_FAILED';

export class EmailError extends KoraError {
  declare readonly code: EmailErrorCode;

  constructor(code: EmailErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(code, `${code}: ${message}`, details, options);
  }
}

export function senderUnavailable(what: string): EmailError {
  return new EmailError(
    'KORA_ERR_EMAIL_SENDER_UNAVAILABLE',
    `${what}: no SMTP sender is running; set ${SMTP_ENV.username} and ${SMTP_ENV.password} and restart (kora status shows purelymail_client)`,
  );
}

export function fromRefused(from: string, allowed: readonly string[]): EmailError {
  const domains = allowed.length > 0 ? allowed.join(', ') : 'none';
  return new EmailError(
    'KORA_ERR_EMAIL_FROM_REFUSED',
    `the From address ${JSON.stringify(from)} is outside the domains the agent may send from (${domains}); send from one of them, or add its domain to KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS`,
    { from, allowed: [...allowed] },
  );
}

/** What a nodemailer / imapflow error says, without anything but the server's answer. */
export function describeMailError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown; responseCode?: unknown; response?: unknown; responseText?: unknown; serverResponseCode?: unknown };
  const parts = [e.message];
  if (typeof e.code === 'string' && !e.message.includes(e.code)) parts.push(`(${e.code})`);
  if (typeof e.responseText === 'string' && !e.message.includes(e.responseText)) parts.push(`server: ${e.responseText}`);
  return parts.join(' ');
}
