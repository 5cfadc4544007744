// The bundled email plugin (DESIGN §8): the `purelymail_client` daemon holding the SMTP sender
// (`email.sender`), the `email_inbound_imap` daemon polling the mailbox into the inbox topic
// `email.inbound`, the `email_reply` daemon answering what arrives there through the `engine`
// service, threaded, exactly once; and the `kora__send_email` tool.
import { definePlugin } from '@kora/runtime';
import { emailConfigSchema, emailSettings, type EmailConfig } from './config.js';
import { imapDaemon } from './imap-daemon.js';
import { migrations } from './migrations.js';
import { Replies } from './replies.js';
import { replyDaemon } from './reply-daemon.js';
import { senderDaemon } from './sender-daemon.js';
import { sendEmailTool } from './send-tool.js';

export type { EmailConfig } from './config.js';
export type { SendEmailResult } from './send-tool.js';
export type { ReplyRow } from './replies.js';
export { EmailError, type EmailErrorCode } from './errors.js';

export default definePlugin<EmailConfig | undefined>({
  id: 'email',
  configSchema: emailConfigSchema.optional(),
  migrations,
  register(ctx) {
    // A port or a TLS flag that cannot be read fails this plugin (KORA_ERR_ENV_INVALID), not the gateway.
    const settings = emailSettings(ctx.config, ctx.env);
    const audit = (seam: string, details: Record<string, unknown>) => ctx.audit(seam, details);
    const own = new Set([settings.from, settings.smtp?.username, settings.imap?.username].filter((a): a is string => typeof a === 'string' && a.includes('@')).map((a) => a.toLowerCase()));
    ctx.registerDaemon(senderDaemon({ settings, audit }));
    ctx.registerDaemon(imapDaemon({ settings, inbox: ctx.inbox, audit }));
    ctx.registerDaemon(replyDaemon({ replies: new Replies(ctx.db), clock: ctx.clock, ownAddresses: own, attempts: settings.replyAttempts, backoff: settings.replyBackoff }));
    ctx.registerTool(sendEmailTool(ctx.services));
  },
});
