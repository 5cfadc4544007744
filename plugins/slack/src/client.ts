// The Slack Web API client the `slack_client` daemon provides as the `slack.client` service:
// the real `@slack/web-api` WebClient, loaded at start (a gateway without a token never loads
// it), checked with `auth.test` so the bot knows its own user id, and wrapped so a failure is a
// coded SlackPluginError that names Slack's own error and never the token.
import type { Logger } from '@kora/runtime';
import type { LogLevel, Logger as WebApiLogger, WebClient } from '@slack/web-api';
import { SlackPluginError } from './errors.js';

export interface SlackMessage {
  readonly channel: string;
  readonly text: string;
  /** Reply in this thread (the parent message's `ts`). */
  readonly thread_ts?: string;
}

export interface SlackPosted {
  readonly channel: string;
  readonly ts: string;
}

/** A message of a thread, as conversations.replies gives it (the fields the DM consumer reads). */
export interface SlackThreadMessage {
  readonly ts: string;
  readonly text: string;
  readonly user: string | null;
  readonly botId: string | null;
}

/** Who the token is, from `auth.test`. */
export interface SlackBotIdentity {
  /** The bot's own user id: messages from it are never answered. */
  readonly userId: string;
  readonly botId: string | null;
  readonly teamId: string | null;
  readonly team: string | null;
}

/** The `slack.client` service. */
export interface SlackClient {
  readonly bot: SlackBotIdentity;
  /** The Web API base URL the client calls. */
  readonly apiUrl: string;
  /** chat.postMessage; rejects with a SlackPluginError `slack_api_error` naming Slack's error. */
  postMessage(message: SlackMessage): Promise<SlackPosted>;
  /** conversations.replies: the messages of the thread `ts` in `channel` newer than `oldest` (needs `im:history` for a DM); rejects like postMessage. */
  threadReplies(query: { readonly channel: string; readonly ts: string; readonly oldest?: string }): Promise<SlackThreadMessage[]>;
  /** The WebClient itself, for methods this interface does not wrap. */
  readonly web: WebClient;
}

declare module '@kora/runtime' {
  interface ServiceMap {
    'slack.client': SlackClient;
  }
}

export interface ConnectOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly log: Logger;
}

/** Build the client and ask Slack who the token is. Rejects with `slack_api_error` (e.g. `invalid_auth`). */
export async function connectSlack(options: ConnectOptions): Promise<SlackClient> {
  const { WebClient, WebClientEvent, LogLevel } = await import('@slack/web-api');
  const { log } = options;
  const web = new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    timeout: options.requestTimeoutMs,
    // Bounded: the default (ten retries over half an hour) outlives an inbox lease many times.
    retryConfig: { retries: options.retries, factor: 2, minTimeout: 1_000, maxTimeout: 10_000, randomize: true },
    // Method names only, never absolute URLs: the token goes to the configured API and nowhere else.
    allowAbsoluteUrls: false,
    logger: webApiLogger(log, LogLevel),
    logLevel: LogLevel.WARN,
  });
  web.on(WebClientEvent.RATE_LIMITED, (retryAfterS: number, { url }: { url: string }) => {
    log.warn({ retryAfterS, method: methodOf(url) }, `Slack rate-limited ${methodOf(url)}: waiting ${retryAfterS} s as its Retry-After says`);
  });
  let auth;
  try {
    auth = await web.auth.test();
  } catch (err) {
    throw slackFailure('auth.test', err);
  }
  if (typeof auth.user_id !== 'string' || auth.user_id === '') {
    throw new SlackPluginError('slack_api_error', 'auth.test answered without a user_id: is KORA_SLACK_BOT_TOKEN a bot token (xoxb-)?', { slackError: 'no_user_id' });
  }
  const bot: SlackBotIdentity = { userId: auth.user_id, botId: auth.bot_id ?? null, teamId: auth.team_id ?? null, team: auth.team ?? null };
  return {
    bot,
    apiUrl: options.apiUrl,
    web,
    async postMessage(message) {
      let result;
      try {
        result = await web.chat.postMessage({ channel: message.channel, text: message.text, ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) });
      } catch (err) {
        throw slackFailure('chat.postMessage', err);
      }
      return { channel: result.channel ?? message.channel, ts: result.ts ?? '' };
    },
    async threadReplies(query) {
      let result;
      try {
        result = await web.conversations.replies({ channel: query.channel, ts: query.ts, limit: 200, ...(query.oldest ? { oldest: query.oldest } : {}) });
      } catch (err) {
        throw slackFailure('conversations.replies', err);
      }
      return (result.messages ?? []).map((m) => ({
        ts: m.ts ?? '',
        text: m.text ?? '',
        user: m.user ?? null,
        botId: m.bot_id ?? null,
      }));
    },
  };
}

/**
 * A `@slack/web-api` error as Slack's own code: the platform's `error` (`invalid_auth`,
 * `channel_not_found`), `http_<status>`, `ratelimited`, or `request_failed` (network, timeout).
 * The library's messages carry no token; they are quoted as they are.
 */
export function slackFailure(method: string, err: unknown): SlackPluginError {
  const slackError = slackErrorOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new SlackPluginError('slack_api_error', `Slack ${method} failed (${slackError}): ${detail}`, { slackError, cause: err });
}

function slackErrorOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'request_failed';
  const e = err as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown; original?: unknown };
  switch (e.code) {
    case 'slack_webapi_platform_error':
      return typeof e.data?.error === 'string' ? e.data.error : 'platform_error';
    case 'slack_webapi_http_error':
      return `http_${String(e.statusCode)}`;
    case 'slack_webapi_rate_limited_error':
      return 'ratelimited';
    case 'slack_webapi_request_error':
      // A 429 the client waited out and retried until its retries ran out comes back wrapped as a request error.
      return e.original instanceof Error && e.original.message.startsWith('A rate limit was exceeded') ? 'ratelimited' : 'request_failed';
    default:
      return 'request_failed';
  }
}

function methodOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1) || url;
}

/** @slack/logger's interface over the plugin's logger; the client sets the level it filters by. */
function webApiLogger(log: Logger, levels: typeof LogLevel): WebApiLogger {
  const order: readonly LogLevel[] = [levels.DEBUG, levels.INFO, levels.WARN, levels.ERROR];
  let level: LogLevel = levels.WARN;
  const child = log.child({ component: '@slack/web-api' });
  const at =
    (l: LogLevel) =>
    (...msg: unknown[]) => {
      if (order.indexOf(l) >= order.indexOf(level)) child[l](msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
    };
  return {
    debug: at(levels.DEBUG),
    info: at(levels.INFO),
    warn: at(levels.WARN),
    error: at(levels.ERROR),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
