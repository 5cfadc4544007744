// The slack plugin's config (`plugins.config.slack`) and the settings it runs with: the bot
// token from KORA_SLACK_BOT_TOKEN only (a secret never sits in kora.yaml), the API's base URL
// from KORA_SLACK_API_URL over the config over Slack's own.
import { consumerRetry, z, type Duration } from '@kora/runtime';

export const TOKEN_ENV = 'KORA_SLACK_BOT_TOKEN';
export const API_URL_ENV = 'KORA_SLACK_API_URL';
export const DEFAULT_API_URL = 'https://slack.com/api/';

const httpUrl = z.url({ protocol: /^https?$/ });

export const slackConfigSchema = z
  .object({
    /** The Web API's base URL (a proxy, a test server); KORA_SLACK_API_URL wins over it. */
    apiUrl: httpUrl.optional(),
    /** Per-request timeout of the Web API client, in ms (default 10 s). */
    requestTimeoutMs: z.number().int().positive().optional(),
    /** Retries of the Web API client on a network error or a 5xx, before the call fails (default 2). A 429 is waited out as Slack's Retry-After says. */
    retries: z.number().int().min(0).max(10).optional(),
    /** The DM consumer: deliveries of one event before it is dead-lettered (default 5), and the first retry's delay, doubled after each (default 5s). */
    dm: consumerRetry.optional(),
  })
  .strict();

export type SlackConfig = z.infer<typeof slackConfigSchema>;

export interface SlackSettings {
  /** Null: no client, and the reason is said at start. */
  readonly token: string | null;
  readonly apiUrl: string;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly dmAttempts: number;
  readonly dmBackoff: Duration | number;
}

/** Env over config over defaults. A KORA_SLACK_API_URL that is not an http(s) URL is an error (the plugin fails at register, by name). */
export function slackSettings(config: SlackConfig | undefined, env: Readonly<Record<string, string | undefined>>): SlackSettings | { error: string } {
  const fromEnv = env[API_URL_ENV]?.trim();
  if (fromEnv && !httpUrl.safeParse(fromEnv).success) return { error: `${API_URL_ENV} is not an http(s) URL: "${fromEnv}"; set it to the Web API's base URL (e.g. ${DEFAULT_API_URL}) or unset it` };
  const token = env[TOKEN_ENV]?.trim();
  return {
    token: token ? token : null,
    apiUrl: withTrailingSlash(fromEnv || config?.apiUrl || DEFAULT_API_URL),
    requestTimeoutMs: config?.requestTimeoutMs ?? 10_000,
    retries: config?.retries ?? 2,
    dmAttempts: config?.dm?.attempts ?? 5,
    dmBackoff: config?.dm?.backoff ?? '5s',
  };
}

/** `@slack/web-api` appends the method name to the base URL: without the slash, `…/apichat.postMessage`. */
function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
