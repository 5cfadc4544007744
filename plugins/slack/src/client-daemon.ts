// The `slack_client` daemon (DESIGN §8, fail-soft): with KORA_SLACK_BOT_TOKEN it loads the Web
// API client, learns the bot's own user id with `auth.test` and provides `slack.client`; a
// refused token fails this non-fatal daemon with Slack's reason. Without a token it still runs,
// provides nothing, and says why: a note in the status (`daemons[].note`, the boot summary,
// `kora status`), a warning and an audit row.
import { DaemonError, type DaemonSpec } from '@kora/runtime';
import { connectSlack, type SlackClient } from './client.js';
import { TOKEN_ENV, type SlackSettings } from './config.js';
import { SlackPluginError } from './errors.js';

export const CLIENT_DAEMON = 'slack_client';
export const CLIENT_SERVICE = 'slack.client';
export const NO_TOKEN_REASON = `${TOKEN_ENV} is not set: no Slack client, so kora__send_slack answers slack_client_unavailable and Slack DMs wait in the inbox (retried, then dead-lettered) until it is set`;

export interface ClientDaemonDeps {
  readonly settings: SlackSettings;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

export function slackClientDaemon(deps: ClientDaemonDeps): DaemonSpec {
  const { settings } = deps;
  return {
    name: CLIENT_DAEMON,
    fatalOnStartupFailure: false,
    async start(context) {
      if (!settings.token) {
        context.log.warn({ variable: TOKEN_ENV }, NO_TOKEN_REASON);
        context.setNote(NO_TOKEN_REASON);
        await deps.audit('slack.client', { state: 'unavailable', reason: NO_TOKEN_REASON, variable: TOKEN_ENV });
        return;
      }
      let client: SlackClient;
      try {
        client = await connectSlack({ token: settings.token, apiUrl: settings.apiUrl, requestTimeoutMs: settings.requestTimeoutMs, retries: settings.retries, log: context.log });
      } catch (err) {
        const slackError = err instanceof SlackPluginError ? err.slackError : undefined;
        const hint = slackError === 'invalid_auth' || slackError === 'not_authed' || slackError === 'account_inactive' || slackError === 'token_revoked'
          ? `Slack refused ${TOKEN_ENV} (${slackError}): set it to the bot's current xoxb- token`
          : `check ${settings.apiUrl} is reachable and ${TOKEN_ENV} is the bot's xoxb- token`;
        throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${CLIENT_DAEMON}" could not verify its token with auth.test at ${settings.apiUrl}: ${hint} (${err instanceof Error ? err.message : String(err)})`, {
          daemon: CLIENT_DAEMON,
          ...(slackError ? { slackError } : {}),
        }, { cause: err });
      }
      context.services.provide(CLIENT_SERVICE, client);
      const { bot } = client;
      context.log.info({ botUserId: bot.userId, botId: bot.botId, teamId: bot.teamId, apiUrl: settings.apiUrl }, `Slack client ready: bot ${bot.userId}${bot.team ? ` in ${bot.team}` : ''}`);
      await deps.audit('slack.client', { state: 'connected', botUserId: bot.userId, teamId: bot.teamId, apiUrl: settings.apiUrl });
    },
  };
}
