// The email plugin in the harness, against real servers on loopback: nodemailer sending to
// `smtp-server` (test/mail/smtp-sink.ts), imapflow reading a throwaway Dovecot
// (test/mail/dovecot.ts), and a scripted engine provided by a test plugin as the `engine`
// service — the dependency, a real implementation of the Engine contract, not the thing tested.
import { definePlugin, KoraError, type Engine, type EngineReply, type EngineRequest } from '@kora/runtime';
import { createPluginHarness, type PluginHarness } from '@kora/runtime/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutDovecot, startDovecot, type Dovecot } from '../../../test/mail/dovecot.js';
import { startSmtpSink, type SmtpSink } from '../../../test/mail/smtp-sink.js';
import plugin from './index.js';
import { Replies } from './replies.js';

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

function enginePlugin(engine: Engine | null) {
  return definePlugin({
    id: 'engine-under-test',
    register(ctx) {
      ctx.registerDaemon({
        name: 'scripted_engine',
        start(d) {
          if (engine) d.services.provide('engine', engine);
        },
      });
    },
  });
}

const AGENT = 'kora@kora.test';
let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink({ user: AGENT });
});
afterAll(async () => {
  await smtp.close();
});

const harnesses: PluginHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

interface Setup {
  smtp?: boolean;
  imap?: Dovecot;
  engine?: Engine | null;
  env?: Record<string, string>;
  config?: Record<string, unknown>;
}

async function boot(setup: Setup = {}): Promise<PluginHarness> {
  const env: Record<string, string> = {
    ...(setup.smtp === false
      ? {}
      : { KORA_PUREMAIL_SMTP_USERNAME: smtp.user, KORA_PUREMAIL_SMTP_APP_PASSWORD: smtp.password, KORA_PUREMAIL_SMTP_HOST: '127.0.0.1', KORA_PUREMAIL_SMTP_PORT: String(smtp.port), KORA_PUREMAIL_SMTP_TLS: 'false' }),
    ...(setup.imap
      ? { KORA_PUREMAIL_IMAP_HOST: '127.0.0.1', KORA_PUREMAIL_IMAP_PORT: String(setup.imap.port), KORA_PUREMAIL_IMAP_USERNAME: setup.imap.user, KORA_PUREMAIL_IMAP_PASSWORD: setup.imap.password, KORA_PUREMAIL_IMAP_TLS: 'false' }
      : {}),
    ...setup.env,
  };
  const harness = await createPluginHarness([plugin, enginePlugin(setup.engine === undefined ? new ScriptedEngine() : setup.engine)], { env, config: { email: { timeoutMs: 5_000, ...setup.config } } });
  harnesses.push(harness);
  await harness.startDaemons();
  return harness;
}

const state = (h: PluginHarness, name: string) => h.daemons().find((d) => d.name === name);

function mail(headers: Record<string, string>, body = 'Are you up?'): string {
  const all = { From: 'Alice <alice@example.com>', To: AGENT, Subject: 'Uptime', Date: 'Thu, 01 Jan 2026 10:00:00 +0000', 'Message-ID': '<m1@example.com>', ...headers };
  return `${Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body}\r\n`;
}

/** Every pending item of `email.inbound`, claimed as the gateway's inbox loop would. */
async function claimed(h: PluginHarness) {
  return h.store.inbox.claim({ topics: ['email.inbound'], owner: 'test', leaseMs: 60_000, now: h.clock.now() + 3_600_000, limit: 50 });
}

