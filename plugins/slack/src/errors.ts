// The slack plugin's errors: one class, a stable lower-case code each, and a message that says
// what to do. The runtime's error catalogue is closed (its codes are the runtime's own), so the
// plugin codes its errors itself; the codes are what the tool hands the model and what a dead
// letter's error starts with.

export const SLACK_ERROR_CODES = {
  /** No Slack client runs: KORA_SLACK_BOT_TOKEN is unset, or `slack_client` failed or stopped. */
  slack_client_unavailable: 'no Slack client is running',
  /** No `engine` service runs: the reasoning plugin is not enabled, or its daemon failed. */
  engine_unavailable: 'no engine service is running',
  /** Slack refused or failed a call (its own error code, an HTTP status, the network). */
  slack_api_error: 'the Slack Web API call failed',
  /** The engine failed to produce a reply. */
  engine_failed: 'the engine did not produce a reply',
  /** A tool input that is not { channel, text, thread_ts? }. */
  invalid_input: 'the input is not valid',
} as const;

export type SlackErrorCode = keyof typeof SLACK_ERROR_CODES;

export class SlackPluginError extends Error {
  readonly code: SlackErrorCode;
  /** Slack's own error (`channel_not_found`, `invalid_auth`, `http_500`, `ratelimited`, `request_failed`) when Slack answered. */
  readonly slackError: string | undefined;

  constructor(code: SlackErrorCode, message: string, options?: ErrorOptions & { slackError?: string }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.slackError = options?.slackError;
  }
}
// Outside the class, so a bundler's renaming of the class never changes it.
Object.defineProperty(SlackPluginError.prototype, 'name', { value: 'SlackPluginError' });

export function unavailableClient(reason: string): SlackPluginError {
  return new SlackPluginError('slack_client_unavailable', `${reason}; set KORA_SLACK_BOT_TOKEN to the bot's xoxb- token and restart (kora status shows slack_client)`);
}
