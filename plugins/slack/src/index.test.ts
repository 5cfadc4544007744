// The slack plugin in the harness: the real `@slack/web-api` against the local Slack Web API
// server (test/fakes/slack.ts), and a scripted engine provided by a test plugin as the `engine`
// service — the dependency, a real implementation of the Engine contract, not the thing tested.
import { definePlugin, KoraError, type Engine, type EngineReply, type EngineRequest, type LlmTool } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../test/fakes/slack.js';
import plugin from './index.js';

/** Answers each request with the next scripted text (or error), and keeps every request. */
class ScriptedEngine implements Engine {
  readonly requests: EngineRequest[] = [];
  readonly #script: (string | Error)[];

  constructor(script: (string | Error)[] = []) {
    this.#script = script;
  }

  async respond(request: EngineRequest): Promise<EngineReply> {
    this.requests.push(request);
    const next = this.#script.shift() ?? `reply ${this.requests.length}`;
    if (next instanceof Error) throw next;
    return { text: next, model: 'scripted', calls: 1, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 } };
  }
}

/** A plugin providing `engine` from a daemon, as the reasoning plugin does; it also reads the MCP tool list. */
function enginePlugin(engine: Engine | null, seen: { mcpTools?: LlmTool[] } = {}) {
  return definePlugin({
    id: 'engine-under-test',
    register(ctx) {
      ctx.registerDaemon({
        name: 'scripted_engine',
        start(d) {
          if (engine) d.services.provide('engine', engine);
          seen.mcpTools = ctx.tools.list({ mcp: true });
        },
      });
    },
  });
}

const harnesses: PluginHarness[] = [];
const fakes: FakeSlack[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const f of fakes.splice(0)) await f.close();
});

async function fakeSlack(): Promise<FakeSlack> {
  const slack = await startFakeSlack();
  fakes.push(slack);
  return slack;
}

interface Setup {
  token?: string | null;
  engine?: Engine | null;
  config?: Record<string, unknown>;
  seen?: { mcpTools?: LlmTool[] };
}

async function boot(slack: FakeSlack, setup: Setup = {}): Promise<PluginHarness> {
  const token = setup.token === undefined ? slack.token : setup.token;
  const harness = await createPluginHarness([plugin, enginePlugin(setup.engine === undefined ? new ScriptedEngine() : setup.engine, setup.seen)], {
    env: { KORA_SLACK_API_URL: slack.url, ...(token ? { KORA_SLACK_BOT_TOKEN: token } : {}) },
    config: { slack: { retries: 0, ...setup.config } },
  });
  harnesses.push(harness);
  await harness.startDaemons();
  return harness;
}

const BOT = 'U0KORABOT';

function dm(event: Record<string, unknown> = {}, body: Record<string, unknown> = {}) {
  return {
    type: 'event_callback',
    event_id: 'Ev0001',
    team_id: 'T0KORA',
    ...body,
    event: { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: 'U0ALICE', text: 'What is the uptime?', ts: '1767225000.000100', event_ts: '1767225000.000100', ...event },
  };
}

const state = (h: PluginHarness, name: string) => h.daemons().find((d) => d.name === name);

describe('the slack plugin without a bot token', () => {
  it('provides no client, keeps running, and says why in its status note, a warning and the audit log', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { token: null });
    expect(state(h, 'slack_client')).toMatchObject({ state: 'running', error: null, note: expect.stringContaining('KORA_SLACK_BOT_TOKEN is not set: no Slack client') });
    // The DM consumer runs on the fleet's leader only; the client everywhere (each gateway posts replies).
    expect(state(h, 'slack_dm')).toMatchObject({ state: 'running', scope: 'leader' });
    expect(state(h, 'slack_client')).toMatchObject({ scope: 'everywhere' });
    expect(h.services.has('slack.client')).toBe(false);
    expect(h.logs.find((l) => l.level === 'warn' && l.msg.includes('KORA_SLACK_BOT_TOKEN is not set'))).toBeDefined();
    const [row] = await h.audit({ seam: 'slack.client' });
    expect(row?.details).toMatchObject({ state: 'unavailable', variable: 'KORA_SLACK_BOT_TOKEN' });
    expect(slack.calls).toEqual([]);
  });

  it('answers kora__send_slack with slack_client_unavailable, as a result the model reads', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { token: null });
    const result = await h.callTool('kora__send_slack', { channel: 'C1', text: 'hello' });
    expect(result).toMatchObject({ ok: true, providedBy: 'slack', result: { ok: false, error: { code: 'slack_client_unavailable', message: expect.stringContaining('KORA_SLACK_BOT_TOKEN') } } });
    expect(slack.calls).toEqual([]);
  });

  it('fails a DM so the inbox keeps it (retried, then dead-lettered), and still completes events that are not for it', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine();
    const h = await boot(slack, { token: null, engine });
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm() })).toMatchObject({ status: 'failed', error: expect.stringContaining('slack_client_unavailable') });
    expect(await h.deliver('slack.events', { payload: dm({ channel_type: 'channel', channel: 'C0GENERAL' }) })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toEqual([]);
  });
});

