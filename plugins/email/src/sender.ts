// The SMTP sender the `purelymail_client` daemon provides as `email.sender`: nodemailer, loaded
// at start (a gateway without SMTP credentials never loads it), checked with `verify()` (the
// server's greeting and AUTH), refusing any From outside the allowed domains before a byte is
// sent, and turning every failure into a coded EmailError that quotes the server, never the
// password.
import { randomBytes } from 'node:crypto';
import { bareAddress, type EmailSender, type OutgoingEmail, type SentEmail } from '@kora/runtime';
import type { Transporter } from 'nodemailer';
import { domainOf, type SmtpSettings } from './config.js';
import { describeMailError, EmailError, fromRefused } from './errors.js';

export interface SenderOptions {
  readonly smtp: SmtpSettings;
  readonly from: string;
  readonly fromName: string | null;
  readonly allowedFromDomains: readonly string[];
  readonly timeoutMs: number;
}

/** The `email.sender` service, plus what the daemon needs to stop it. */
export interface SmtpSender extends EmailSender {
  close(): void;
}

/** Whether `from` (a bare address) may be used, by its domain. */
export function fromAllowed(from: string, allowed: readonly string[]): boolean {
  return allowed.includes(domainOf(from));
}

/** A Message-ID in the From's domain: `<kora.<random>@domain>`. */
export function newMessageId(from: string): string {
  return `<kora.${randomBytes(12).toString('hex')}@${domainOf(from)}>`;
}

/** Build the transport and check the server takes the credentials. Rejects with KORA_ERR_EMAIL_SEND_FAILED. */
export async function connectSender(options: SenderOptions): Promise<SmtpSender> {
  const { smtp } = options;
  if (!fromAllowed(options.from, options.allowedFromDomains)) throw fromRefused(options.from, options.allowedFromDomains);
  const nodemailer = await import('nodemailer');
  const transport: Transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls,
    auth: { user: smtp.username, pass: smtp.password },
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    logger: false,
    debug: false,
  });
  try {
    await transport.verify();
  } catch (err) {
    transport.close();
    throw new EmailError('KORA_ERR_EMAIL_SEND_FAILED', `the SMTP server ${smtp.host}:${smtp.port} refused the sender's check: ${describeMailError(err)}`, { host: smtp.host, port: smtp.port }, { cause: err });
  }

  return {
    from: options.from,
    async send(email: OutgoingEmail): Promise<SentEmail> {
      const from = email.from === undefined ? options.from : bareAddress(email.from);
      if (from === null) throw fromRefused(String(email.from), options.allowedFromDomains);
      if (!fromAllowed(from, options.allowedFromDomains)) throw fromRefused(from, options.allowedFromDomains);
      const messageId = email.messageId ?? newMessageId(from);
      let info: { accepted?: unknown[]; rejected?: unknown[]; response?: string; messageId?: string };
      try {
        info = await transport.sendMail({
          from: options.fromName && email.from === undefined ? { name: options.fromName, address: from } : from,
          to: typeof email.to === 'string' ? email.to : [...email.to],
          subject: email.subject,
          text: email.text,
          messageId,
          ...(email.inReplyTo ? { inReplyTo: email.inReplyTo } : {}),
          ...(email.references && email.references.length > 0 ? { references: [...email.references] } : {}),
        });
      } catch (err) {
        throw new EmailError('KORA_ERR_EMAIL_SEND_FAILED', `the SMTP server ${smtp.host}:${smtp.port} did not take the email "${email.subject}": ${describeMailError(err)}`, { host: smtp.host, port: smtp.port, messageId }, { cause: err });
      }
      const addresses = (list: unknown[]) => list.map((a) => (typeof a === 'string' ? a : (a as { address?: string }).address ?? String(a)));
      return { messageId: info.messageId ?? messageId, accepted: addresses(info.accepted ?? []), rejected: addresses(info.rejected ?? []), response: info.response ?? '' };
    },
    close: () => transport.close(),
  };
}
