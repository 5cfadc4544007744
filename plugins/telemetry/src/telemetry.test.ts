import { definePlugin } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { NO_USAGE_NOTE, TASKS } from './daemon.js';
import { ManualClock } from '@kora/runtime/testing';
import { RESET_SEAM, RUNG_SEAM } from './telemetry.js';
import { rigs, T0 } from './test-rig.test-helper.js';

const rig = rigs();
const HOUR = 3_600_000;
const budgets = { budgets: { rolling_24h: 10, month: 100 } };

describe('cost_telemetry: windows and rungs', () => {
  it('sums the rolling 24 h and the calendar month by model and route, against their budgets', async () => {
    const start = Date.UTC(2026, 11, 1, 10); // 10:00 on the first of the month
    const { harness, call } = await rig({ config: budgets, clock: new ManualClock(start) });
    await call(50, { at: start - 22 * HOUR }); // last month, in the 24 h
    await call(3, { at: start - 2 * HOUR, model: 'claude-sonnet-4-6', route: 'cli' });
    await call(1, { at: start - HOUR });
    await call(2, { at: start - 26 * HOUR }); // in neither
    await harness.startDaemons();
    const windows = harness.services.get('cost.windows').windows();
    const byName = Object.fromEntries(windows.map((w) => [w.window, w]));
    expect(byName.rolling_24h).toMatchObject({ since: start - 24 * HOUR, calls: 3, costUsd: 54, budgetUsd: 10, rung: 'hard_stop_100' });
    expect(byName.month).toMatchObject({ since: Date.UTC(2026, 11, 1), calls: 2, costUsd: 4, budgetUsd: 100, rung: 'normal' });
    expect(byName.rolling_24h!.breakdown).toEqual([
      { model: 'claude-haiku-4-5', route: 'slack_dm', calls: 2, costUsd: 51 },
      { model: 'claude-sonnet-4-6', route: 'cli', calls: 1, costUsd: 3 },
    ]);
    expect(harness.services.get('cost.rung').current()).toBe('hard_stop_100');
  });

  it.each([
    [7.4, 'normal'],
    [7.5, 'warn_75'],
    [9, 'downshift_90'],
    [10, 'hard_stop_100'],
  ] as const)('a spend of %s of a budget of 10 is rung %s', async (cost, rung) => {
    const { harness, call } = await rig({ config: { budgets: { rolling_24h: 10 } } });
    await call(cost, { at: T0 - HOUR });
    await harness.startDaemons();
    expect(harness.services.get('cost.rung').current()).toBe(rung);
  });

  it('has no rung without a budget, however much is spent', async () => {
    const { harness, call } = await rig();
    await call(10_000, { at: T0 - HOUR });
    await harness.startDaemons();
    expect(harness.services.get('cost.rung').current()).toBe('normal');
    expect(harness.services.get('cost.windows').windows().map((w) => w.budgetUsd)).toEqual([null, null]);
  });

  it('follows a model call at once (post_api_request), and audits the rung change', async () => {
    const { harness, call } = await rig({ config: budgets });
    await harness.startDaemons();
    expect(harness.services.get('cost.rung').current()).toBe('normal');
    await call(9.5);
    await harness.dispatch('post_api_request', { route: 'slack_dm', request: { model: 'claude-haiku-4-5', max_tokens: 10, messages: [] }, durationMs: 5 });
    await expect.poll(() => harness.services.get('cost.rung').current()).toBe('downshift_90');
    const [change] = await harness.audit({ seam: RUNG_SEAM });
    expect(change?.details).toMatchObject({ from: 'normal', to: 'downshift_90', windows: { rolling_24h: { costUsd: 9.5, budgetUsd: 10, rung: 'downshift_90' } } });
  });

  it('lets the 24 h rung fall as the spend ages out, and keeps the day\'s peak until the daily reset', async () => {
    const { harness, call, clock } = await rig({ config: budgets });
    await harness.startDaemons();
    await call(10, { at: T0 - 20 * HOUR });
    await harness.runTask(TASKS.persist);
    expect(harness.services.get('cost.rung').current()).toBe('hard_stop_100');
    clock.jump(5 * HOUR); // 15:00: the call is 25 h old
    await harness.runTask(TASKS.persist);
    expect(harness.services.get('cost.windows').windows()[0]).toMatchObject({ costUsd: 0, rung: 'normal' });
    expect(harness.services.get('cost.rung').current()).toBe('normal');
    const route = harness.contributions.list('http.admin').find((c) => c.value.path === '/api/costs')!.value;
    const get = async () => ((await route.handle({ method: 'GET', path: '/api/costs', params: {}, query: {}, headers: {}, body: undefined, principal: 'admin', raw: undefined as never })) as { body: { peaks: Record<string, string> } }).body;
    expect((await get()).peaks).toEqual({ rolling_24h: 'hard_stop_100', month: 'normal' });
    clock.jump(10 * HOUR); // 01:00 the next day
    expect(await harness.runTask(TASKS.daily)).toMatchObject({ status: 'ok' });
    expect((await get()).peaks).toEqual({ rolling_24h: 'normal', month: 'normal' });
    const resets = await harness.audit({ seam: RESET_SEAM });
    expect(resets.at(-1)?.details).toMatchObject({ window: 'rolling_24h', period: '2026-12-16', closedRung: 'hard_stop_100' });
  });

  it('runs without the reasoning plugin: every window at 0, and says why in the status', async () => {
    const { harness } = await rig({ noReasoning: true, config: budgets });
    const [status] = await harness.startDaemons();
    expect(status).toMatchObject({ name: 'cost_telemetry', state: 'running', note: NO_USAGE_NOTE });
    expect(harness.services.get('cost.windows').windows().map((w) => w.costUsd)).toEqual([0, 0]);
    expect(await harness.runTask(TASKS.persist)).toMatchObject({ status: 'ok' });
  });

  it('persists the spend per day, model and route for the chart', async () => {
    const { harness, call } = await rig({ config: budgets });
    await call(1, { at: T0 - 12 * HOUR });
    await call(2, { at: T0 - HOUR, model: 'claude-sonnet-4-6' });
    await call(0.5, { at: T0 - HOUR, route: 'cli' });
    await harness.startDaemons();
    expect(await harness.runTask(TASKS.persist)).toMatchObject({ status: 'ok' });
    const persisted = await harness.store.pluginDb('telemetry').selectFrom('telemetry_daily').select(['day', 'model', 'route', 'calls', 'cost_usd']).orderBy('day').orderBy('model').orderBy('route').execute();
    expect(persisted.map((r) => [r.day, r.model, r.route, Number(r.calls), Number(r.cost_usd)])).toEqual([
      ['2026-12-14', 'claude-haiku-4-5', 'slack_dm', 1, 1],
      ['2026-12-15', 'claude-haiku-4-5', 'cli', 1, 0.5],
      ['2026-12-15', 'claude-sonnet-4-6', 'slack_dm', 1, 2],
    ]);
    const route = harness.contributions.list('http.admin').find((c) => c.value.path === '/api/costs')!.value;
    const answer = (await route.handle({ method: 'GET', path: '/api/costs', params: {}, query: { days: '3' }, headers: {}, body: undefined, principal: 'admin', raw: undefined as never })) as { status: number; body: Record<string, unknown> };
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      rung: 'normal',
      days: 3,
      daily: [
        { day: '2026-12-14', model: 'claude-haiku-4-5', calls: 1, costUsd: 1 },
        { day: '2026-12-15', model: 'claude-haiku-4-5', calls: 1, costUsd: 0.5 },
        { day: '2026-12-15', model: 'claude-sonnet-4-6', calls: 1, costUsd: 2 },
      ],
    });
    const bad = (await route.handle({ method: 'GET', path: '/api/costs', params: {}, query: { days: '0' }, headers: {}, body: undefined, principal: 'admin', raw: undefined as never })) as { status: number };
    expect(bad.status).toBe(400);
  });

  it('draws the Costs page: a column per day, a segment per model, named in text', async () => {
    const { harness, call } = await rig({ config: budgets });
    await call(1, { at: T0 - HOUR });
    await call(2, { at: T0 - HOUR, model: 'claude-sonnet-4-6' });
    await harness.startDaemons();
    await harness.runTask(TASKS.persist);
    const page = harness.contributions.list('web.page').find((c) => c.value.path === '/costs')!.value;
    const body = String(await page.render({ path: '/costs', query: { days: '7' }, principal: 'admin', csrfToken: '' }));
    expect(body.match(/class="cost-day"/g)).toHaveLength(7);
    expect(body).toContain('data-model="claude-sonnet-4-6"');
    expect(body).toContain('<title>2026-12-15 · claude-sonnet-4-6 · 2.00 USD · 1 call(s)</title>');
    expect(body).toContain('<strong id="cost-rung">normal</strong>');
  });

  it('rejects a budget that is not a positive number, naming the field', async () => {
    await expect(rig({ config: { budgets: { month: -1 } } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID', message: expect.stringContaining('budgets.month') });
    await expect(rig({ config: { budgets: { weekly: 5 } } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID' });
  });
});

describe('cost_telemetry: the cost ladder reads the rung', () => {
  it('a plugin on pre_api_request_mutable sees hard_stop_100 through cost.rung', async () => {
    let seen: string | undefined;
    const reader = definePlugin({ id: 'reader', register: (ctx) => ctx.on('pre_api_request_mutable', () => void (seen = ctx.services.tryGet('cost.rung')?.current())) });
    const { harness, call } = await rig({ config: budgets, plugins: [reader] });
    await call(100);
    await harness.startDaemons();
    await harness.dispatch('pre_api_request_mutable', { route: 'slack_dm', iteration: 1, request: { model: 'cheap', max_tokens: 1, messages: [] } });
    expect(seen).toBe('hard_stop_100');
  });
});
