// The email plugin's table (`email_replies`) on the store kind of the vitest project (`sqlite`,
// `postgres`): the plugin's migrations run by the harness on a fresh store, then its real code
// paths — an inbound email answered through the reply daemon's consumer (a scripted engine, the
// real SMTP sender against `smtp-server` on loopback), the reply kept before it is sent and kept
// as sent after, a redelivery sending nothing twice, the agent's own reply recognised, and the
// prune of old sent replies. DESIGN §7: every plugin table runs on SQLite and PostgreSQL alike.
import { definePlugin, type Engine, type EngineReply, type EngineRequest } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import { startSmtpSink, type SmtpSink } from '../../../test/mail/smtp-sink.js';
import plugin from './index.js';
import { Replies } from './replies.js';
import { PRUNE_TASK } from './reply-daemon.js';

const AGENT = 'kora@kora.test';
const T0 = Date.UTC(2026, 11, 15, 10);
const DAY = 86_400_000;

class ScriptedEngine implements Engine {
  readonly requests: EngineRequest[] = [];
  async respond(request: EngineRequest): Promise<EngineReply> {
    this.requests.push(request);
    return { text: `reply ${this.requests.length}`, model: 'scripted', calls: 1, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 } };
  }
}

const engineHost = (engine: Engine) =>
  definePlugin({
    id: 'engine-under-test',
    register(ctx) {
      ctx.registerDaemon({ name: 'scripted_engine', start: (d) => d.services.provide('engine', engine) });
    },
  });

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink({ user: AGENT });
});
afterAll(async () => {
  await smtp.close();
});
const open: PluginHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function boot(engine: Engine): Promise<PluginHarness> {
  const storeUrl = storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite::memory:';
  const env = { KORA_PUREMAIL_SMTP_USERNAME: smtp.user, KORA_PUREMAIL_SMTP_APP_PASSWORD: smtp.password, KORA_PUREMAIL_SMTP_HOST: '127.0.0.1', KORA_PUREMAIL_SMTP_PORT: String(smtp.port), KORA_PUREMAIL_SMTP_TLS: 'false' };
  const h = await createPluginHarness([plugin, engineHost(engine)], { storeUrl, env, clock: new ManualClock(T0), config: { email: { timeoutMs: 5_000 } } });
  open.push(h);
  await h.startDaemons();
  return h;
}

const inbound = (id: string, from = 'alice@example.com') => ({ key: id, payload: { messageId: id, from, subject: 'Uptime', text: 'Are you up?' } });

describe(`email_replies on ${storeKind}`, () => {
  it('keeps the reply before sending, marks it sent after, and sends it once whatever the redeliveries', async () => {
    const engine = new ScriptedEngine();
    const h = await boot(engine);
    const replies = new Replies(h.store.pluginDb('email'));
    const before = smtp.messages.length;

    // The SMTP server refuses the first attempt: the engine's answer is kept, pending, one attempt.
    smtp.failNext(1, 451);
    expect(await h.deliver('email.inbound', inbound('<m1@example.com>'))).toMatchObject({ status: 'failed' });
    const pending = await replies.find('<m1@example.com>');
    expect(pending).toMatchObject({ state: 'pending', recipient: 'alice@example.com', text: 'reply 1', created_at: T0, sent_at: null, attempts: 1, smtp_response: null });
    expect(typeof pending!.created_at).toBe('number');
    expect(engine.requests).toHaveLength(1);

    // The retry sends the kept reply, without asking the engine again; then it is sent.
    expect(await h.deliver('email.inbound', inbound('<m1@example.com>'))).toMatchObject({ status: 'ok' });
    expect(engine.requests).toHaveLength(1);
    const sent = await replies.find('<m1@example.com>');
    expect(sent).toMatchObject({ state: 'sent', attempts: 2, sent_at: T0, reply_message_id: pending!.reply_message_id });
    expect(typeof sent!.sent_at).toBe('number');
    expect(sent!.smtp_response).toMatch(/^250/);
    expect(smtp.messages.length - before).toBe(1);

    // A third delivery of the same email: answered already, nothing sent.
    expect(await h.deliver('email.inbound', inbound('<m1@example.com>'))).toMatchObject({ status: 'ok' });
    expect(smtp.messages.length - before).toBe(1);
    expect(engine.requests).toHaveLength(1);

    // The agent's reply coming back in is its own: not answered.
    expect(await replies.isOwnReply(sent!.reply_message_id)).toBe(true);
    expect(await replies.isOwnReply('<other@example.com>')).toBe(false);
    expect(await h.deliver('email.inbound', inbound(sent!.reply_message_id, 'bob@example.com'))).toMatchObject({ status: 'ok' });
    expect(engine.requests).toHaveLength(1);
  });

  it('keeps the first reply kept for an email (a second keep changes nothing), and prunes only old sent replies', async () => {
    const h = await boot(new ScriptedEngine());
    const replies = new Replies(h.store.pluginDb('email'));
    const row = (id: string, text: string, at: number) => ({ inbound_message_id: id, reply_message_id: `<r-${id}>`, conversation: `email:${id}`, recipient: 'alice@example.com', subject: 'Re: x', text, created_at: at });
    expect(await replies.keep(row('<a>', 'first', T0 - 200 * DAY))).toMatchObject({ text: 'first', state: 'pending', attempts: 0 });
    expect(await replies.keep(row('<a>', 'second', T0))).toMatchObject({ text: 'first', created_at: T0 - 200 * DAY });
    await replies.keep(row('<b>', 'b', T0 - 150 * DAY));
    await replies.keep(row('<c>', 'c', T0 - 10 * DAY));
    await replies.keep(row('<d>', 'd', T0 - 300 * DAY));
    await replies.sent('<a>', T0 - 100 * DAY, '250 OK');
    await replies.sent('<b>', T0 - 89 * DAY, '250 OK');
    await replies.sent('<c>', T0 - 10 * DAY, '250 OK');
    // <d> is pending (owed) however old; <a> was sent 100 days ago; <b> 89 days ago, within the 90 kept.
    expect(await h.runTask(PRUNE_TASK)).toMatchObject({ status: 'ok' });
    expect((await replies.all()).map((r) => [r.inbound_message_id, r.state])).toEqual([
      ['<d>', 'pending'],
      ['<b>', 'sent'],
      ['<c>', 'sent'],
    ]);
    expect(await replies.prune(T0)).toBe(2);
    expect((await replies.all()).map((r) => r.inbound_message_id)).toEqual(['<d>']);
  });
});
