// The bundled slack plugin (DESIGN §8): the `slack_client` daemon holding the Web API client
// (`slack.client`), the `kora__send_slack` tool, and the `slack_dm` daemon answering the DMs the
// webhooks plugin keeps in the inbox topic `slack.events`, through the `engine` service.
import { definePlugin, PluginError } from '@kora/runtime';
import { slackClientDaemon } from './client-daemon.js';
import { slackConfigSchema, slackSettings, type SlackConfig } from './config.js';
import { slackDmDaemon } from './dm-daemon.js';
import { sendSlackTool } from './send-tool.js';

export type { SlackBotIdentity, SlackClient, SlackMessage, SlackPosted, SlackThreadMessage } from './client.js';
export type { SlackConfig } from './config.js';
export type { SendSlackResult } from './send-tool.js';
export { SLACK_ERROR_CODES, SlackPluginError, type SlackErrorCode } from './errors.js';

export default definePlugin<SlackConfig | undefined>({
  id: 'slack',
  configSchema: slackConfigSchema.optional(),
  register(ctx) {
    const settings = slackSettings(ctx.config, ctx.env);
    if ('error' in settings) throw new PluginError('KORA_ERR_PLUGIN_REGISTER', settings.error, { pluginId: ctx.pluginId });
    const audit = (seam: string, details: Record<string, unknown>) => ctx.audit(seam, details);
    ctx.registerDaemon(slackClientDaemon({ settings, audit }));
    ctx.registerDaemon(slackDmDaemon({ store: ctx.store, clock: ctx.clock, audit, attempts: settings.dmAttempts, backoff: settings.dmBackoff }));
    ctx.registerTool(sendSlackTool(ctx.services));
  },
});