describe('the email plugin without credentials', () => {
  it('runs with no sender and no poller, and says which variables to set', async () => {
    const h = await boot({ smtp: false });
    expect(state(h, 'purelymail_client')).toMatchObject({ state: 'running', error: null, note: expect.stringContaining('KORA_PUREMAIL_SMTP_USERNAME and KORA_PUREMAIL_SMTP_APP_PASSWORD are not set') });
    expect(state(h, 'email_inbound_imap')).toMatchObject({ state: 'running', scope: 'leader', note: expect.stringContaining('KORA_PUREMAIL_IMAP_USERNAME and KORA_PUREMAIL_IMAP_PASSWORD are not set') });
    expect(state(h, 'email_reply')).toMatchObject({ state: 'running', scope: 'leader' });
    expect(h.services.has('email.sender')).toBe(false);
    expect(await h.runTask('email.imap_poll')).toMatchObject({ status: 'ok' });
    const [row] = await h.audit({ seam: 'email.sender' });
    expect(row?.details).toMatchObject({ state: 'unavailable', variables: ['KORA_PUREMAIL_SMTP_USERNAME', 'KORA_PUREMAIL_SMTP_APP_PASSWORD'] });
  });

  it('answers kora__send_email with a coded error the model reads, and fails an inbound email so the inbox keeps it', async () => {
    const engine = new ScriptedEngine();
    const h = await boot({ smtp: false, engine });
    const result = await h.callTool('kora__send_email', { to: 'bob@example.com', subject: 'hi', text: 'hello' });
    expect(result).toMatchObject({ ok: true, result: { ok: false, error: { code: 'KORA_ERR_EMAIL_SENDER_UNAVAILABLE', message: expect.stringContaining('KORA_PUREMAIL_SMTP_USERNAME') } } });
    const outcome = await h.deliver('email.inbound', { key: '<m1@example.com>', payload: { messageId: '<m1@example.com>', from: 'alice@example.com', subject: 'hi', text: 'hello' } });
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('KORA_ERR_EMAIL_SENDER_UNAVAILABLE') });
    expect(engine.requests).toEqual([]);
  });

  it('fails the plugin by name on a port or a TLS flag it cannot read', async () => {
    await expect(createPluginHarness(plugin, { env: { KORA_PUREMAIL_SMTP_PORT: 'smtp', KORA_PUREMAIL_IMAP_TLS: 'maybe' } })).rejects.toMatchObject({
      code: 'KORA_ERR_ENV_INVALID',
      message: expect.stringMatching(/KORA_PUREMAIL_SMTP_PORT="smtp"[\s\S]*KORA_PUREMAIL_IMAP_TLS="maybe"/),
    });
  });
});

describe('the SMTP sender', () => {
  it('sends through the server with the credentials, from the login address, and answers the tool with the Message-ID', async () => {
    const h = await boot();
    const before = smtp.messages.length;
    const result = await h.callTool('kora__send_email', { to: 'bob@example.com', subject: 'Deploy', text: 'Done.', in_reply_to: '<q1@example.com>', references: ['<q0@example.com>', '<q1@example.com>'] });
    expect(result).toMatchObject({ ok: true, result: { ok: true, messageId: expect.stringMatching(/^<kora\.[0-9a-f]+@kora\.test>$/), accepted: ['bob@example.com'] } });
    const sent = smtp.messages[before]!;
    expect(sent).toMatchObject({ from: AGENT, to: ['bob@example.com'], user: AGENT });
    expect(sent.parsed.subject).toBe('Deploy');
    expect(sent.parsed.text?.trim()).toBe('Done.');
    expect(sent.parsed.inReplyTo).toBe('<q1@example.com>');
    expect(sent.parsed.references).toEqual(['<q0@example.com>', '<q1@example.com>']);
    const [row] = await h.audit({ seam: 'email.sender' });
    expect(row?.details).toMatchObject({ state: 'connected', host: '127.0.0.1', port: smtp.port, from: AGENT, allowedFromDomains: ['kora.test'] });
    expect(JSON.stringify(h.logs)).not.toContain(smtp.password);
  });

  it('refuses a From outside KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS with a coded error, before sending anything', async () => {
    const h = await boot({ env: { KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS: 'kora.test, ops.kora.test' } });
    const sender = h.services.get('email.sender');
    const before = smtp.messages.length;
    await expect(sender.send({ to: 'bob@example.com', subject: 'x', text: 'y', from: 'ceo@evil.example' })).rejects.toMatchObject({
      code: 'KORA_ERR_EMAIL_FROM_REFUSED',
      message: expect.stringContaining('outside the domains the agent may send from (kora.test, ops.kora.test)'),
    });
    await sender.send({ to: 'bob@example.com', subject: 'x', text: 'y', from: 'alerts@ops.kora.test' });
    expect(smtp.messages.slice(before).map((m) => m.from)).toEqual(['alerts@ops.kora.test']);
  });

  it('fails its daemon (not the gateway) when the From itself is outside the allowed domains, or the server refuses the login; never quoting the password', async () => {
    const refused = await boot({ env: { KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS: 'elsewhere.test' } });
    expect(state(refused, 'purelymail_client')).toMatchObject({ state: 'failed', error: expect.stringContaining('KORA_ERR_EMAIL_FROM_REFUSED') });
    const wrong = await boot({ env: { KORA_PUREMAIL_SMTP_APP_PASSWORD: 'not-the-password-123' } });
    const failed = state(wrong, 'purelymail_client');
    expect(failed).toMatchObject({ state: 'failed', error: expect.stringContaining('KORA_ERR_EMAIL_SEND_FAILED') });
    expect(failed?.error).toContain('Invalid username or password');
    expect(failed?.error).not.toContain('not-the-password-123');
    expect(state(wrong, 'email_reply')).toMatchObject({ state: 'running' });
    expect(wrong.services.has('email.sender')).toBe(false);
  });
});

