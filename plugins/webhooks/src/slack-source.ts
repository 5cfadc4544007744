// Slack's Events API as a webhook source: request signing v0
// (https://api.slack.com/authentication/verifying-requests-from-slack), the URL verification
// handshake, and event callbacks kept in the inbox under Slack's `event_id`, so a retry
// (`X-Slack-Retry-Num`) of a known event adds nothing.
import { hexDigestMatches, hmacSha256 } from './hmac.js';
import { headerValue, type WebhookOutcome, type WebhookRejection, type WebhookRequest, type WebhookSource } from './source.js';

export const SLACK_SECRET_ENV = 'KORA_SLACK_SIGNING_SECRET';
export const SLACK_TOPIC = 'slack.events';
/** Slack's own replay window: a request older (or newer) than five minutes is refused. */
const MAX_SKEW_S = 300;
const SIGNATURE = 'x-slack-signature';
const TIMESTAMP = 'x-slack-request-timestamp';
const INTEGER = /^-?\d+$/;

const reject = (reason: string, status = 401): WebhookRejection => ({ reason, status });

/** Slack's checks in its documented order; the first failure wins. */
export function verifySlackRequest(secret: string | undefined, request: WebhookRequest): WebhookRejection | null {
  if (!secret) return reject('slack_signing_secret_unset');
  const signature = headerValue(request, SIGNATURE);
  if (!signature) return reject('slack_signature_missing');
  const timestamp = headerValue(request, TIMESTAMP);
  if (!timestamp) return reject('slack_timestamp_missing');
  const ts = INTEGER.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isSafeInteger(ts)) return reject('slack_timestamp_invalid');
  if (Math.abs(request.now / 1000 - ts) > MAX_SKEW_S) return reject('slack_timestamp_stale', 408);
  if (!signature.startsWith('v0=')) return reject('slack_signature_scheme');
  const expected = hmacSha256(secret, `v0:${timestamp}:`, request.rawBody);
  if (!hexDigestMatches(signature.slice('v0='.length), expected)) return reject('slack_signature_mismatch');
  return null;
}

export function slackSource(env: Readonly<Record<string, string | undefined>>): WebhookSource {
  return {
    path: 'slack/events',
    signatureHeaders: [SIGNATURE],
    auditHeaders: [TIMESTAMP, 'x-slack-retry-num', 'x-slack-retry-reason'],
    verify: (request) => verifySlackRequest(env[SLACK_SECRET_ENV], request),
    toOutcome(body): WebhookOutcome {
      if (!isObject(body)) return reject('slack_payload_invalid', 400);
      if (body.type === 'url_verification') {
        return typeof body.challenge === 'string' ? { reply: { challenge: body.challenge } } : reject('slack_challenge_missing', 400);
      }
      if (typeof body.event_id !== 'string' || body.event_id === '') return reject('slack_event_id_missing', 400);
      return { item: { topic: SLACK_TOPIC, key: body.event_id, payload: body } };
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
