/// <reference lib="dom" />
// The Probes and Alerts pages in a real browser (Debian's chromium) against a real gateway with
// the probes and alerts plugins: a probe that is down shows in the strip chart and as an open
// alert, and axe-core finds no WCAG A/AA or best-practice violation on either page.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, killAll, makeProject, startKora, type Project, type Running } from '../e2e/helpers.js';
import { adminBase, axeViolations, chromiumMissing, launchChromium, logIn, type Browser } from './chromium.js';

const missing = chromiumMissing();
const mustRun = process.env.CI === 'true';
const TOKEN = 'e2e-admin-token-probes-alerts-0123';

describe.skipIf(missing !== null && !mustRun)('the Probes and Alerts pages in chromium', () => {
  let project: Project;
  let browser: Browser;
  let server: Server;
  let base = '';
  const running: Running[] = [];

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(req.url === '/up' ? 200 : 503).end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    project = makeProject();
    project.writeConfig(
      [
        'plugins:',
        '  enabled: [web, probes, alerts]',
        `  config: { probes: { http: [{ name: up, url: "${origin}/up" }, { name: broken, url: "${origin}/broken" }] } }`,
        'daemons:',
        '  heartbeat_probes: { tasks: { heartbeat.service_probes: { every: 1s } } }',
        '  alert_notifier: { tasks: { alerts.notify: { every: 1s } } }',
        '',
      ].join('\n'),
    );
    const gw = startKora(['daemon'], project, { KORA_DEPLOY_ENV: 'e2e', KORA_ADMIN_TOKEN: TOKEN, KORA_WEB_PORT: '0' });
    running.push(gw);
    base = await adminBase(gw);
    const api = async (path: string) => (await (await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { open?: unknown[]; probes?: { history: unknown[] }[] };
    await eventually(async () => {
      const [a, p] = await Promise.all([api('/api/alerts'), api('/api/probes')]);
      return (a.open?.length ?? 0) > 0 && (p.probes ?? []).every((x) => x.history.length >= 2);
    }, 20_000);
    browser = await launchChromium();
    await logIn(browser, base, TOKEN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await killAll(running);
    project?.cleanup();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('shows each probe’s recent states as an accessible strip chart', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/probes`);
    expect(await page.locator('h1').textContent()).toBe('Probes');
    const broken = page.locator('svg.probe-strip[aria-labelledby] title').filter({ hasText: /Recent states of broken: \d+ recent results, latest down/ });
    expect(await broken.count()).toBe(1);
    expect(await page.locator('svg.probe-strip g[data-state="ok"]').count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('lists the open alert, accessibly', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/alerts`);
    expect(await page.locator('h1').textContent()).toBe('Alerts');
    expect(await page.getByRole('table', { name: 'Open alerts' }).textContent()).toContain('Probe broken is down');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });
});