describe.skipIf(skipWithoutDovecot)('the IMAP poller and the reply consumer', () => {
  let imap: Dovecot;
  beforeAll(async () => {
    imap = await startDovecot({ user: AGENT });
  });
  afterAll(async () => {
    await imap?.stop();
  });

  it('keeps each unseen message in email.inbound under its Message-ID, then flags it \\Seen, and logs out', async () => {
    await imap.append(mail({ 'Message-ID': '<poll1@example.com>', References: '<root@example.com>', 'In-Reply-To': '<root@example.com>' }));
    await imap.append(mail({ 'Message-ID': '<poll2@example.com>', Subject: 'Seen already' }), ['\\Seen']);
    const h = await boot({ imap });
    expect(await h.runTask('email.imap_poll')).toMatchObject({ status: 'ok' });
    const items = await claimed(h);
    expect(items.map((i) => i.key)).toEqual(['<poll1@example.com>']);
    expect(items[0]!.payload).toMatchObject({
      messageId: '<poll1@example.com>',
      from: 'alice@example.com',
      fromName: 'Alice',
      to: [AGENT],
      subject: 'Uptime',
      text: 'Are you up?\n',
      inReplyTo: '<root@example.com>',
      references: ['<root@example.com>'],
      date: '2026-01-01T10:00:00.000Z',
      headers: expect.objectContaining({ 'message-id': '<poll1@example.com>', subject: 'Uptime' }),
    });
    const flags = Object.fromEntries((await imap.messages()).map((m) => [m.messageId, m.flags]));
    expect(flags['<poll1@example.com>']).toContain('\\Seen');
    // The next cycle finds nothing unseen: nothing new in the inbox.
    expect(await h.runTask('email.imap_poll')).toMatchObject({ status: 'ok' });
    expect(await claimed(h)).toEqual([]);
    expect(imap.sessions()).toEqual([]);
  });

  it('answers once by SMTP, threaded, to the sender — and a redelivery after the send sends nothing', async () => {
    const engine = new ScriptedEngine(['Yes, all green.']);
    await imap.append(mail({ 'Message-ID': '<ask1@example.com>', Subject: 'Re: Uptime', References: '<root1@example.com> <mid1@example.com>', 'In-Reply-To': '<mid1@example.com>' }));
    const h = await boot({ imap, engine });
    await h.runTask('email.imap_poll');
    const [item] = (await claimed(h)).filter((i) => i.key === '<ask1@example.com>');
    const before = smtp.messages.length;
    expect(await h.deliver('email.inbound', { key: item!.key, payload: item!.payload })).toMatchObject({ status: 'ok' });
    const sent = smtp.messages.slice(before);
    expect(sent).toHaveLength(1);
    const reply = sent[0]!;
    expect(reply.to).toEqual(['alice@example.com']);
    expect(reply.parsed.subject).toBe('Re: Uptime');
    expect(reply.parsed.inReplyTo).toBe('<ask1@example.com>');
    expect(reply.parsed.references).toEqual(['<root1@example.com>', '<mid1@example.com>', '<ask1@example.com>']);
    expect(reply.parsed.text?.trim()).toBe('Yes, all green.');
    expect(reply.parsed.messageId).toMatch(/^<kora\.reply\.[0-9a-f]{32}@kora\.test>$/);
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]).toMatchObject({ route: 'email_inbound', conversation: 'email:<root1@example.com>', metadata: { from: 'alice@example.com', messageId: '<ask1@example.com>' } });
    expect(engine.requests[0]!.messages).toEqual([{ role: 'user', content: 'Subject: Re: Uptime\n\nAre you up?' }]);

    // The gateway died after the send, before the item was completed: it is delivered again.
    expect(await h.deliver('email.inbound', { key: item!.key, payload: item!.payload, attempt: 2 })).toMatchObject({ status: 'ok' });
    expect(smtp.messages.length - before).toBe(1);
    expect(engine.requests).toHaveLength(1);
    const [row] = (await new Replies(h.store.pluginDb('email')).all()).filter((r) => r.inbound_message_id === '<ask1@example.com>');
    expect(row).toMatchObject({ state: 'sent', reply_message_id: reply.parsed.messageId, recipient: 'alice@example.com', attempts: 1 });

    // The agent's own reply, landing in its mailbox (a Cc, a list), is not answered.
    expect(await h.deliver('email.inbound', { payload: { messageId: reply.parsed.messageId, from: 'someone@example.com', subject: 'Re: Uptime', text: 'Yes' } })).toMatchObject({ status: 'ok' });
    expect(smtp.messages.length - before).toBe(1);
  });

  it('keeps a reply whose send failed and sends the same one, under the same Message-ID, on the retry', async () => {
    const engine = new ScriptedEngine(['Noted.']);
    const h = await boot({ engine });
    const payload = { messageId: '<retry1@example.com>', from: 'Bob <bob@example.com>', replyTo: 'bob-team@example.com', subject: 'Deploy', text: 'Ship it?' };
    const before = smtp.messages.length;
    smtp.failNext(1, 451);
    const first = await h.deliver('email.inbound', { key: payload.messageId, payload });
    expect(first).toMatchObject({ status: 'failed', error: expect.stringContaining('KORA_ERR_EMAIL_SEND_FAILED') });
    expect(first.status === 'failed' && first.error).toContain('451');
    expect(await h.deliver('email.inbound', { key: payload.messageId, payload, attempt: 2 })).toMatchObject({ status: 'ok' });
    const sent = smtp.messages.slice(before);
    expect(sent.map((m) => [m.to, m.parsed.subject, m.parsed.text?.trim()])).toEqual([[['bob-team@example.com'], 'Re: Deploy', 'Noted.']]);
    expect(engine.requests).toHaveLength(1);
    const [row] = (await new Replies(h.store.pluginDb('email')).all()).filter((r) => r.inbound_message_id === payload.messageId);
    expect(row).toMatchObject({ state: 'sent', attempts: 2, reply_message_id: sent[0]!.parsed.messageId });
  });

  it('answers a refused model call (the budget’s hard stop) with the refusal’s message, threaded, instead of retrying it into a dead letter', async () => {
    const refused = new KoraError('KORA_ERR_REASONING_REFUSED', 'the model call was refused (cost_hard_stop): budget used up', { route: 'email_inbound', refusal: 'cost_hard_stop', reason: "This month's LLM budget is used up." });
    const h = await boot({ engine: new ScriptedEngine([refused]) });
    const before = smtp.messages.length;
    const payload = { messageId: '<refused1@example.com>', from: 'erin@example.com', subject: 'Report', text: 'Send me the report' };
    expect(await h.deliver('email.inbound', { key: payload.messageId, payload })).toMatchObject({ status: 'ok' });
    const sent = smtp.messages.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.parsed.text?.trim()).toBe("This month's LLM budget is used up.");
    expect(sent[0]!.parsed).toMatchObject({ subject: 'Re: Report', inReplyTo: '<refused1@example.com>' });
  });

  it('throws when the engine fails, so the inbox retries, and keeps nothing', async () => {
    const h = await boot({ engine: new ScriptedEngine([Object.assign(new Error('KORA_ERR_REASONING_API: overloaded'), { code: 'KORA_ERR_REASONING_API' })]) });
    const outcome = await h.deliver('email.inbound', { payload: { messageId: '<fail1@example.com>', from: 'carol@example.com', subject: 'x', text: 'y' } });
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/KORA_ERR_EMAIL_REPLY_FAILED.*overloaded/) });
    expect((await new Replies(h.store.pluginDb('email')).all()).filter((r) => r.inbound_message_id === '<fail1@example.com>')).toEqual([]);
    const none = await boot({ engine: null });
    expect(await none.deliver('email.inbound', { payload: { messageId: '<fail2@example.com>', from: 'carol@example.com', subject: 'x', text: 'y' } })).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no engine service is running'),
    });
  });

  it.each([
    ['an auto-reply', { 'Auto-Submitted': 'auto-replied' }, 'Auto-Submitted: auto-replied'],
    ['a mailing list', { 'List-Id': '<ops.lists.example.com>' }, 'List-Id'],
    ['bulk mail', { Precedence: 'bulk' }, 'Precedence: bulk'],
    ['junk', { Precedence: 'junk' }, 'Precedence: junk'],
    ['a no-reply sender', { From: 'GitHub <noreply@github.com>' }, 'no-reply address'],
    ['a no_reply sender', { From: 'no_reply@example.com' }, 'no-reply address'],
    ['a bounce', { From: 'MAILER-DAEMON@mx.example.com' }, 'no-reply address'],
    ['the agent itself', { From: `Kora <${AGENT}>` }, 'the agent itself'],
  ])('does not answer %s', async (_what, headers, reason) => {
    const engine = new ScriptedEngine();
    const id = `<skip.${Math.random().toString(16).slice(2)}@example.com>`;
    await imap.append(mail({ ...headers, 'Message-ID': id }));
    const h = await boot({ imap, engine });
    await h.runTask('email.imap_poll');
    const [item] = (await claimed(h)).filter((i) => i.key === id);
    const before = smtp.messages.length;
    expect(await h.deliver('email.inbound', { key: id, payload: item!.payload })).toMatchObject({ status: 'ok' });
    expect(engine.requests).toEqual([]);
    expect(smtp.messages.length).toBe(before);
    expect(h.logs.find((l) => l.msg.includes(`${id} is not answered`))?.msg).toContain(reason);
  });

  it('answers Auto-Submitted: no like any person’s email', async () => {
    const engine = new ScriptedEngine(['Hi.']);
    const h = await boot({ engine });
    const before = smtp.messages.length;
    expect(await h.deliver('email.inbound', { payload: { messageId: '<autono@example.com>', from: 'dan@example.com', subject: 'Hello', text: 'hi', headers: { 'Auto-Submitted': 'no' } } })).toMatchObject({ status: 'ok' });
    expect(smtp.messages.length - before).toBe(1);
  });
});

