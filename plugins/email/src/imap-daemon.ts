// The `email_inbound_imap` daemon (fail-soft, leader only): its task `email.imap_poll` runs one
// IMAP cycle every 5 minutes (imap-poll.ts), keeping each unseen message in the inbox topic
// `email.inbound`. Without KORA_PUREMAIL_IMAP_USERNAME / _PASSWORD it runs, schedules nothing
// useful (each run says it has nothing to poll) and its status note says which to set. A failed
// cycle fails that run (in the ledger, with the server's answer); the next one tries again.
import type { DaemonSpec, PluginContext } from '@kora/runtime';
import type { ImapFlow } from 'imapflow';
import type { EmailSettings } from './config.js';
import { pollMailbox } from './imap-poll.js';

export const IMAP_DAEMON = 'email_inbound_imap';
export const POLL_TASK = 'email.imap_poll';

export function noImapReason(missing: readonly string[]): string {
  return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: the mailbox is not polled (email.imap_poll does nothing)`;
}

export interface ImapDaemonDeps {
  readonly settings: EmailSettings;
  readonly inbox: PluginContext['inbox'];
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
  /** Each IMAP client a cycle creates (tests watch it close). */
  readonly onClient?: (client: ImapFlow) => void;
}

export function imapDaemon(deps: ImapDaemonDeps): DaemonSpec {
  const { settings } = deps;
  return {
    name: IMAP_DAEMON,
    fatalOnStartupFailure: false,
    scope: 'leader',
    async start(context) {
      const { imap } = settings;
      if (!imap) {
        const reason = noImapReason(settings.imapMissing);
        context.log.warn({ variables: settings.imapMissing }, reason);
        context.setNote(reason);
        await deps.audit('email.imap', { state: 'unavailable', reason, variables: [...settings.imapMissing] });
        return;
      }
      context.log.info({ host: imap.host, port: imap.port, tls: imap.tls, mailbox: imap.mailbox }, `IMAP poller: ${imap.username} on ${imap.host}:${imap.port}, mailbox ${imap.mailbox}`);
    },
    tasks: [
      {
        name: POLL_TASK,
        every: '5m',
        async run({ signal, log }) {
          const { imap } = settings;
          if (!imap) {
            log.debug(noImapReason(settings.imapMissing));
            return;
          }
          const result = await pollMailbox({ settings: imap, timeoutMs: settings.timeoutMs, inbox: deps.inbox, log, signal, ...(deps.onClient ? { onClient: deps.onClient } : {}) });
          if (result.unseen > 0) {
            log.info({ ...result }, `imap: ${result.kept} new message(s) kept in email.inbound${result.duplicates ? `, ${result.duplicates} already there` : ''}${result.deferred ? `, ${result.deferred} left for the next cycle` : ''}`);
          }
        },
      },
    ],
  };
}
