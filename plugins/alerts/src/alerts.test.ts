// alert_notifier through the plugin harness: the real probes plugin against a local server, the
// real slack plugin against the fake Slack Web API (test/fakes/slack.ts), and small test plugins
// providing `cost.rung`, `email.sender` and a daemon that fails. The inbox items the notifier
// enqueues are claimed from the harness's store and handed to its consumer, as the gateway would.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { definePlugin, type CostRungName, type HttpRoute, type HttpRouteRequest } from '@kora/runtime';
import emailPlugin from '@kora/plugin-email';
import slackPlugin from '@kora/plugin-slack';
import probesPlugin from '@kora/plugin-probes';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../test/fakes/slack.js';
import { startSmtpSink } from '../../../test/mail/smtp-sink.js';
import alerts from './index.js';

const harnesses: PluginHarness[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const c of closers.splice(0)) await c();
});

/** A site whose answer the test sets. */
async function site(): Promise<{ url: string; status: number }> {
  const state = { url: '', status: 200 };
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(state.status).end('site');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return state;
}

async function fakeSlack(): Promise<FakeSlack> {
  const slack = await startFakeSlack();
  closers.push(() => slack.close());
  return slack;
}

const rung = { now: 'normal' as CostRungName };
const mail: { to: readonly string[]; subject: string; text: string }[] = [];
let mailFails = 0;

/** Providers the alerts read: `cost.rung`, `email.sender`, and a daemon that fails at start. */
const helpers = definePlugin({
  id: 'helpers',
  register(ctx) {
    ctx.registerDaemon({
      name: 'helpers_provider',
      start(d) {
        d.services.provide('cost.rung', { current: () => rung.now });
        (d.services as unknown as { provide(name: string, value: unknown): void }).provide('email.sender', {
          async send(message: { to: readonly string[]; subject: string; text: string }) {
            if (mailFails > 0) {
              mailFails--;
              throw new Error('SMTP 451 try again later');
            }
            mail.push(message);
          },
        });
      },
    });
  },
});
const broken = definePlugin({
  id: 'broken',
  register(ctx) {
    ctx.registerDaemon({
      name: 'broken_daemon',
      start() {
        throw new Error('cannot reach its database');
      },
    });
  },
});

interface Setup {
  h: PluginHarness;
  clock: ManualClock;
  slack: FakeSlack;
  site: { url: string; status: number };
}

async function boot(config: Record<string, unknown> = { slackChannel: 'C0ALERTS' }, extra: { broken?: boolean } = {}): Promise<Setup> {
  rung.now = 'normal';
  mail.length = 0;
  mailFails = 0;
  const slack = await fakeSlack();
  const s = await site();
  const clock = new ManualClock();
  const h = await createPluginHarness([slackPlugin, helpers, ...(extra.broken ? [broken] : []), probesPlugin, alerts], {
    clock,
    config: { slack: { retries: 0 }, probes: { http: [{ name: 'site', url: s.url }] }, alerts: config },
    env: { KORA_SLACK_BOT_TOKEN: slack.token, KORA_SLACK_API_URL: slack.url },
  });
  harnesses.push(h);
  await h.startDaemons();
  return { h, clock, slack, site: s };
}

/** Hand every pending `alerts.dispatch` item to the consumer, as the gateway's inbox would; returns the outcomes. */
async function drain(h: PluginHarness): Promise<string[]> {
  const outcomes: string[] = [];
  for (;;) {
    const [item] = await h.store.inbox.claim({ topics: ['alerts.dispatch'], owner: 'test', leaseMs: 60_000, now: h.clock.now() + 86_400_000 });
    if (!item) return outcomes;
    const outcome = await h.deliver('alerts.dispatch', { key: item.key, payload: item.payload, attempt: item.attempt });
    outcomes.push(outcome.status);
    if (outcome.status === 'ok') await h.store.inbox.complete(item.id, 'test');
    else await h.store.inbox.fail(item.id, 'test', item.attempt >= 5 ? { error: outcome.error, dead: true } : { error: outcome.error, retryAt: h.clock.now() });
  }
}

async function tick(s: Setup): Promise<void> {
  await s.h.runTask('heartbeat.service_probes');
  expect((await s.h.runTask('alerts.notify')).status).toBe('ok');
  await drain(s.h);
}

const texts = (slack: FakeSlack) => slack.posts().map((p) => String(p.text).split('\n')[0]);