describe('the slack plugin with a bot token', () => {
  it('calls auth.test with the token at start and provides slack.client knowing its own user id', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack);
    expect(state(h, 'slack_client')).toMatchObject({ state: 'running' });
    expect(slack.calls.map((c) => [c.method, c.token])).toEqual([['auth.test', slack.token]]);
    expect(h.services.get('slack.client').bot).toEqual({ userId: BOT, botId: 'B0KORABOT', teamId: 'T0KORA', team: 'Kora Test' });
    const [row] = await h.audit({ seam: 'slack.client' });
    expect(row?.details).toMatchObject({ state: 'connected', botUserId: BOT });
    expect(JSON.stringify(h.logs)).not.toContain(slack.token);
  });

  it('answers a DM in its thread with the engine’s text, on route slack_dm in the conversation of the thread', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine(['Up 42 days, no incident.']);
    const h = await boot(slack, { engine });
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm() })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toEqual([
      expect.objectContaining({
        route: 'slack_dm',
        conversation: 'slack:D0ALICE:1767225000.000100',
        messages: [{ role: 'user', content: 'What is the uptime?' }],
        metadata: expect.objectContaining({ user: 'U0ALICE', channel: 'D0ALICE' }),
      }),
    ]);
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'Up 42 days, no incident.', thread_ts: '1767225000.000100' }]);
    const post = slack.calls.find((c) => c.method === 'chat.postMessage');
    expect(post).toMatchObject({ token: slack.token, contentType: 'application/x-www-form-urlencoded' });
    // Kept as sent, with the posted ts: a redelivery must find it (decision 0150).
    expect(await h.store.kv('slack').get('reply:Ev0001')).toMatchObject({ state: 'sent', text: 'Up 42 days, no incident.', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
  });

  it('posts nothing when the event comes again after its reply was posted (the gateway died before the inbox ack)', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine(['Once.', 'Twice.']);
    const h = await boot(slack, { engine });
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm() })).toMatchObject({ status: 'ok' });
    // The same item handed out again, as the inbox does when its completion was lost.
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm(), attempt: 2 })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toHaveLength(1);
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'Once.', thread_ts: '1767225000.000100' }]);
    expect(h.logs.some((l) => l.level === 'info' && l.msg.includes('answered already'))).toBe(true);
  });

  it('posts nothing when the reply is in the thread already but was never marked sent (the gateway died right after Slack’s 200)', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine();
    const h = await boot(slack, { engine });
    // What such an attempt leaves: the kept reply still pending, and the bot's post in the thread.
    await h.store.kv('slack').set('reply:Ev0001', { text: 'Posted once.', conversation: 'slack:D0ALICE:1767225000.000100', state: 'pending' });
    await h.callTool('kora__send_slack', { channel: 'D0ALICE', text: 'Posted once.', thread_ts: '1767225000.000100' });
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm(), attempt: 2 })).toMatchObject({ status: 'ok' });
    expect(slack.posts()).toHaveLength(1);
    expect(engine.requests).toEqual([]);
    expect(slack.calls.find((c) => c.method === 'conversations.replies')?.args).toMatchObject({ channel: 'D0ALICE', ts: '1767225000.000100', oldest: '1767225000.000100' });
    expect(await h.store.kv('slack').get('reply:Ev0001')).toMatchObject({ state: 'sent', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
  });

  it('posts the kept reply when the thread cannot be read to check for an earlier post (at least once)', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { engine: new ScriptedEngine() });
    await h.store.kv('slack').set('reply:Ev0001', { text: 'Owed.', conversation: 'slack:D0ALICE:1767225000.000100', state: 'pending' });
    slack.fail('conversations.replies', { error: 'missing_scope' });
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm(), attempt: 2 })).toMatchObject({ status: 'ok' });
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'Owed.', thread_ts: '1767225000.000100' }]);
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('could not read the DM thread'))).toBe(true);
  });

  it('prunes sent marks after 30 days and keeps pending replies, which are owed', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { engine: new ScriptedEngine(['Answered.', 'Owed.']) });
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm() })).toMatchObject({ status: 'ok' });
    slack.fail('chat.postMessage', { error: 'channel_not_found' });
    expect(await h.deliver('slack.events', { key: 'Ev0002', payload: dm({ ts: '1767225001.000100' }) })).toMatchObject({ status: 'failed' });
    const kv = h.store.kv('slack');
    expect(await h.runTask('slack.replies_prune')).toMatchObject({ status: 'ok' });
    expect((await kv.keys()).sort()).toEqual(['reply:Ev0001', 'reply:Ev0002']);
    await (h.clock as ManualClock).advance(30 * 86_400_000 + 1);
    expect(await h.runTask('slack.replies_prune')).toMatchObject({ status: 'ok' });
    expect(await kv.keys()).toEqual(['reply:Ev0002']);
    expect(await kv.get('reply:Ev0002')).toMatchObject({ state: 'pending', text: 'Owed.' });
  });

  it('runs the DM consumer on the leader only (a conversation consumer)', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack);
    expect(state(h, 'slack_dm')).toMatchObject({ scope: 'leader' });
  });

  it('answers a DM the phrasebook knows with its canned reply and no engine call, audited as a short circuit', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine(['From the model.']);
    const h = await boot(slack, { engine });
    const asked: string[] = [];
    const proposals = {
      phrasebook: (q: string) => (asked.push(q), q === 'What is the uptime?' ? { answer: 'Up, as always: see the status page.', proposalId: 'a1b2c3d4e5' } : null),
      routerPatterns: () => ({ add: [], remove: [] }),
      snapshotTools: () => [],
      trimmedTools: () => [],
      pendingCount: () => 0,
    };
    h.services.provide('proposals', proposals, 'plugin:promote');
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm() })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toEqual([]);
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'Up, as always: see the status page.', thread_ts: '1767225000.000100' }]);
    expect(await h.audit({ seam: 'slack.dm_short_circuit' })).toMatchObject([{ details: { route: 'slack_dm', proposalId: 'a1b2c3d4e5', llmCall: false, conversationId: 'slack:D0ALICE:1767225000.000100' } }]);
    // Another question goes to the engine as before.
    expect(await h.deliver('slack.events', { key: 'Ev0002', payload: dm({ text: 'Who is on call?', ts: '1767225001.000100' }) })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toHaveLength(1);
    expect(asked).toEqual(['What is the uptime?', 'Who is on call?']);
  });

  it('lets the engine answer when the proposals service fails', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine(['From the model.']);
    const h = await boot(slack, { engine });
    const broken = { phrasebook: () => { throw new Error('boom'); }, routerPatterns: () => ({ add: [], remove: [] }), snapshotTools: () => [], trimmedTools: () => [], pendingCount: () => 0 };
    h.services.provide('proposals', broken, 'plugin:promote');
    expect(await h.deliver('slack.events', { key: 'Ev0001', payload: dm() })).toMatchObject({ status: 'ok' });
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'From the model.', thread_ts: '1767225000.000100' }]);
  });

  it('answers a DM written in a thread in that thread, continuing its conversation', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine(['Still up.']);
    const h = await boot(slack, { engine });
    await h.deliver('slack.events', { payload: dm({ ts: '1767225100.000200', thread_ts: '1767225000.000100', text: 'And now?' }) });
    expect(engine.requests[0]?.conversation).toBe('slack:D0ALICE:1767225000.000100');
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'Still up.', thread_ts: '1767225000.000100' }]);
  });

  it.each([
    ['a bot’s message (bot_id)', dm({ bot_id: 'B0OTHER', user: 'U0OTHERBOT' })],
    ['a bot_message', dm({ subtype: 'bot_message', bot_id: 'B0OTHER', user: undefined })],
    ['the agent’s own message', dm({ user: BOT })],
    ['an edit (message_changed)', dm({ subtype: 'message_changed', user: undefined, message: { user: 'U0ALICE', text: 'edited' } })],
    ['a deletion', dm({ subtype: 'message_deleted' })],
    ['a join', dm({ subtype: 'channel_join', channel_type: 'channel' })],
    ['a channel message', dm({ channel_type: 'channel', channel: 'C0GENERAL' })],
    ['a group DM', dm({ channel_type: 'mpim', channel: 'G0GROUP' })],
    ['an app_mention', dm({ type: 'app_mention', channel_type: undefined })],
    ['a message without text', dm({ text: '   ' })],
    ['an app_rate_limited callback', { type: 'app_rate_limited', minute_rate_limited: 1 }],
  ])('completes %s without a reply or an engine call', async (_what, payload) => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine();
    const h = await boot(slack, { engine });
    expect(await h.deliver('slack.events', { payload })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toEqual([]);
    expect(slack.posts()).toEqual([]);
    expect(h.logs.some((l) => l.level === 'debug' && l.msg.includes('not a DM to answer'))).toBe(true);
  });

  it.each([
    ['a 500', { status: 500 } as const, 'http_500'],
    ['ok: false', { error: 'channel_not_found' } as const, 'channel_not_found'],
  ])('throws when Slack answers %s, and the retry posts the reply the engine already gave', async (_what, failure, slackError) => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine(['The answer.']);
    const h = await boot(slack, { engine });
    slack.fail('chat.postMessage', failure);
    const first = await h.deliver('slack.events', { key: 'Ev0002', payload: dm(), attempt: 1 });
    expect(first).toMatchObject({ status: 'failed', error: expect.stringContaining('slack_api_error') });
    expect(first.status === 'failed' && first.error).toContain(slackError);
    expect(slack.posts()).toEqual([]);
    expect(await h.deliver('slack.events', { key: 'Ev0002', payload: dm(), attempt: 2 })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toHaveLength(1);
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: 'The answer.', thread_ts: '1767225000.000100' }]);
  });

  it('waits out a 429 as its Retry-After says and posts once', async () => {
    const slack = await fakeSlack();
    // A rate-limited call counts against the client's retries (the wait before the retry is p-retry's, on the wall clock: about a second).
    const h = await boot(slack, { engine: new ScriptedEngine(['Later.']), config: { retries: 1 } });
    slack.fail('chat.postMessage', { status: 429, retryAfter: 0 });
    expect(await h.deliver('slack.events', { payload: dm() })).toMatchObject({ status: 'ok' });
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(slack.posts()).toHaveLength(1);
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('rate-limited chat.postMessage'))).toBe(true);
  });

  it('throws ratelimited when Slack keeps answering 429 past the client’s retries', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { engine: new ScriptedEngine(['Later.']) });
    slack.fail('chat.postMessage', { status: 429, retryAfter: 0 });
    expect(await h.deliver('slack.events', { payload: dm() })).toMatchObject({ status: 'failed', error: expect.stringContaining('(ratelimited)') });
    expect(slack.posts()).toEqual([]);
  });

  it('throws when the engine fails, and asks it again on the retry', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine([new Error('model overloaded'), 'Second time lucky.']);
    const h = await boot(slack, { engine });
    expect(await h.deliver('slack.events', { key: 'Ev0003', payload: dm() })).toMatchObject({ status: 'failed', error: expect.stringMatching(/engine_failed.*model overloaded/) });
    expect(slack.posts()).toEqual([]);
    expect(await h.deliver('slack.events', { key: 'Ev0003', payload: dm(), attempt: 2 })).toMatchObject({ status: 'ok' });
    expect(slack.posts().map((p) => p.text)).toEqual(['Second time lucky.']);
  });

  it('answers a refused model call (the budget’s hard stop) with the refusal’s message, once, instead of retrying it into a dead letter', async () => {
    const slack = await fakeSlack();
    const refused = new KoraError('KORA_ERR_REASONING_REFUSED', 'the model call was refused (cost_hard_stop): budget used up', { route: 'slack_dm', refusal: 'cost_hard_stop', reason: "This month's LLM budget is used up." });
    const h = await boot(slack, { engine: new ScriptedEngine([refused]) });
    expect(await h.deliver('slack.events', { key: 'Ev0009', payload: dm() })).toMatchObject({ status: 'ok' });
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: "This month's LLM budget is used up.", thread_ts: '1767225000.000100' }]);
  });

  it('throws engine_unavailable when no engine runs, instead of dropping the DM', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { engine: null });
    expect(await h.deliver('slack.events', { payload: dm() })).toMatchObject({ status: 'failed', error: expect.stringMatching(/engine_unavailable.*reasoning plugin/) });
    expect(slack.posts()).toEqual([]);
  });

  it('fails the non-fatal slack_client with Slack’s reason when auth.test says invalid_auth, and the rest keeps running', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack, { token: 'xoxb-revoked-token' });
    expect(state(h, 'slack_client')).toMatchObject({ state: 'failed', fatal: false, errorCode: 'KORA_ERR_DAEMON_START', error: expect.stringContaining('invalid_auth') });
    expect(state(h, 'slack_client')?.error).not.toContain('xoxb-revoked-token');
    // The DM consumer runs on the fleet's leader only; the client everywhere (each gateway posts replies).
    expect(state(h, 'slack_dm')).toMatchObject({ state: 'running', scope: 'leader' });
    expect(state(h, 'slack_client')).toMatchObject({ scope: 'everywhere' });
    expect(h.services.has('slack.client')).toBe(false);
    expect(await h.callTool('kora__send_slack', { channel: 'C1', text: 'hi' })).toMatchObject({ ok: true, result: { ok: false, error: { code: 'slack_client_unavailable' } } });
  });
});

