// The `kora__send_slack` tool (engine and MCP): chat.postMessage through the `slack.client`
// service. It answers, never throws: `{ ok: true, channel, ts }`, or `{ ok: false, error:
// { code, message } }` the model can read and act on (`slack_client_unavailable` without a
// client, Slack's own code such as `channel_not_found` when Slack refused).
import type { Services, ToolSpec } from '@kora/runtime';
import { CLIENT_SERVICE } from './client-daemon.js';
import { SlackPluginError, unavailableClient } from './errors.js';

export const SEND_TOOL = 'kora__send_slack';

export type SendSlackResult =
  | { readonly ok: true; readonly channel: string; readonly ts: string }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export function sendSlackTool(services: Services): ToolSpec {
  return {
    name: SEND_TOOL,
    description: 'Post a message to Slack: a channel id (C…), a DM channel (D…) or a user id (U…); thread_ts replies in that thread.',
    inputSchema: {
      type: 'object',
      properties: {
        channel: { type: 'string', minLength: 1, description: 'Channel, DM or user id to post to.' },
        text: { type: 'string', minLength: 1, description: 'The message (Slack mrkdwn).' },
        thread_ts: { type: 'string', minLength: 1, description: 'The ts of the message to reply under, to post in its thread.' },
      },
      required: ['channel', 'text'],
      additionalProperties: false,
    },
    timeout: '60s',
    mcp: true,
    async run(input): Promise<SendSlackResult> {
      const { channel, text, thread_ts } = input;
      const bad = [
        typeof channel !== 'string' || channel.trim() === '' ? 'channel must be a non-empty string' : null,
        typeof text !== 'string' || text.trim() === '' ? 'text must be a non-empty string' : null,
        thread_ts !== undefined && (typeof thread_ts !== 'string' || thread_ts === '') ? 'thread_ts, when given, must be a non-empty string' : null,
      ].filter((m): m is string => m !== null);
      if (bad.length > 0) return { ok: false, error: { code: 'invalid_input', message: bad.join('; ') } };
      const client = services.tryGet(CLIENT_SERVICE);
      if (!client) return failed(unavailableClient('no Slack client is running'));
      try {
        const posted = await client.postMessage({ channel: channel as string, text: text as string, ...(typeof thread_ts === 'string' ? { thread_ts } : {}) });
        return { ok: true, channel: posted.channel, ts: posted.ts };
      } catch (err) {
        if (err instanceof SlackPluginError) return failed(err);
        throw err;
      }
    },
  };
}

function failed(err: SlackPluginError): SendSlackResult {
  // Slack's own code is the more useful one for the model (channel_not_found, not_in_channel…).
  return { ok: false, error: { code: err.slackError ?? err.code, message: err.message } };
}
