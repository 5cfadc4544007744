// The agent answering on each of its channels, end to end, with Marvin enabled first: a real
// gateway (marvin, kora, reasoning, slack, email, web, webhooks), the real reasoning plugin and
// SDK against the fake Messages API (test/fakes/anthropic.ts), which answers with the first line
// of the system prompt it received — so a reply that carries Marvin's first line was written in
// Marvin's voice. Each exchange must also leave the kora plugin's audit row and the engine's
// usage rows. Channels: a Slack DM (signed event → webhook receiver → inbox → the fake Slack
// Web API), an email (Dovecot IMAP → inbox → smtp-server, also across a restart), the CLI.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { skipWithoutDovecot, startDovecot, type Dovecot } from '../mail/dovecot.js';
import { startSmtpSink, type SmtpSink } from '../mail/smtp-sink.js';
import { emailEnv, exchangeRows, kora, MARVIN_FIRST_LINE, POLL_EVERY_SECOND, startAgent, statusOf } from './agent.js';
import { eventually, killAll, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAll(running);
  for (const close of closers.splice(0)) await close();
  for (const p of projects.splice(0)) p.cleanup();
});

async function fakeApi(): Promise<FakeAnthropic> {
  const api = await startFakeAnthropic();
  closers.push(() => api.close());
  return api;
}

/** The system prompt the engine sent, first block: Marvin's, not Kora's. */
function expectMarvinSystemPrompt(api: FakeAnthropic): void {
  expect(api.requests.length).toBeGreaterThan(0);
  for (const r of api.requests) {
    const system = r.body.system as { text: string }[];
    expect(system[0]!.text.split('\n')[0]).toBe(MARVIN_FIRST_LINE);
    expect(system[0]!.text).not.toMatch(/^You are Kora/);
  }
}

