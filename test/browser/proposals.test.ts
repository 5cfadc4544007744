/// <reference lib="dom" />
// The admin UI's Proposals page in a real browser (Debian's chromium, playwright-core) against a
// real gateway: proposals made by a real cycle of promote_tool_trimming over audit rows a test
// plugin writes, approved and rejected with the page's buttons (session cookie and CSRF token),
// each decision audited as web:admin and applied (or not) at once. axe-core checks the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, makeProject, writeUserPlugin, type Project, type Running } from '../e2e/helpers.js';
import { startWeb } from '../e2e/web-project.js';
import { axeViolations, chromiumMissing, launchChromium, type Browser } from './chromium.js';

const missing = chromiumMissing();
const mustRun = process.env.CI === 'true';

// Replies on the cli route offering two tools the agent never calls, as kora's audit hook writes them.
const SEED = `export default { id: 'seedaudit', register(ctx) {
  ctx.contribute('http.admin', { method: 'POST', path: '/api/e2e/replies', async handle(request) {
    for (let i = 0; i < Number(request.body?.count ?? 1); i++) await ctx.audit('llm.call', { route: 'cli', outcome: 'ok', tools: ['weather', 'radio'], tokens: { output: 10 } });
    return { status: 201, body: { written: true } };
  } });
  ctx.contribute('http.admin', { method: 'GET', path: '/api/e2e/trimmed', handle() {
    return { body: { trimmed: ctx.services.tryGet('proposals')?.trimmedTools('cli') ?? null } };
  } });
} };`;

describe.skipIf(missing !== null && !mustRun)('promote: the Proposals page in chromium', () => {
  let project: Project;
  let browser: Browser;
  let base = '';
  let token = '';
  let loginLink = '';
  const running: Running[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const api = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<any> => {
    const response = await fetch(base + path, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
    return response.json();
  };

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    project = makeProject();
    writeUserPlugin(project, 'seedaudit', SEED, { hostApi: '^1.1.0' });
    project.writeConfig('plugins:\n  enabled: [kora, seedaudit, web, promote]\n  config:\n    promote: { loops: { tool_trimming: { minOffers: 3 } } }\ngateway:\n  heartbeatEvery: 1s\n');
    const started = await startWeb(project, {}, ['daemon', '--dev']);
    running.push(started.gateway);
    base = started.base;
    token = readFileSync(join(project.home, 'admin_token'), 'utf8').trim();
    loginLink = /admin UI (\S+#token=\S+)/.exec(started.gateway.stdout())?.[1] ?? '';
    await api('/api/e2e/replies', { method: 'POST', body: { count: 3 } });
    const run = await api('/api/tasks/promote_tool_trimming_cycle/run?wait=1', { method: 'POST' });
    expect(run.status, JSON.stringify(run)).toBe('ok');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await killAll(running);
    project?.cleanup();
  });

  it('lists the pending proposals with a chart, approves one and rejects the other, each audited as web:admin', async () => {
    const { proposals } = await api('/api/proposals?status=pending');
    expect(proposals).toHaveLength(2);
    const radio = proposals.find((p: { payload: { tool: string } }) => p.payload.tool === 'radio');
    const weather = proposals.find((p: { payload: { tool: string } }) => p.payload.tool === 'weather');

    const page = await browser.context.newPage();
    await page.goto(loginLink);
    await page.waitForURL(`${base}/`);
    await page.getByRole('link', { name: 'Proposals' }).click();
    await page.waitForURL(`${base}/proposals`);
    expect(await page.locator('h1').textContent()).toBe('Proposals');
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.locator('#proposals-chart g[data-loop="tool_trimming"] rect[data-status="pending"] title').textContent()).toBe('tool_trimming: 2 pending');
    expect(await page.locator(`tr#proposal-${radio.id}`).getAttribute('data-status')).toBe('pending');
    expect(await page.locator(`tr#proposal-${radio.id}`).textContent()).toContain('Stop offering radio on the route cli');

    await page.getByRole('button', { name: `Approve proposal ${radio.id}` }).click();
    await page.waitForURL(/\/proposals\?.*done=approved/);
    expect(await page.getByRole('status').textContent()).toBe(`Proposal ${radio.id} approved: it applies now.`);
    const approvedRow = page.locator(`tr#proposal-${radio.id}`);
    expect(await approvedRow.getAttribute('data-status')).toBe('approved');
    expect(await approvedRow.textContent()).toContain('by web:admin');
    expect((await api('/api/e2e/trimmed')).trimmed).toEqual(['radio']);

    await page.getByRole('button', { name: `Reject proposal ${weather.id}` }).click();
    await page.waitForURL(/\/proposals\?.*done=rejected/);
    expect(await page.locator(`tr#proposal-${weather.id}`).getAttribute('data-status')).toBe('rejected');
    expect((await api('/api/e2e/trimmed')).trimmed).toEqual(['radio']);

    // The state filters: nothing is pending any more; the approved one is under approved.
    await page.getByRole('link', { name: /^pending \(0\)$/ }).click();
    await page.waitForURL(`${base}/proposals?status=pending`);
    expect(await page.locator('#no-proposals').textContent()).toBe('No pending proposals.');
    await page.goto(`${base}/proposals?status=approved`);
    expect(await page.locator('#proposals tbody tr').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);

    const { entries } = await api('/api/audit?seam=promote.proposal_decided');
    expect(entries.map((e: { details: unknown }) => e.details)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: radio.id, status: 'approved', by: 'web:admin' }), expect.objectContaining({ id: weather.id, status: 'rejected', by: 'web:admin' })]),
    );
    await page.close();
  });

  it('refuses a decision posted with the session but without its CSRF token', async () => {
    // Still logged in from the test before (the context keeps the session cookie).
    const page = await browser.context.newPage();
    expect((await page.goto(`${base}/proposals`))?.status()).toBe(200);
    const response = await page.request.post(`${base}/proposals/0123456789/approve`, { form: { back: 'all' }, headers: { origin: base } });
    expect(response.status()).toBe(403);
    // With the session's token (the layout's log-out form carries it) the same post is decided: an unknown id, said on the page.
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const decided = await page.request.post(`${base}/proposals/0123456789/approve`, { form: { back: 'all', _csrf: csrf ?? '' }, headers: { origin: base }, maxRedirects: 0 });
    expect(decided.status()).toBe(303);
    expect(decided.headers().location).toBe('/proposals?status=all&id=0123456789&error=KORA_ERR_PROPOSAL_UNKNOWN');
    await page.close();
  });
});
