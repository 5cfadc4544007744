import { createServer, type Server } from 'node:net';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '@kora/runtime';
import { listenOptions, type ListenOptions } from './config.js';
import { webhooksDaemon } from './daemon.js';
import { hmacSha256 } from './hmac.js';
import plugin from './index.js';

const SLACK_SECRET = 'slack-secret';
const MAIL_SECRET = 'mail-secret';
const NOW_MS = Date.UTC(2026, 0, 1);
const NOW_S = String(NOW_MS / 1000);
const SLACK_DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const harnesses: PluginHarness[] = [];
const blockers: Server[] = [];

interface Receiver {
  harness: PluginHarness;
  url: (path: string) => string;
}

/** Start the plugin's daemon on a free port of 127.0.0.1 and return where it listens. */
async function receiver(options: { config?: Record<string, unknown>; env?: Record<string, string>; clock?: ManualClock } = {}): Promise<Receiver> {
  const harness = await createPluginHarness(plugin, {
    config: { host: '127.0.0.1', port: 0, ...options.config },
    env: { KORA_SLACK_SIGNING_SECRET: SLACK_SECRET, KORA_PUREMAIL_HMAC_SECRET: MAIL_SECRET, ...options.env },
    clock: options.clock ?? new ManualClock(NOW_MS),
  });
  harnesses.push(harness);
  const [status] = await harness.startDaemons();
  expect(status).toMatchObject({ name: 'webhooks', state: 'running' });
  // Where it listens, as the boot summary and the status show it.
  const endpoint = status!.endpoints[0]!;
  expect(endpoint).toMatchObject({ name: 'webhook receiver', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/webhooks\/$/), note: 'slack/events, email/inbound' });
  const origin = new URL(endpoint.url).origin;
  return { harness, url: (path) => `${origin}${path}` };
}

function slackHeaders(body: string, timestamp = NOW_S, secret = SLACK_SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': `v0=${hmacSha256(secret, `v0:${timestamp}:${body}`).toString('hex')}`,
  };
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const event = (id: string) => JSON.stringify({ type: 'event_callback', event_id: id, event: { type: 'message', text: 'hi' } });

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of blockers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

