// A probe turning bad and recovering, through a real gateway: a generic HTTP probe of the
// probes plugin against a local server that starts answering 500, the alerts plugin noticing,
// dispatching through the inbox, and the real slack plugin posting to the local Slack Web API
// server (test/fakes/slack.ts) — once when it went down, once when it recovered, nothing in
// between. `kora probes --json` and `kora alerts --json` read the same through the admin API.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { eventually, KORA_BIN, killAll, makeProject, startKora, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
  for (const c of closers.splice(0)) await c();
});

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

function kora<T>(args: string[], p: Project): T {
  const r = spawnSync(process.execPath, [KORA_BIN, ...args], { cwd: p.dir, env: { ...p.env, KORA_ADMIN_TOKEN: ADMIN_TOKEN }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`kora ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface ProbesAnswer {
  probes: { name: string; latest: { state: string; detail: string | null } | null }[];
}
interface AlertsAnswer {
  open: { key: string }[];
  events: { key: string; kind: string }[];
}

describe('probes and alerts through the real gateway', () => {
  it('posts to Slack once when a probe goes down and once when it recovers', async () => {
    const site = { status: 200 };
    const server: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(site.status, { 'content-type': 'text/plain' }).end(site.status === 200 ? 'all good' : 'broken');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    const slack: FakeSlack = await startFakeSlack();
    closers.push(() => slack.close());

    const p = makeProject();
    projects.push(p);
    p.writeConfig(
      [
        'plugins:',
        '  enabled: [slack, web, probes, alerts]',
        '  config:',
        '    slack: { retries: 0 }',
        `    probes: { http: [{ name: site, url: "${siteUrl}", bodyMatch: "good|broken" }] }`,
        "    alerts: { slackChannel: C0ALERTS, renotifyAfter: 1h, dispatch: { attempts: 3, backoff: '1s' } }",
        'daemons:',
        '  heartbeat_probes: { tasks: { heartbeat.service_probes: { every: 1s } } }',
        '  alert_notifier: { tasks: { alerts.notify: { every: 1s } } }',
        '  probe_wake: { tasks: { probe_wake.tail: { every: 1s } } }',
        'gateway:',
        '  heartbeatEvery: 1s',
        '',
      ].join('\n'),
    );
    const gw = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e', KORA_ADMIN_TOKEN: ADMIN_TOKEN, KORA_WEB_PORT: '0', KORA_SLACK_BOT_TOKEN: slack.token, KORA_SLACK_API_URL: slack.url });
    running.push(gw);
    await gw.waitFor(/Kora gateway (RUNNING|DEGRADED)/, 30_000);

    const site_ = () => kora<ProbesAnswer>(['probes', '--json'], p).probes.find((x) => x.name === 'site');
    await eventually(() => site_()?.latest?.state === 'ok', 20_000);
    expect(kora<ProbesAnswer>(['probes', '--json'], p).probes.find((x) => x.name === 'vercel')?.latest).toMatchObject({ state: 'unconfigured', detail: 'KORA_VERCEL_TOKEN is not set' });
    const table = spawnSync(process.execPath, [KORA_BIN, 'probes'], { cwd: p.dir, env: { ...p.env, KORA_ADMIN_TOKEN: ADMIN_TOKEN }, encoding: 'utf8', timeout: 30_000 });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^site\s+ok\s+\d+ ms\s+\S+\s+\.+\s+HTTP 200$/m);

    site.status = 500;
    await eventually(() => slack.posts().length >= 1, 20_000);
    expect(slack.posts()[0]).toMatchObject({ channel: 'C0ALERTS', text: expect.stringMatching(/^:red_circle: \*Alert\*: Probe site is down\nHTTP 500, expected 2xx or 3xx/) });
    expect(kora<AlertsAnswer>(['alerts', '--json'], p).open.map((a) => a.key)).toEqual(['probe:site']);
    // Still down for several more probe and notify cycles: nothing more is said.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(site_()?.latest?.state).toBe('down');
    expect(slack.posts()).toHaveLength(1);

    site.status = 200;
    await eventually(() => slack.posts().length >= 2, 20_000);
    expect(slack.posts()[1]).toMatchObject({ channel: 'C0ALERTS', text: expect.stringMatching(/^:white_check_mark: \*Resolved\*: Probe site is down/) });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(slack.posts()).toHaveLength(2);
    const alerts = kora<AlertsAnswer>(['alerts', '--json'], p);
    expect(alerts.open).toEqual([]);
    expect(alerts.events.map((e) => [e.key, e.kind])).toEqual([
      ['probe:site', 'resolved'],
      ['probe:site', 'opened'],
    ]);
    // probe_wake has no engine here: it runs, says so, and investigations fail audited, never crashing.
    const status = JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as { daemons: { name: string; state: string; note: string | null }[] };
    expect(status.daemons.find((d) => d.name === 'probe_wake')).toMatchObject({ state: 'running', note: expect.stringContaining('no engine service') });
    expect(gw.stdout() + gw.stderr()).not.toContain(slack.token);

    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('keeps a probe ok when its cycle outlives the task (every: 1s) before the site answers, and says nothing of it', async () => {
    const site = { hang: false };
    const held = new Set<import('node:http').ServerResponse>();
    const server: Server = createServer((req, res) => {
      req.resume();
      if (site.hang) held.add(res);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('all good');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => (held.forEach((res) => res.destroy()), server.close(() => r()))));
    const siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;

    const p = makeProject();
    projects.push(p);
    // The probe waits 10 s (its default timeout); the task's run is stopped after 1 s (its period).
    p.writeConfig(
      ['plugins:', '  enabled: [web, probes]', '  config:', `    probes: { http: [{ name: site, url: "${siteUrl}" }] }`, 'daemons:', '  heartbeat_probes: { tasks: { heartbeat.service_probes: { every: 1s } } }', ''].join('\n'),
    );
    const gw = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e', KORA_ADMIN_TOKEN: ADMIN_TOKEN, KORA_WEB_PORT: '0' });
    running.push(gw);
    await gw.waitFor(/Kora gateway (RUNNING|DEGRADED)/, 30_000);
    const site_ = () => kora<ProbesAnswer>(['probes', '--json'], p).probes.find((x) => x.name === 'site');
    await eventually(() => site_()?.latest?.state === 'ok', 20_000);

    site.hang = true;
    await gw.waitForErr(/probe cycle stopped before 1 probe\(s\) answered/, 20_000);
    expect(site_()?.latest).toMatchObject({ state: 'ok', detail: 'HTTP 200' });
    expect(gw.stderr()).not.toMatch(/probe site turned/);
  }, 90_000);
});