describe('alerts.notify', () => {
  it('says once that a probe went bad, nothing while it stays bad, again after renotifyAfter, and once that it recovered', async () => {
    const s = await boot({ slackChannel: 'C0ALERTS', renotifyAfter: '1h' });
    await tick(s);
    expect(s.slack.posts()).toEqual([]);
    s.site.status = 500;
    await tick(s);
    for (let i = 0; i < 5; i++) {
      await s.clock.advance(180_000);
      await tick(s);
    }
    expect(texts(s.slack)).toEqual([':red_circle: *Alert*: Probe site is down']);
    expect(s.slack.posts()[0]).toMatchObject({ channel: 'C0ALERTS' });
    expect(s.h.services.get('alerts').open()).toEqual([{ key: 'probe:site', severity: 'critical', title: 'Probe site is down', since: expect.any(Number) }]);

    await s.clock.advance(3_600_000);
    await tick(s);
    expect(texts(s.slack)).toEqual([':red_circle: *Alert*: Probe site is down', ':red_circle: *Still open*: Probe site is down']);

    s.site.status = 200;
    await tick(s);
    await s.clock.advance(180_000);
    await tick(s);
    expect(texts(s.slack)).toEqual([':red_circle: *Alert*: Probe site is down', ':red_circle: *Still open*: Probe site is down', ':white_check_mark: *Resolved*: Probe site is down']);
    expect(s.h.services.get('alerts').open()).toEqual([]);
    expect((await s.h.audit({ seam: 'alerts.dispatched' })).map((e) => [e.details.key, e.details.kind])).toEqual([
      ['probe:site', 'opened'],
      ['probe:site', 'reminder'],
      ['probe:site', 'resolved'],
    ]);
  });

  it('follows the cost rung: says each change at once, and the way back to normal', async () => {
    const s = await boot();
    rung.now = 'warn_75';
    await tick(s);
    await tick(s);
    rung.now = 'hard_stop_100';
    await tick(s);
    rung.now = 'normal';
    await tick(s);
    expect(texts(s.slack)).toEqual([':warning: *Alert*: Cost rung is warn_75', ':red_circle: *Changed*: Cost rung is hard_stop_100', ':white_check_mark: *Resolved*: Cost rung is hard_stop_100']);
  });

  it('alerts on a task failing N times in a row, and resolves it on its next good run', async () => {
    const s = await boot({ slackChannel: 'C0ALERTS', failedRuns: 3 });
    const run = async (status: 'ok' | 'failed', n: number) => {
      const slot = s.clock.now() + n;
      await s.h.store.ledger.claim({ task: 'snapshot.compute', daemon: 'snapshot', slot, startedAt: slot, owner: 'harness' });
      await s.h.store.ledger.complete('snapshot.compute', slot, { status, finishedAt: slot + 1, durationMs: 1, error: status === 'failed' ? 'the store is locked' : null });
    };
    await run('failed', 1);
    await run('failed', 2);
    await tick(s);
    expect(s.slack.posts()).toEqual([]);
    await run('failed', 3);
    await tick(s);
    await tick(s);
    expect(texts(s.slack)).toEqual([':warning: *Alert*: Task snapshot.compute failed 3 times in a row']);
    expect(String(s.slack.posts()[0]!.text)).toContain('the store is locked');
    await run('ok', 4);
    await tick(s);
    expect(texts(s.slack)).toHaveLength(2);
    expect(texts(s.slack)[1]).toBe(':white_check_mark: *Resolved*: Task snapshot.compute failed 3 times in a row');
  });

  it('alerts on a new dead letter (and again on the next new one), but never on its own dispatch topic', async () => {
    const s = await boot();
    const kill = async (topic: string, key: string) => {
      await s.h.store.inbox.enqueue({ topic, key, payload: { n: key } });
      const [item] = await s.h.store.inbox.claim({ topics: [topic], owner: 'other', leaseMs: 1000, now: s.clock.now() + 86_400_000 });
      await s.h.store.inbox.fail(item!.id, 'other', { error: 'handler exploded', dead: true });
    };
    await kill('slack.events', 'Ev1');
    await tick(s);
    await tick(s);
    await kill('slack.events', 'Ev2');
    await kill('alerts.dispatch', 'old');
    await tick(s);
    expect(texts(s.slack)).toEqual([':warning: *Alert*: 1 dead letter in inbox topic slack.events', ':warning: *Changed*: 2 dead letters in inbox topic slack.events']);
  });

  it('alerts on a failed daemon', async () => {
    const s = await boot({ slackChannel: 'C0ALERTS' }, { broken: true });
    await tick(s);
    expect(texts(s.slack)).toEqual([':warning: *Alert*: Daemon broken_daemon (plugin broken) failed']);
    expect(String(s.slack.posts()[0]!.text)).toContain('cannot reach its database');
  });
});

