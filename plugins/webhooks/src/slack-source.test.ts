import { describe, expect, it } from 'vitest';
import { hmacSha256 } from './hmac.js';
import { slackSource, verifySlackRequest } from './slack-source.js';
import type { WebhookRequest } from './source.js';

// The example request of https://api.slack.com/authentication/verifying-requests-from-slack.
const SLACK_DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const SECRET = 'test-signing-secret';
const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z

function request(headers: Record<string, string>, body = '{"type":"event_callback","event_id":"Ev1"}', nowS = NOW_S): WebhookRequest {
  return { rawBody: Buffer.from(body), headers, now: nowS * 1000 };
}

function signed(body: string, timestamp: string, secret = SECRET): Record<string, string> {
  return { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${hmacSha256(secret, `v0:${timestamp}:${body}`).toString('hex')}` };
}

describe('Slack request signing v0', () => {
  it("accepts the example request of Slack's documentation", () => {
    const doc = request({ 'x-slack-signature': SLACK_DOC.signature, 'x-slack-request-timestamp': SLACK_DOC.timestamp }, SLACK_DOC.body, Number(SLACK_DOC.timestamp));
    expect(verifySlackRequest(SLACK_DOC.secret, doc)).toBeNull();
  });

  it('refuses the documented request with one byte of its body changed', () => {
    const doc = request({ 'x-slack-signature': SLACK_DOC.signature, 'x-slack-request-timestamp': SLACK_DOC.timestamp }, SLACK_DOC.body.replace('foobar', 'foobaz'), Number(SLACK_DOC.timestamp));
    expect(verifySlackRequest(SLACK_DOC.secret, doc)).toEqual({ reason: 'slack_signature_mismatch', status: 401 });
  });

  it('accepts a request signed with our own secret', () => {
    const body = '{"type":"event_callback","event_id":"Ev1"}';
    expect(verifySlackRequest(SECRET, request(signed(body, String(NOW_S)), body))).toBeNull();
  });

  it.each([
    ['slack_signing_secret_unset', 401, undefined, {}],
    ['slack_signature_missing', 401, SECRET, { 'x-slack-request-timestamp': 'nope' }],
    ['slack_timestamp_missing', 401, SECRET, { 'x-slack-signature': 'sha1=zz' }],
    ['slack_timestamp_invalid', 401, SECRET, { 'x-slack-signature': 'sha1=zz', 'x-slack-request-timestamp': '12.5' }],
    ['slack_timestamp_stale', 408, SECRET, { 'x-slack-signature': 'sha1=zz', 'x-slack-request-timestamp': String(NOW_S - 301) }],
    ['slack_signature_scheme', 401, SECRET, { 'x-slack-signature': 'v1=00', 'x-slack-request-timestamp': String(NOW_S) }],
    ['slack_signature_mismatch', 401, SECRET, { 'x-slack-signature': `v0=${'0'.repeat(64)}`, 'x-slack-request-timestamp': String(NOW_S) }],
  ] as const)('answers %s (%i) when it is the first check that fails', (reason, status, secret, headers) => {
    expect(verifySlackRequest(secret, request(headers))).toEqual({ reason, status });
  });

  it('refuses a timestamp more than five minutes in the future as stale too', () => {
    const body = '{}';
    expect(verifySlackRequest(SECRET, request(signed(body, String(NOW_S + 301)), body))).toEqual({ reason: 'slack_timestamp_stale', status: 408 });
    expect(verifySlackRequest(SECRET, request(signed(body, String(NOW_S + 300)), body))).toBeNull();
    expect(verifySlackRequest(SECRET, request(signed(body, String(NOW_S - 300)), body))).toBeNull();
  });

  it('refuses a signature made with another secret, or of the wrong length', () => {
    const body = '{}';
    expect(verifySlackRequest(SECRET, request(signed(body, String(NOW_S), 'other'), body))?.reason).toBe('slack_signature_mismatch');
    expect(verifySlackRequest(SECRET, request({ ...signed(body, String(NOW_S)), 'x-slack-signature': 'v0=abcd' }, body))?.reason).toBe('slack_signature_mismatch');
  });
});

describe('the Slack source', () => {
  const source = slackSource({});
  const req = request({});

  it('answers url_verification with its challenge and keeps nothing', () => {
    expect(source.toOutcome({ type: 'url_verification', challenge: 'abc' }, req)).toEqual({ reply: { challenge: 'abc' } });
  });

  it('keeps an event callback under its event_id', () => {
    const event = { type: 'event_callback', event_id: 'Ev42', event: { type: 'message' } };
    expect(source.toOutcome(event, req)).toEqual({ item: { topic: 'slack.events', key: 'Ev42', payload: event } });
  });

  it('refuses an event without an event_id, and a body that is not an object', () => {
    expect(source.toOutcome({ type: 'event_callback' }, req)).toEqual({ reason: 'slack_event_id_missing', status: 400 });
    expect(source.toOutcome([1], req)).toEqual({ reason: 'slack_payload_invalid', status: 400 });
  });
});
