// The bundled webhooks plugin: Kora's public receiver (DESIGN §8). It owns the
// `webhooks.source` point, contributes the Slack and inbound-email sources to it, and runs the
// `webhooks` daemon that mounts every source and keeps verified items in the inbox.
import { definePlugin, PluginError } from '@kora/runtime';
import { listenOptions, webhooksConfigSchema, type WebhooksConfig } from './config.js';
import { webhooksDaemon } from './daemon.js';
import { EMAIL_SECRET_ENV, emailSource } from './email-source.js';
import { SLACK_SECRET_ENV, slackSource } from './slack-source.js';
import { SOURCE_POINT } from './source.js';

export type { WebhookOutcome, WebhookRejection, WebhookRequest, WebhookSource } from './source.js';
export type { WebhooksConfig } from './config.js';

export default definePlugin<WebhooksConfig | undefined>({
  id: 'webhooks',
  configSchema: webhooksConfigSchema.optional(),
  register(ctx) {
    const options = listenOptions(ctx.config, ctx.env);
    if ('error' in options) throw new PluginError('KORA_ERR_PLUGIN_REGISTER', options.error, { pluginId: ctx.pluginId });
    // The receiver still starts: a sender without its secret is refused per request, by name.
    for (const [env, route] of [[SLACK_SECRET_ENV, 'slack/events'], [EMAIL_SECRET_ENV, 'email/inbound']] as const) {
      if (!ctx.env[env]) ctx.log.warn(`${env} is not set: every POST /api/webhooks/${route} is refused (401) until it is`);
    }
    ctx.contribute(SOURCE_POINT, slackSource(ctx.env));
    ctx.contribute(SOURCE_POINT, emailSource(ctx.env));
    ctx.registerDaemon(webhooksDaemon({ options, enqueue: (message) => ctx.inbox.enqueue(message), audit: (seam, details) => ctx.audit(seam, details) }));
  },
});