describe('the dispatch', () => {
  it('retries a failed Slack post through the inbox, audits each failure, and posts once', async () => {
    const s = await boot();
    s.slack.fail('chat.postMessage', { error: 'not_in_channel' }, 2);
    s.site.status = 500;
    await s.h.runTask('heartbeat.service_probes');
    await s.h.runTask('alerts.notify');
    expect(await drain(s.h)).toEqual(['failed', 'failed', 'ok']);
    expect(texts(s.slack)).toEqual([':red_circle: *Alert*: Probe site is down']);
    const failures = await s.h.audit({ seam: 'alerts.dispatch_failed' });
    expect(failures.map((f) => [f.details.attempt, f.details.final, f.details.errors])).toEqual([
      [1, false, [expect.stringContaining('not_in_channel')]],
      [2, false, [expect.stringContaining('not_in_channel')]],
    ]);
  });

  it('dead-letters after its attempts, saying so in the audit log, and the alert stays open and visible', async () => {
    const s = await boot({ slackChannel: 'C0ALERTS', dispatch: { attempts: 2, backoff: '1s' } });
    s.slack.fail('chat.postMessage', { error: 'channel_not_found' }, 10);
    s.site.status = 500;
    await s.h.runTask('heartbeat.service_probes');
    await s.h.runTask('alerts.notify');
    const [first] = await s.h.store.inbox.claim({ topics: ['alerts.dispatch'], owner: 't', leaseMs: 1000, now: s.clock.now() });
    expect(await s.h.deliver('alerts.dispatch', { key: first!.key, payload: first!.payload, attempt: 2 })).toMatchObject({ status: 'failed', error: expect.stringContaining('dead-lettered') });
    expect((await s.h.audit({ seam: 'alerts.dispatch_failed' }))[0]?.details).toMatchObject({ key: 'probe:site', kind: 'opened', attempt: 2, final: true });
    expect(s.h.services.get('alerts').open().map((a) => a.key)).toEqual(['probe:site']);
  });

  it('sends to Slack and email; a retry after an email failure does not post to Slack again', async () => {
    const s = await boot({ slackChannel: 'C0ALERTS', emailTo: ['ops@example.com', 'oncall@example.com'] });
    mailFails = 1;
    s.site.status = 500;
    await tick(s);
    expect(texts(s.slack)).toEqual([':red_circle: *Alert*: Probe site is down']);
    expect(mail).toEqual([{ to: ['ops@example.com', 'oncall@example.com'], subject: '[Kora critical] Alert: Probe site is down', text: expect.stringContaining('Probe site is down') }]);
    expect((await s.h.audit({ seam: 'alerts.dispatch_failed' })).map((f) => f.details.errors)).toEqual([['email: SMTP 451 try again later']]);
  });

  it('without a destination keeps the alerts for the surfaces, enqueues nothing and says so', async () => {
    const s = await boot({});
    s.site.status = 500;
    await s.h.runTask('heartbeat.service_probes');
    await s.h.runTask('alerts.notify');
    expect(await drain(s.h)).toEqual([]);
    expect(s.h.services.get('alerts').open().map((a) => a.key)).toEqual(['probe:site']);
    expect(s.h.daemons().find((d) => d.name === 'alert_notifier')?.note).toContain('no slackChannel or emailTo');
  });
});

describe('the real slack and email plugins as destinations', () => {
  it('mails through the email plugin to an SMTP server, and says in status when there is no Slack client', async () => {
    const smtp = await startSmtpSink();
    closers.push(() => smtp.close());
    const s0 = await site();
    const h = await createPluginHarness([slackPlugin, emailPlugin, probesPlugin, alerts], {
      clock: new ManualClock(Date.UTC(2026, 11, 15, 10)),
      config: { probes: { http: [{ name: 'site', url: s0.url }] }, alerts: { slackChannel: 'C0ALERTS', emailTo: 'ops@example.com' } },
      // No KORA_SLACK_BOT_TOKEN: the slack plugin runs without a client.
      env: { KORA_PUREMAIL_SMTP_USERNAME: smtp.user, KORA_PUREMAIL_SMTP_APP_PASSWORD: smtp.password, KORA_PUREMAIL_SMTP_HOST: '127.0.0.1', KORA_PUREMAIL_SMTP_PORT: String(smtp.port), KORA_PUREMAIL_SMTP_TLS: 'false' },
    });
    harnesses.push(h);
    await h.startDaemons();
    expect(h.daemons().find((d) => d.name === 'alert_notifier')?.note).toBe('no Slack client (slack_client has no KORA_SLACK_BOT_TOKEN): Slack deliveries fail and are retried');
    s0.status = 500;
    await h.runTask('heartbeat.service_probes');
    expect((await h.runTask('alerts.notify')).status).toBe('ok');
    expect(await drain(h)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    // Email went once, though Slack failed every attempt (each failure audited, then dead-lettered).
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ to: ['ops@example.com'] });
    expect(smtp.messages[0]!.parsed.subject).toBe('[Kora critical] Alert: Probe site is down');
    const failures = await h.audit({ seam: 'alerts.dispatch_failed' });
    expect(failures.map((f) => [f.details.attempt, f.details.final])).toEqual([[1, false], [2, false], [3, false], [4, false], [5, true]]);
    expect(failures.every((f) => (f.details.errors as string[]).every((e) => e.startsWith('slack: ')))).toBe(true);
  });
});

