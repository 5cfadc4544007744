/// <reference lib="dom" />
// The Costs and Snapshot pages in a real browser (Debian's chromium) against a real gateway with
// the reasoning (no key: its usage rows still count), telemetry and snapshot plugins: spend on
// two days and two models shows as the stacked cost chart, the snapshot shows its sections, and
// axe-core finds no WCAG A/AA or best-practice violation on either page.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, killAll, makeProject, startKora, type Project, type Running } from '../e2e/helpers.js';
import { adminBase, axeViolations, chromiumMissing, launchChromium, logIn, type Browser } from './chromium.js';

const missing = chromiumMissing();
const mustRun = process.env.CI === 'true';
const TOKEN = 'e2e-admin-token-costs-snapshot-0123';
const DAY = 86_400_000;

describe.skipIf(missing !== null && !mustRun)('the Costs and Snapshot pages in chromium', () => {
  let project: Project;
  let browser: Browser;
  let base = '';
  const running: Running[] = [];

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    project = makeProject();
    project.writeConfig(
      [
        'plugins:',
        '  enabled: [web, reasoning, telemetry, snapshot]',
        '  config: { telemetry: { budgets: { rolling_24h: 10, month: 100 } } }',
        'daemons:',
        '  reasoning_engine: { fatal: false }',
        '  cost_telemetry: { tasks: { cost_telemetry.persist: { every: 1s } } }',
        '  snapshot: { tasks: { snapshot.compute: { every: 1s } } }',
        '',
      ].join('\n'),
    );
    const gw = startKora(['daemon'], project, { KORA_DEPLOY_ENV: 'e2e', KORA_ADMIN_TOKEN: TOKEN, KORA_WEB_PORT: '0' });
    running.push(gw);
    base = await adminBase(gw);
    // Usage rows as the engine writes them (yesterday and today, two models), into the running gateway's store.
    const db = new Database(join(project.home, 'kora.db'), { fileMustExist: true });
    const insert = db.prepare(
      'INSERT INTO reasoning_usage (id, at, route, conversation, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, duration_ms, outcome, error_code) VALUES (?, ?, ?, NULL, ?, 10, 10, 0, 0, ?, 5, ?, NULL)',
    );
    const now = Date.now();
    insert.run(randomUUID(), now - DAY, 'slack_dm', 'claude-haiku-4-5', 0.5, 'ok');
    insert.run(randomUUID(), now - 60_000, 'slack_dm', 'claude-haiku-4-5', 0.25, 'ok');
    insert.run(randomUUID(), now - 60_000, 'cli', 'claude-sonnet-4-5', 1.5, 'ok');
    db.close();
    await eventually(async () => {
      const r = await fetch(`${base}/api/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.status !== 200) return false;
      const v = (await r.json()) as { data: { costs?: { windows?: { costUsd: number }[] } } };
      return (v.data.costs?.windows?.[0]?.costUsd ?? 0) >= 1.75;
    }, 20_000);
    browser = await launchChromium();
    await logIn(browser, base, TOKEN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await killAll(running);
    project?.cleanup();
  });

  it('draws the spend per day and model as an accessible stacked chart, with the same figures in a table', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/costs`);
    expect(await page.locator('h1').textContent()).toBe('Costs');
    expect(await page.locator('svg.cost-chart[aria-labelledby] > title').textContent()).toMatch(/Cost per UTC day and model, .*: 2\.25 USD in all/);
    expect(await page.locator('svg.cost-chart rect.cost[data-model="claude-sonnet-4-5"]').count()).toBe(1);
    expect(await page.locator('svg.cost-chart rect.cost[data-model="claude-haiku-4-5"]').count()).toBe(2);
    expect(await page.getByRole('table', { name: 'Cost per day and model' }).textContent()).toContain('claude-sonnet-4-5');
    expect(await page.getByRole('table', { name: 'Windows' }).textContent()).toContain('rolling_24h');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('shows the snapshot’s sections, accessibly', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/snapshot`);
    expect(await page.locator('h1').textContent()).toBe('Snapshot');
    expect(await page.locator('section[data-section="costs"]').textContent()).toContain('claude-sonnet-4-5');
    expect(await page.locator('section[data-section="probes"]').textContent()).toContain('unavailable');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });
});
