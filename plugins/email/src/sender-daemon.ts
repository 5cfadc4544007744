// The `purelymail_client` daemon (fail-soft): with KORA_PUREMAIL_SMTP_USERNAME and
// KORA_PUREMAIL_SMTP_APP_PASSWORD it connects nodemailer to the SMTP server (Purelymail's by
// default), checks it takes the credentials, and provides `email.sender`. Without them it still
// runs, provides nothing, and says which variables to set (status note, warning, audit row). A
// server that refuses the credentials fails this non-fatal daemon with the server's answer.
import { DaemonError, type DaemonSpec } from '@kora/runtime';
import { SMTP_ENV, type EmailSettings } from './config.js';
import { connectSender, type SmtpSender } from './sender.js';

export const SENDER_DAEMON = 'purelymail_client';
export const SENDER_SERVICE = 'email.sender';

export function noSenderReason(missing: readonly string[]): string {
  return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: no SMTP sender, so kora__send_email answers KORA_ERR_EMAIL_SENDER_UNAVAILABLE and inbound emails wait in the inbox (retried, then dead-lettered) until ${missing.length > 1 ? 'they are' : 'it is'} set`;
}

export interface SenderDaemonDeps {
  readonly settings: EmailSettings;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

export function senderDaemon(deps: SenderDaemonDeps): DaemonSpec {
  const { settings } = deps;
  let sender: SmtpSender | null = null;
  return {
    name: SENDER_DAEMON,
    fatalOnStartupFailure: false,
    async start(context) {
      const { smtp } = settings;
      if (!smtp) {
        const reason = noSenderReason(settings.smtpMissing);
        context.log.warn({ variables: settings.smtpMissing }, reason);
        context.setNote(reason);
        await deps.audit('email.sender', { state: 'unavailable', reason, variables: [...settings.smtpMissing] });
        return;
      }
      const from = settings.from;
      if (!from) {
        throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${SENDER_DAEMON}" has no From address: ${SMTP_ENV.username} is not an email address; set plugins.config.email.from`, { daemon: SENDER_DAEMON });
      }
      try {
        sender = await connectSender({ smtp, from, fromName: settings.fromName, allowedFromDomains: settings.allowedFromDomains, timeoutMs: settings.timeoutMs });
      } catch (err) {
        const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : undefined;
        throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${SENDER_DAEMON}" could not start its SMTP sender: ${err instanceof Error ? err.message : String(err)}`, { daemon: SENDER_DAEMON, ...(code ? { cause: code } : {}) }, { cause: err });
      }
      context.services.provide(SENDER_SERVICE, sender);
      const where = `${smtp.host}:${smtp.port}${smtp.tls ? ' (TLS)' : ''}`;
      context.log.info({ host: smtp.host, port: smtp.port, tls: smtp.tls, from }, `SMTP sender ready: ${from} through ${where}`);
      await deps.audit('email.sender', { state: 'connected', host: smtp.host, port: smtp.port, tls: smtp.tls, from, allowedFromDomains: [...settings.allowedFromDomains] });
    },
    stop() {
      sender?.close();
      sender = null;
    },
  };
}