describe('webhooks plugin: Slack events', () => {
  const route = '/api/webhooks/slack/events';

  it('keeps a signed event in the inbox before answering 200', async () => {
    const { harness, url } = await receiver();
    const body = event('Ev1');
    const reply = await post(url(route), body, slackHeaders(body));
    expect(reply).toEqual({ status: 200, body: { ok: true } });
    // The 200 came after the enqueue resolved, so the item is there now.
    expect((await harness.store.inbox.stats())['slack.events']).toMatchObject({ pending: 1 });
    const [item] = await harness.store.inbox.claim({ topics: ['slack.events'], owner: 'test', leaseMs: 1000, now: NOW_MS });
    expect(item).toMatchObject({ key: 'Ev1', payload: JSON.parse(body) });
  });

  it('answers a Slack retry of a known event 200 and keeps no second item', async () => {
    const { harness, url } = await receiver();
    const body = event('Ev2');
    await post(url(route), body, slackHeaders(body));
    const retry = await post(url(route), body, { ...slackHeaders(body), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(retry.status).toBe(200);
    expect((await harness.store.inbox.stats())['slack.events']).toMatchObject({ pending: 1 });
  });

  it('answers 503, not 200, when the inbox cannot keep the event', async () => {
    const { harness, url } = await receiver();
    await harness.store.close();
    const body = event('Ev-lost');
    expect(await post(url(route), body, slackHeaders(body))).toEqual({ status: 503, body: { error: 'inbox_unavailable' } });
  });

  it('answers url_verification with its challenge and keeps nothing', async () => {
    const { harness, url } = await receiver();
    const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' });
    expect(await post(url(route), body, slackHeaders(body))).toEqual({ status: 200, body: { challenge: 'c-123' } });
    expect(await harness.store.inbox.stats()).toEqual({});
  });

  it("verifies Slack's documented example on its raw bytes (then refuses it as not JSON)", async () => {
    const { url } = await receiver({ env: { KORA_SLACK_SIGNING_SECRET: SLACK_DOC.secret }, clock: new ManualClock(SLACK_DOC.timestamp * 1000) });
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(SLACK_DOC.timestamp), 'x-slack-signature': SLACK_DOC.signature };
    expect(await post(url(route), SLACK_DOC.body, headers)).toEqual({ status: 400, body: { error: 'malformed_json' } });
    expect(await post(url(route), `${SLACK_DOC.body}&x=1`, headers)).toEqual({ status: 401, body: { error: 'slack_signature_mismatch' } });
  });

  it('answers each failed check with its reason, in order', async () => {
    const body = event('Ev3');
    const valid = slackHeaders(body);
    const unset = await receiver({ env: { KORA_SLACK_SIGNING_SECRET: '' } });
    expect(await post(unset.url(route), body, valid)).toEqual({ status: 401, body: { error: 'slack_signing_secret_unset' } });

    const { harness, url } = await receiver();
    const cases: [Record<string, string>, number, string][] = [
      [{ 'x-slack-request-timestamp': 'x' }, 401, 'slack_signature_missing'],
      [{ 'x-slack-signature': 'junk' }, 401, 'slack_timestamp_missing'],
      [{ 'x-slack-signature': 'junk', 'x-slack-request-timestamp': 'soon' }, 401, 'slack_timestamp_invalid'],
      [{ 'x-slack-signature': 'junk', 'x-slack-request-timestamp': String(NOW_MS / 1000 - 301) }, 408, 'slack_timestamp_stale'],
      [{ 'x-slack-signature': 'junk', 'x-slack-request-timestamp': String(NOW_MS / 1000 + 301) }, 408, 'slack_timestamp_stale'],
      [{ 'x-slack-signature': 'v1=abc', 'x-slack-request-timestamp': NOW_S }, 401, 'slack_signature_scheme'],
      [slackHeaders(body, NOW_S, 'wrong-secret'), 401, 'slack_signature_mismatch'],
    ];
    for (const [headers, status, reason] of cases) {
      expect(await post(url(route), body, { 'content-type': 'application/json', ...headers })).toEqual({ status, body: { error: reason } });
    }
    expect(await harness.store.inbox.stats()).toEqual({});
  });

  it('audits a rejected request without its body, signatures truncated, no secret', async () => {
    const { harness, url } = await receiver();
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev9', text: 'private words' });
    const headers: Record<string, string> = { ...slackHeaders(body, NOW_S, 'wrong-secret'), 'user-agent': 'Slackbot', cookie: 'session=1' };
    await post(url(route), body, headers);
    const [entry] = await harness.audit({ seam: 'webhooks.rejected' });
    expect(entry?.details).toMatchObject({ route, reason: 'slack_signature_mismatch', status: 401, ip: '127.0.0.1', size: Buffer.byteLength(body) });
    const audited = entry?.details.headers as Record<string, string>;
    expect(audited['x-slack-signature']).toBe(`${headers['x-slack-signature']?.slice(0, 12)}…`);
    expect(audited).toMatchObject({ 'user-agent': 'Slackbot', 'x-slack-request-timestamp': NOW_S });
    expect(audited).not.toHaveProperty('cookie');
    const text = JSON.stringify(entry);
    expect(text).not.toContain('private words');
    expect(text).not.toContain(SLACK_SECRET);
    expect(JSON.stringify(harness.logs)).not.toContain(SLACK_SECRET);
  });
});

describe('webhooks plugin: inbound email', () => {
  const route = '/api/webhooks/email/inbound';
  const sign = (body: string) => ({ 'content-type': 'application/json', 'x-kora-signature': `sha256=${hmacSha256(MAIL_SECRET, body).toString('hex')}` });

  it('keeps a signed message in email.inbound under its Message-ID, once', async () => {
    const { harness, url } = await receiver();
    const body = JSON.stringify({ headers: { 'Message-ID': '<m1@example.com>' }, text: 'hello' });
    expect(await post(url(route), body, sign(body))).toEqual({ status: 200, body: { ok: true } });
    expect(await post(url(route), body, sign(body))).toEqual({ status: 200, body: { ok: true } });
    const items = await harness.store.inbox.claim({ topics: ['email.inbound'], owner: 'test', leaseMs: 1000, now: NOW_MS, limit: 5 });
    expect(items.map((i) => i.key)).toEqual(['<m1@example.com>']);
  });

  it('refuses a missing or wrong signature, an unset secret, and a message without a Message-ID', async () => {
    const body = JSON.stringify({ messageId: '<m2@example.com>' });
    const unset = await receiver({ env: { KORA_PUREMAIL_HMAC_SECRET: '' } });
    expect(await post(unset.url(route), body, sign(body))).toEqual({ status: 401, body: { error: 'email_secret_unset' } });
    const { url } = await receiver();
    expect(await post(url(route), body, { 'content-type': 'application/json' })).toEqual({ status: 401, body: { error: 'email_signature_missing' } });
    expect(await post(url(route), body, { ...sign(body), 'x-kora-signature': 'sha256=00' })).toEqual({ status: 401, body: { error: 'email_signature_mismatch' } });
    const anonymous = JSON.stringify({ subject: 'no id' });
    expect(await post(url(route), anonymous, sign(anonymous))).toEqual({ status: 400, body: { error: 'email_message_id_missing' } });
  });
});

describe('webhooks plugin: the server', () => {
  it('answers 404 JSON for any other route or method', async () => {
    const { url } = await receiver();
    for (const [method, path] of [['GET', '/api/status'], ['POST', '/mcp'], ['GET', '/api/webhooks/slack/events'], ['POST', '/api/webhooks/other']]) {
      const response = await fetch(url(path!), { method });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'not_found' });
    }
  });

  it('answers 413 JSON for a body over the limit, and audits it', async () => {
    const { harness, url } = await receiver({ config: { bodyLimit: 64 } });
    const body = event('E'.repeat(100));
    expect(await post(url('/api/webhooks/slack/events'), body, slackHeaders(body))).toEqual({ status: 413, body: { error: 'body_too_large' } });
    expect((await harness.audit({ seam: 'webhooks.rejected' }))[0]?.details).toMatchObject({ reason: 'body_too_large', status: 413, size: Buffer.byteLength(body) });
  });

  it('answers 400 JSON for a signed body that is not JSON', async () => {
    const { url } = await receiver();
    const body = '{"type":';
    expect(await post(url('/api/webhooks/slack/events'), body, slackHeaders(body))).toEqual({ status: 400, body: { error: 'malformed_json' } });
  });

  it('rate limits per IP with 429 JSON, but never /healthz', async () => {
    const { url } = await receiver({ config: { rateLimit: { max: 2, timeWindow: 60_000 } } });
    const body = event('Ev-rl');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(url('/api/webhooks/slack/events'), body, slackHeaders(body))).status);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await fetch(url('/api/webhooks/email/inbound'), { method: 'POST', body: '{}' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: 'rate_limited' });
    // When to come back, and no per-answer rate headers for senders that never read them.
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].filter((h) => refused.headers.has(h))).toEqual([]);
    for (let i = 0; i < 5; i++) {
      const health = await fetch(url('/healthz'));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    }
  });

  it('fails its start, naming the address, when the port is taken', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const harness = await createPluginHarness(plugin, { config: { host: '127.0.0.1', port }, env: {} });
    harnesses.push(harness);
    const [status] = await harness.startDaemons();
    expect(status?.state).toBe('failed');
    expect(status?.error).toContain(`127.0.0.1:${port}`);
  });

  it('lets KORA_WEBHOOK_PORT and KORA_WEBHOOK_HOST override the config, and refuses a port that is not one', async () => {
    const { url } = await receiver({ config: { port: 1 }, env: { KORA_WEBHOOK_PORT: '0', KORA_WEBHOOK_HOST: '127.0.0.1' } });
    expect(url('/')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect(createPluginHarness(plugin, { env: { KORA_WEBHOOK_PORT: 'http' } })).rejects.toMatchObject({ code: 'KORA_ERR_PLUGIN_REGISTER' });
  });

  it('registers the webhooks daemon, fatal on a failed start, and its two sources', async () => {
    const harness = await createPluginHarness(plugin, { config: { host: '127.0.0.1', port: 0 } });
    harnesses.push(harness);
    expect(harness.registered.get('webhooks')).toMatchObject({ daemons: ['webhooks'], contributions: ['webhooks.source', 'webhooks.source'] });
    expect(webhooksDaemon({ options: listenOptions(undefined, {}) as ListenOptions, enqueue: async () => ({ id: 1, duplicate: false }), audit: async () => {} }).fatalOnStartupFailure).toBe(true);
  });

  it('mounts a source another plugin contributes, with no change to the webhooks plugin', async () => {
    const github = definePlugin({
      id: 'github',
      register(ctx) {
        ctx.contribute('webhooks.source', {
          path: 'github/push',
          verify: (request) => (request.headers['x-token'] === 'ok' ? null : { reason: 'github_token_wrong', status: 401 }),
          toOutcome: (body) => ({ item: { topic: 'github.push', key: String((body as { id: unknown }).id), payload: body } }),
        });
      },
    });
    const harness = await createPluginHarness([plugin, github], { config: { webhooks: { host: '127.0.0.1', port: 0 } } });
    harnesses.push(harness);
    await harness.startDaemons();
    const address = harness.logs.find((l) => typeof l.address === 'string')?.address as string;
    expect(await post(`http://${address}/api/webhooks/github/push`, '{"id":7}', { 'x-token': 'no' })).toEqual({ status: 401, body: { error: 'github_token_wrong' } });
    expect(await post(`http://${address}/api/webhooks/github/push`, '{"id":7}', { 'x-token': 'ok' })).toEqual({ status: 200, body: { ok: true } });
    expect((await harness.store.inbox.stats())['github.push']).toMatchObject({ pending: 1 });
  });
});

describe('webhooks plugin: boot', () => {
  it('warns, naming the variable, when a sender has no secret', async () => {
    const harness = await createPluginHarness(plugin, { config: { host: '127.0.0.1', port: 0 }, env: { KORA_PUREMAIL_HMAC_SECRET: 'set' } });
    harnesses.push(harness);
    const warnings = harness.logs.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual([expect.stringContaining('KORA_SLACK_SIGNING_SECRET is not set')]);
  });
});