describe('alerts.digest_flush', () => {
  it('posts the day’s alerts once a day when digest is on, and nothing when it is off', async () => {
    const s = await boot({ slackChannel: 'C0ALERTS', digest: true });
    s.site.status = 500;
    await tick(s);
    rung.now = 'warn_75';
    await tick(s);
    await s.clock.advance(3_600_000);
    await s.h.runTask('alerts.digest_flush');
    await drain(s.h);
    const digest = String(s.slack.posts().at(-1)!.text);
    expect(digest).toMatch(/^\*Kora alert digest\* .*: 2 opened, 0 resolved, 2 open now\./);
    expect(digest).toContain('opened: Probe site is down');
    expect(digest).toContain('open: Cost rung is warn_75');

    const off = await boot({ slackChannel: 'C0ALERTS' });
    off.site.status = 500;
    await tick(off);
    await off.h.runTask('alerts.digest_flush');
    expect(await drain(off.h)).toEqual([]);
  });
});

describe('the alerts’ surfaces', () => {
  it('GET /api/alerts and kora__alerts answer the open alerts and what was said; the page lists them', async () => {
    const s = await boot();
    s.site.status = 500;
    await tick(s);
    const route = s.h.contributions.list('http.admin').map((c) => c.value as HttpRoute).find((r) => r.path === '/api/alerts')!;
    const request = { method: 'GET', path: '/api/alerts', params: {}, query: {}, headers: {}, body: undefined, principal: 'admin', raw: {} } as unknown as HttpRouteRequest;
    const answer = (await route.handle(request)) as { status: number; body: { open: { key: string }[]; events: { kind: string }[] } };
    expect(answer.status).toBe(200);
    expect(answer.body.open.map((a) => a.key)).toEqual(['probe:site']);
    expect(answer.body.events.map((e) => e.kind)).toEqual(['opened']);
    const tool = await s.h.callTool('kora__alerts', {});
    expect(tool.ok && tool.result).toEqual(answer.body);
    const page = s.h.contributions.list('web.page').map((c) => c.value as { path: string; render(r: unknown): unknown }).find((p) => p.path === '/alerts')!;
    const markup = String(await page.render({ path: '/alerts', query: {}, principal: 'admin', csrfToken: '' }));
    expect(markup).toContain('<caption>Open alerts</caption>');
    expect(markup).toContain('Probe site is down');
  });

  it('read the tables, so a gateway where alert_notifier does not run (a fleet’s other one) shows the same', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kora-alerts-'));
    closers.push(async () => rmSync(home, { recursive: true, force: true }));
    const s0 = await site();
    const options = { clock: new ManualClock(Date.UTC(2026, 11, 15, 10)), home, storeUrl: 'sqlite:kora.db', config: { probes: { http: [{ name: 'site', url: s0.url }] }, alerts: {} } };
    const leader = await createPluginHarness([probesPlugin, alerts], options);
    harnesses.push(leader);
    await leader.startDaemons();
    s0.status = 500;
    await leader.runTask('heartbeat.service_probes');
    await leader.runTask('alerts.notify');
    // Same store, daemons not started.
    const other = await createPluginHarness([probesPlugin, alerts], options);
    harnesses.push(other);
    const tool = await other.callTool('kora__alerts', {});
    expect(tool.ok && (tool.result as { open: { key: string }[] }).open.map((a) => a.key)).toEqual(['probe:site']);
    const page = other.contributions.list('web.page').map((c) => c.value as { path: string; render(r: unknown): unknown }).find((p) => p.path === '/alerts')!;
    expect(String(await page.render({ path: '/alerts', query: {}, principal: 'admin', csrfToken: '' }))).toContain('Probe site is down');
  });
});
