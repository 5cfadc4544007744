/// <reference lib="dom" />
// The admin UI in a real browser (Debian's chromium, playwright-core) against the real gateway:
// log in with the dev login link and with the form, see the daemons, run a task from the UI and
// see its manual run in the chart, replay a dead letter and see it handled. axe-core checks the
// login page and every page with a form.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, type Project, type Running } from '../e2e/helpers.js';
import { FLAG, startWeb, webProject } from '../e2e/web-project.js';
import { axeViolations, chromiumMissing, launchChromium, type Browser } from './chromium.js';

const missing = chromiumMissing();
const mustRun = process.env.CI === 'true';

describe.skipIf(missing !== null && !mustRun)('web: the admin UI in chromium', () => {
  let project: Project;
  let browser: Browser;
  let base = '';
  let token = '';
  let loginLink = '';
  const running: Running[] = [];

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    project = webProject();
    const started = await startWeb(project, {}, ['daemon', '--dev']);
    running.push(started.gateway);
    base = started.base;
    token = readFileSync(join(project.home, 'admin_token'), 'utf8').trim();
    loginLink = /admin UI (\S+#token=\S+)/.exec(started.gateway.stdout())?.[1] ?? '';
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await killAll(running);
    project?.cleanup();
  });

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (await response.json()) as any;
  };

  it('has an accessibility check that finds a field without a label (so its empty answers mean something)', async () => {
    const page = await browser.context.newPage();
    await page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1><form><input name="q"></form></main></body></html>');
    expect((await axeViolations(page)).map((v) => v.id)).toContain('label');
    await page.close();
  });

  it('logs in from the dev login link and leaves no token in the URL or the history', async () => {
    expect(loginLink).toBe(`${base}/login#token=${token}`);
    const page = await browser.context.newPage();
    await page.goto(loginLink);
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Overview');
    expect(page.url()).not.toContain(token);
    // The history entry of the login page was rewritten before the form left.
    await page.goBack();
    expect(page.url()).not.toContain('token');
    await page.close();
    await browser.context.clearCookies();
  });

  it('serves an accessible login page with visible focus, and logs in with the form', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`${base}/login`);
    expect(response?.status()).toBe(401);
    expect(await axeViolations(page)).toEqual([]);
    const field = page.getByLabel('Admin token');
    await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true);
    const outline = await field.evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe('none');

    await field.fill('not the token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That is not the admin token.');
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.locator('.state').first().textContent()).toBe('running');
    // The login button, like every button, shows where the keyboard is.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(focused).not.toBe('none');
    await page.close();
  });

  it('shows the daemon table', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/daemons`);
    const table = page.locator('table#daemons');
    await expect.poll(() => table.locator('tr[data-daemon="chores"] .state').textContent()).toBe('running');
    expect(await table.locator('tr[data-daemon="web"] .state').textContent()).toBe('running');
    expect(await page.getByRole('columnheader', { name: 'Daemon' }).count()).toBe(1);
    await page.close();
  });

  it('runs a task from the UI and shows the new manual run in the chart', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/tasks`);
    expect(await axeViolations(page)).toEqual([]);
    const task = page.locator('section[data-task="chores.sweep"]');
    const chart = task.locator('svg.timeline');
    await expect.poll(() => chart.locator('g.run').count()).toBeGreaterThan(0);
    expect(await chart.locator('g.run[data-trigger="manual"]').count()).toBe(0);
    await task.getByRole('button', { name: 'Run now chores.sweep' }).click();
    await page.waitForURL(/\/tasks\?done=ran/);
    expect(await page.getByRole('status').textContent()).toContain('Task chores.sweep ran now (manual run)');
    const manual = page.locator('section[data-task="chores.sweep"] svg.timeline g.run[data-trigger="manual"]');
    await expect.poll(async () => page.reload().then(() => manual.count())).toBe(1);
    expect(await manual.getAttribute('data-status')).toBe('ok');
    expect(await manual.locator('title').textContent()).toMatch(/^ok · manual · /);
    await page.close();
  });

  it('replays a dead letter from the UI and the consumer handles it', async () => {
    const kept = await api('/api/chores/jobs', { method: 'POST', body: JSON.stringify({ key: 'ui-job' }) });
    expect(kept).toMatchObject({ duplicate: false });
    await expect.poll(async () => (await api('/api/inbox/dead')).deadLetters.length, { timeout: 15_000 }).toBe(1);

    const page = await browser.context.newPage();
    await page.goto(`${base}/inbox`);
    expect(await axeViolations(page)).toEqual([]);
    const row = page.locator(`tr[data-dead-letter="${kept.id}"]`);
    expect(await row.textContent()).toContain('the flag file is missing for ui-job');

    writeFileSync(join(project.home, FLAG), '');
    await row.getByRole('button', { name: `Replay dead letter ${kept.id}` }).click();
    await page.waitForURL(/\/inbox\?done=replayed/);
    expect(await page.getByRole('status').textContent()).toContain(`Dead letter ${kept.id} is back in its topic`);
    await running[0]!.waitFor('HANDLED ui-job');
    await page.goto(`${base}/inbox`);
    expect(await page.locator('#no-dead-letters').isVisible()).toBe(true);

    // The consumer's effect, through the audit log's filter form.
    await page.goto(`${base}/audit`);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Seam').fill('chores.handled');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/seam=chores\.handled/);
    expect(await page.locator('table#audit tbody').textContent()).toContain('"key":"ui-job"');
    await page.close();
  });

  it('logs out', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/login`);
    const again = await page.goto(`${base}/`);
    expect(again?.status()).toBe(401);
    expect(await page.getByLabel('Admin token').count()).toBe(1);
    await page.close();
  });
});