describe('kora__send_slack', () => {
  it('is offered to MCP callers', async () => {
    const slack = await fakeSlack();
    const seen: { mcpTools?: LlmTool[] } = {};
    await boot(slack, { seen });
    expect(seen.mcpTools?.map((t) => t.name)).toContain('kora__send_slack');
    expect(seen.mcpTools?.find((t) => t.name === 'kora__send_slack')?.input_schema).toMatchObject({ type: 'object', required: ['channel', 'text'] });
  });

  it('posts with chat.postMessage, in a thread when thread_ts is given', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack);
    const result = await h.callTool('kora__send_slack', { channel: 'C0OPS', text: 'Deploy done.', thread_ts: '1767225000.000100' });
    expect(result).toMatchObject({ ok: true, result: { ok: true, channel: 'C0OPS', ts: expect.stringMatching(/^\d+\.\d{6}$/) } });
    expect(slack.posts()).toEqual([{ channel: 'C0OPS', text: 'Deploy done.', thread_ts: '1767225000.000100' }]);
  });

  it('answers Slack’s own error code when Slack refuses, and invalid_input for a bad input', async () => {
    const slack = await fakeSlack();
    const h = await boot(slack);
    slack.fail('chat.postMessage', { error: 'not_in_channel' });
    expect(await h.callTool('kora__send_slack', { channel: 'C0PRIV', text: 'hi' })).toMatchObject({ ok: true, result: { ok: false, error: { code: 'not_in_channel', message: expect.stringContaining('chat.postMessage') } } });
    expect(await h.callTool('kora__send_slack', { channel: 'C0PRIV', text: 'hi' })).toMatchObject({ result: { ok: true } });
    expect(await h.callTool('kora__send_slack', { channel: '', text: 7 })).toMatchObject({
      result: { ok: false, error: { code: 'invalid_input', message: 'channel must be a non-empty string; text must be a non-empty string' } },
    });
  });
});
