// A Slack DM answered by the real gateway, end to end: a signed Events API callback POSTed to
// the webhook receiver is kept in the inbox, the slack plugin's consumer asks the engine (a user
// plugin providing a scripted `engine` service) and posts the reply with the real
// `@slack/web-api` to the local Slack Web API server (test/fakes/slack.ts), in the DM's thread,
// once — through a failed post retried by the inbox and a Slack retry of the same event.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { eventually, killAll, makeProject, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const fakes: FakeSlack[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
  for (const f of fakes.splice(0)) await f.close();
});

const SIGNING_SECRET = 'e2e-slack-signing-secret';

// The engine the reasoning plugin would provide, scripted: it answers from the text and the
// conversation it was given, and prints each request so the test can count them.
const SCRIPTED_ENGINE = `export default { id: 'scripted-engine', register(ctx) {
  ctx.registerDaemon({ name: 'scripted_engine', start(d) {
    d.services.provide('engine', { async respond(request) {
      const text = request.messages.map((m) => m.content).join(' ');
      console.log('ENGINE ' + JSON.stringify({ route: request.route, conversation: request.conversation, text, metadata: request.metadata }));
      return { text: 'You said: ' + text, model: 'scripted', calls: 1, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 } };
    } });
  } });
} };`;

interface Status {
  daemons: { name: string; state: string; endpoints?: { name: string; url: string }[] }[];
  inbox: { topic: string; pending: number; inFlight: number; dead: number }[];
}
const status = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as Status;

function signed(body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/json', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
}

function callback(eventId: string, event: Record<string, unknown>): string {
  return JSON.stringify({ token: 'legacy', team_id: 'T0KORA', api_app_id: 'A0KORA', type: 'event_callback', event_id: eventId, event_time: 1767225000, event });
}

describe('a Slack DM through the real gateway', () => {
  it('is answered once, in its thread, with the engine’s reply — through a failed post and a Slack retry', async () => {
    const slack = await startFakeSlack();
    fakes.push(slack);
    // The first post fails: the inbox retries the event and the kept reply is posted then.
    slack.fail('chat.postMessage', { status: 500 });

    const p = makeProject();
    projects.push(p);
    writeUserPlugin(p, 'scripted-engine', SCRIPTED_ENGINE);
    p.writeConfig(
      [
        'plugins:',
        '  enabled: [kora, webhooks, slack, scripted-engine]',
        '  config:',
        '    webhooks: { host: 127.0.0.1, port: 0 }',
        "    slack: { retries: 0, dm: { attempts: 3, backoff: '1s' } }",
        'gateway:',
        '  heartbeatEvery: 1s',
        '',
      ].join('\n'),
    );
    const gw = startKora(['daemon'], p, {
      KORA_DEPLOY_ENV: 'e2e',
      KORA_LOG_LEVEL: 'debug',
      KORA_SLACK_SIGNING_SECRET: SIGNING_SECRET,
      KORA_SLACK_BOT_TOKEN: slack.token,
      KORA_SLACK_API_URL: slack.url,
    });
    running.push(gw);

    let receiver = '';
    await eventually(() => {
      const s = status(p);
      receiver = s.daemons.find((d) => d.name === 'webhooks')?.endpoints?.[0]?.url ?? '';
      return receiver !== '' && ['slack_client', 'slack_dm', 'scripted_engine'].every((n) => s.daemons.find((d) => d.name === n)?.state === 'running');
    });
    expect(slack.calls.map((c) => c.method)).toEqual(['auth.test']);

    const events = [
      // Not for the agent: a channel message, and the agent's own message in the DM.
      callback('Ev0CHANNEL', { type: 'message', channel: 'C0GENERAL', channel_type: 'channel', user: 'U0ALICE', text: 'hi all', ts: '1767225000.000050' }),
      callback('Ev0OWN', { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: slack.identity.userId, bot_id: slack.identity.botId, text: 'an earlier reply', ts: '1767225000.000070' }),
      callback('Ev0DM', { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: 'U0ALICE', text: 'Are you up?', ts: '1767225000.000100' }),
    ];
    for (const body of events) {
      const response = await fetch(`${receiver}slack/events`, { method: 'POST', body, headers: signed(body) });
      expect(response.status).toBe(200);
    }
    // Slack retries the DM's delivery (it did not see the 200 in time): the inbox keeps it once.
    const dm = events[2]!;
    const retried = await fetch(`${receiver}slack/events`, { method: 'POST', body: dm, headers: { ...signed(dm), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retried.status).toBe(200);

    await eventually(() => slack.posts().length === 1);
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'You said: Are you up?', thread_ts: '1767225000.000100' }]);
    const postCalls = slack.calls.filter((c) => c.method === 'chat.postMessage');
    expect(postCalls.map((c) => c.status)).toEqual([500, 200]);
    expect(postCalls.every((c) => c.token === slack.token)).toBe(true);

    // Nothing left in the inbox, nothing dead; the engine was asked once, on route slack_dm, in the thread's conversation.
    await eventually(() => status(p).inbox.every((t) => t.topic !== 'slack.events' || (t.pending === 0 && t.inFlight === 0)));
    expect(status(p).inbox.find((t) => t.topic === 'slack.events')?.dead ?? 0).toBe(0);
    const asked = gw.stdout().split('\n').filter((l) => l.startsWith('ENGINE '));
    expect(asked.map((l) => JSON.parse(l.slice('ENGINE '.length)) as unknown)).toEqual([
      { route: 'slack_dm', conversation: 'slack:D0ALICE:1767225000.000100', text: 'Are you up?', metadata: expect.objectContaining({ user: 'U0ALICE', channel: 'D0ALICE' }) },
    ]);
    expect(gw.stderr()).not.toContain(slack.token);

    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    expect(slack.posts()).toHaveLength(1);
  });

  it('boots without a bot token: slack_client runs with no client and says which variable to set', async () => {
    const p = makeProject();
    projects.push(p);
    p.writeConfig('plugins:\n  enabled: [kora, slack]\n');
    const gw = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
    running.push(gw);
    await gw.waitForErr('KORA_SLACK_BOT_TOKEN is not set');
    await eventually(() => ['slack_client', 'slack_dm'].every((n) => status(p).daemons.find((d) => d.name === n)?.state === 'running'));
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });
});