describe('the agent with Marvin first, on each channel', () => {
  it('answers a Slack DM in Marvin’s voice, in its thread, and audits and costs the call', async () => {
    const api = await fakeApi();
    const slack: FakeSlack = await startFakeSlack();
    closers.push(() => slack.close());
    const secret = 'e2e-agent-slack-signing-secret';
    const agent = await startAgent({ api, env: { KORA_SLACK_SIGNING_SECRET: secret, KORA_SLACK_BOT_TOKEN: slack.token, KORA_SLACK_API_URL: slack.url } }, running, projects);
    expect(statusOf(agent.project).identity?.agentName).toBe('Marvin');

    const body = JSON.stringify({
      token: 'legacy',
      team_id: 'T0KORA',
      api_app_id: 'A0KORA',
      type: 'event_callback',
      event_id: 'Ev0AGENTDM',
      event_time: 1767225000,
      event: { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: 'U0ALICE', text: 'Are you up?', ts: '1767225000.000100' },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const response = await fetch(`${agent.receiver}slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature } });
    expect(response.status).toBe(200);

    await eventually(() => slack.posts().length === 1, 30_000);
    expect(slack.posts()).toEqual([{ channel: 'D0ALICE', text: `${MARVIN_FIRST_LINE} | Are you up?`, thread_ts: '1767225000.000100' }]);
    expectMarvinSystemPrompt(api);

    const { audit, usage } = await exchangeRows(agent.project, 'slack_dm');
    expect(audit).toEqual([{ plugin: 'kora', seam: 'llm.call', details: expect.objectContaining({ route: 'slack_dm', conversationId: 'slack:D0ALICE:1767225000.000100', outcome: 'ok', model: expect.any(String) }) }]);
    expect(JSON.stringify(audit)).not.toContain('Are you up?');
    expect(usage).toEqual([expect.objectContaining({ route: 'slack_dm', conversation: 'slack:D0ALICE:1767225000.000100', outcome: 'ok', input_tokens: expect.any(Number) })]);
    expect(usage[0]!.input_tokens).toBeGreaterThan(0);
    expect(usage[0]!.output_tokens).toBeGreaterThan(0);
    expect(await agent.stop()).toBe(0);
  });

  it.skipIf(skipWithoutDovecot)('answers an email once by SMTP in Marvin’s voice, threaded, also across a restart, and audits and costs the call', async () => {
    const api = await fakeApi();
    const imap: Dovecot = await startDovecot({ user: 'marvin@kora.test' });
    closers.push(() => imap.stop());
    const smtp: SmtpSink = await startSmtpSink({ user: 'marvin@kora.test' });
    closers.push(() => smtp.close());
    const env = emailEnv(smtp, imap);
    const yaml = POLL_EVERY_SECOND;
    const agent = await startAgent({ api, env, yaml }, running, projects);

    const id = '<uptime.1@example.com>';
    await imap.append(
      [
        'From: Alice Example <alice@example.com>',
        'To: marvin@kora.test',
        'Subject: Uptime',
        'Date: Thu, 01 Jan 2026 10:00:00 +0000',
        `Message-ID: ${id}`,
        'References: <thread.0@example.com>',
        'In-Reply-To: <thread.0@example.com>',
        '',
        'Are you up?',
        '',
      ].join('\r\n'),
    );
    await smtp.waitForMessages(1, 30_000);
    const reply = smtp.messages[0]!;
    expect(reply.to).toEqual(['alice@example.com']);
    expect(reply.from).toBe('marvin@kora.test');
    expect(reply.parsed.subject).toBe('Re: Uptime');
    expect(reply.parsed.inReplyTo).toBe(id);
    expect(reply.parsed.references).toEqual(['<thread.0@example.com>', id]);
    expect(reply.parsed.text?.trim()).toBe(`${MARVIN_FIRST_LINE} | Subject: Uptime\n\nAre you up?`);
    expectMarvinSystemPrompt(api);
    expect((await imap.messages()).find((m) => m.messageId === id)?.flags).toContain('\\Seen');

    const conversation = 'email:<thread.0@example.com>';
    const { audit, usage } = await exchangeRows(agent.project, 'email_inbound');
    expect(audit).toEqual([{ plugin: 'kora', seam: 'llm.call', details: expect.objectContaining({ route: 'email_inbound', conversationId: conversation, outcome: 'ok' }) }]);
    expect(usage).toEqual([expect.objectContaining({ route: 'email_inbound', conversation, outcome: 'ok' })]);
    await eventually(() => statusOf(agent.project).inbox.every((t) => t.topic !== 'email.inbound' || (t.pending === 0 && t.inFlight === 0)));
    expect(await agent.stop()).toBe(0);

    // A restart, with the message unseen again (as if the flag had been lost): the poller keeps it
    // again, and it is not answered twice.
    await imap.markAllUnseen();
    const requestsBefore = api.requests.length;
    const again = await startAgent({ api, env, project: agent.project }, running, projects);
    await eventually(() => statusOf(again.project).daemons.some((d) => d.name === 'email_inbound_imap' && d.state === 'running'));
    // The poller keeps it again (the inbox knows its Message-ID) and only then flags it \Seen.
    await again.gateway.waitForErr(/1 already there/, 30_000);
    expect((await imap.messages()).find((m) => m.messageId === id)?.flags).toContain('\\Seen');
    await eventually(() => statusOf(again.project).inbox.every((t) => t.topic !== 'email.inbound' || (t.pending === 0 && t.inFlight === 0)));
    expect(smtp.messages).toHaveLength(1);
    expect(api.requests.length).toBe(requestsBefore);
    expect(statusOf(again.project).inbox.find((t) => t.topic === 'email.inbound')?.dead ?? 0).toBe(0);
    expect(await again.stop()).toBe(0);
    for (const secret of [smtp.password, imap.password, 'sk-ant-e2e-agent-key']) expect(agent.gateway.stderr() + again.gateway.stderr()).not.toContain(secret);
  });

  it.skipIf(skipWithoutDovecot)('sends the kept reply again after a gateway killed mid-send, under the same Message-ID, without asking the engine again', async () => {
    const api = await fakeApi();
    const imap = await startDovecot({ user: 'marvin@kora.test' });
    closers.push(() => imap.stop());
    const smtp = await startSmtpSink({ user: 'marvin@kora.test' });
    closers.push(() => smtp.close());
    const env = emailEnv(smtp, imap);
    const agent = await startAgent({ api, env, yaml: POLL_EVERY_SECOND }, running, projects);
    // The server has the reply, but the gateway dies before it hears the 250.
    smtp.beforeAnswer = async () => {
      agent.gateway.child.kill('SIGKILL');
      await agent.gateway.exited;
    };
    const id = '<killed.1@example.com>';
    await imap.append(['From: bob@example.com', 'To: marvin@kora.test', 'Subject: Backups', `Message-ID: ${id}`, '', 'Did the backup run?', ''].join('\r\n'));
    await smtp.waitForMessages(1, 30_000);
    expect((await agent.gateway.exited).signal).toBe('SIGKILL');
    smtp.beforeAnswer = null;
    const asked = api.requests.length;
    expect(asked).toBe(1);

    // The next boot delivers the item the dead gateway held; its reply was kept, pending.
    const again = await startAgent({ api, env, project: agent.project }, running, projects);
    await smtp.waitForMessages(2, 30_000);
    const [first, second] = smtp.messages;
    expect(second!.parsed.messageId).toBe(first!.parsed.messageId);
    expect(second!.parsed.text).toBe(first!.parsed.text);
    expect(second!.parsed.inReplyTo).toBe(id);
    expect(api.requests.length).toBe(asked);
    await eventually(() => statusOf(again.project).inbox.every((t) => t.topic !== 'email.inbound' || (t.pending === 0 && t.inFlight === 0)));
    const { usage } = await exchangeRows(again.project, 'email_inbound');
    expect(usage).toHaveLength(1);
    expect(await again.stop()).toBe(0);
    expect(smtp.messages).toHaveLength(2);
  });

  it('answers `kora ask` in Marvin’s voice, and `kora usage --json` counts the call that the audit log records', async () => {
    const api = await fakeApi();
    const agent = await startAgent({ api }, running, projects);
    const asked = await kora(['ask', 'Are you up?'], agent.project, running);
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim()).toBe(`${MARVIN_FIRST_LINE} | Are you up?`);
    expectMarvinSystemPrompt(api);
    const conversation = /--conversation (\S+)\)/.exec(asked.stderr)?.[1];
    expect(conversation).toMatch(/^cli:/);

    const { audit, usage } = await exchangeRows(agent.project, 'cli');
    expect(audit).toEqual([{ plugin: 'kora', seam: 'llm.call', details: expect.objectContaining({ route: 'cli', conversationId: conversation, outcome: 'ok' }) }]);
    expect(usage).toEqual([expect.objectContaining({ route: 'cli', conversation, outcome: 'ok' })]);
    const report = await kora(['usage', '--json'], agent.project, running);
    expect(report.code).toBe(0);
    const totals = JSON.parse(report.stdout) as { total: { calls: number; inputTokens?: number }; rows: { model: string; calls: number }[] };
    expect(totals.total.calls).toBe(1);
    expect(totals.rows).toEqual([expect.objectContaining({ model: usage[0]!.model, calls: 1 })]);
    expect(await agent.stop()).toBe(0);
  });
});