describe.skipIf(skipWithoutDovecot)('an IMAP cycle that fails', () => {
  let imap: Dovecot;
  beforeAll(async () => {
    imap = await startDovecot({ user: AGENT });
  });
  afterAll(async () => {
    await imap?.stop();
  });

  it('fails the run with the server’s answer and leaves no connection open, on a refused login', async () => {
    const h = await boot({ imap, env: { KORA_PUREMAIL_IMAP_PASSWORD: 'wrong-imap-password' } });
    const outcome = await h.runTask('email.imap_poll');
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('KORA_ERR_EMAIL_IMAP') });
    expect(outcome.status === 'failed' && outcome.error).toContain(`connect to 127.0.0.1:${imap.port}`);
    expect(outcome.status === 'failed' && outcome.error).not.toContain('wrong-imap-password');
    expect(imap.sessions()).toEqual([]);
  });

  it('fails the run on a mailbox that does not exist, logged in, and still logs out', async () => {
    const h = await boot({ imap, config: { mailbox: 'Nowhere' } });
    const outcome = await h.runTask('email.imap_poll');
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('failed to open mailbox Nowhere') });
    await expect.poll(() => imap.sessions(), { timeout: 5_000 }).toEqual([]);
    expect(imap.log()).toMatch(/Logged out/);
  });
});
