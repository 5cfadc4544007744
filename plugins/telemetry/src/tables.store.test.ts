// The telemetry plugin's tables (`telemetry_daily`, `telemetry_resets`, `telemetry_state`) on the
// store kind of the vitest project (`sqlite`, `postgres`): the plugin's migrations run by the
// harness on a fresh store, with the real reasoning plugin's `usage` service over its usage rows,
// then the real tasks — `cost_telemetry.persist` upserting the spend per day, model and route
// (and `GET /api/costs` reading the persisted days back), the resets happening exactly once per
// period by primary key with two gateways sharing the store and after a restart, and the rung
// and peaks kept in `telemetry_state`. DESIGN §7: every plugin table runs on SQLite and PostgreSQL alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpRoute, HttpRouteRequest } from '@kora/runtime';
import { ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import { TASKS } from './daemon.js';
import { DAILY_TABLE, RESETS_TABLE, STATE_TABLE } from './migrations.js';
import { RESET_SEAM } from './telemetry.js';
import { rigs, T0 } from './test-rig.test-helper.js';

const rig = rigs();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** A database that outlives a harness and can be shared: a SQLite file in a home, or a fresh PostgreSQL schema. */
async function database(): Promise<{ home: string; storeUrl: string }> {
  const home = mkdtempSync(join(tmpdir(), 'kora-telemetry-'));
  homes.push(home);
  return { home, storeUrl: storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite:kora.db' };
}

async function costs(h: PluginHarness, days: number) {
  const route = h.contributions.list('http.admin').map((c) => c.value as HttpRoute).find((r) => r.path === '/api/costs')!;
  const request = { method: 'GET', path: route.path, params: {}, query: { days: String(days) }, headers: {}, body: undefined, principal: 'admin', raw: {} } as unknown as HttpRouteRequest;
  const answer = (await route.handle(request)) as { status: number; body: { daily: { day: string; model: string; calls: number; costUsd: number }[]; resets: { window: string; period: string; at: number; closedCalls: number; closedCostUsd: number }[] } };
  expect(answer.status).toBe(200);
  return answer.body;
}

describe(`telemetry tables on ${storeKind}`, () => {
  it('persist upserts the spend per day, model and route, and the costs read the persisted days back', async () => {
    const db = await database();
    const clock = new ManualClock(T0);
    const { harness, call } = await rig({ ...db, clock });
    await call(1.5, { at: T0 - DAY }); // yesterday
    await call(2, { at: T0 - HOUR });
    await call(0.25, { at: T0 - HOUR, model: 'claude-sonnet-4-5', route: 'cli' });
    await harness.startDaemons();
    expect(await harness.runTask(TASKS.persist)).toMatchObject({ status: 'ok' });
    await call(3, { at: T0 });
    expect(await harness.runTask(TASKS.persist)).toMatchObject({ status: 'ok' });

    const pdb = harness.store.pluginDb('telemetry');
    const rows = await pdb.selectFrom(DAILY_TABLE).selectAll().orderBy('day').orderBy('model').orderBy('route').execute();
    // One row per day, model and route, the second persist updating today's in place.
    expect(rows.map((r) => [r.day, r.model, r.route, r.calls, r.failed, r.input_tokens, r.output_tokens, r.cost_usd, r.updated_at])).toEqual([
      ['2026-12-14', 'claude-haiku-4-5', 'slack_dm', 1, 0, 1000, 100, 1.5, T0],
      ['2026-12-15', 'claude-haiku-4-5', 'slack_dm', 2, 0, 2000, 200, 5, T0],
      ['2026-12-15', 'claude-sonnet-4-5', 'cli', 1, 0, 1000, 100, 0.25, T0],
    ]);

    // Three days on, 2026-12-14 and 15 are read from telemetry_daily, no longer live.
    clock.jump(3 * DAY);
    const answer = await costs(harness, 7);
    expect(answer.daily).toEqual([
      { day: '2026-12-14', model: 'claude-haiku-4-5', calls: 1, costUsd: 1.5 },
      { day: '2026-12-15', model: 'claude-haiku-4-5', calls: 2, costUsd: 5 },
      { day: '2026-12-15', model: 'claude-sonnet-4-5', calls: 1, costUsd: 0.25 },
    ]);
    // Days past the kept ones are dropped by the next persist.
    clock.jump(410 * DAY);
    expect(await harness.runTask(TASKS.persist)).toMatchObject({ status: 'ok' });
    expect(await pdb.selectFrom(DAILY_TABLE).select('day').execute()).toEqual([]);
  });

  it('resets each window exactly once per period with two gateways on one store, and once more after a restart the next day', async () => {
    const db = await database();
    const clock = new ManualClock(T0);
    const config = { budgets: { rolling_24h: 10 } };
    const a = await rig({ ...db, clock, config });
    await a.call(4, { at: T0 - 30 * HOUR }); // 2026-12-14, the day the first daily reset closes
    await a.call(10, { at: T0 - HOUR }); // today: the rolling window at its budget
    const b = await rig({ ...db, clock, config });
    await Promise.all([a.harness.startDaemons(), b.harness.startDaemons()]);
    for (const task of [TASKS.daily, TASKS.monthly, TASKS.daily, TASKS.monthly]) {
      const [x, y] = await Promise.all([a.harness.runTask(task), b.harness.runTask(task)]);
      expect([x.status, y.status]).toEqual(['ok', 'ok']);
    }
    const pdb = a.harness.store.pluginDb('telemetry');
    const resets = await pdb.selectFrom(RESETS_TABLE).selectAll().orderBy('window_name').execute();
    expect(resets.map((r) => [r.window_name, r.period, r.at, r.closed_calls, r.closed_cost_usd])).toEqual([
      ['month', '2026-12', T0, 0, 0],
      ['rolling_24h', '2026-12-15', T0, 1, 4],
    ]);
    // Said once, by whichever gateway inserted the row (the audit rows are the store's, shared).
    expect((await a.harness.audit({ seam: RESET_SEAM })).map((r) => r.details.period).sort()).toEqual(['2026-12', '2026-12-15']);
    // The rung and the peak since the reset, kept as JSON text.
    expect(a.harness.services.get('cost.rung').current()).toBe('hard_stop_100');
    const state = Object.fromEntries((await pdb.selectFrom(STATE_TABLE).select(['key', 'value']).execute()).map((r) => [r.key, JSON.parse(String(r.value)) as unknown]));
    expect(state).toMatchObject({ rung: 'hard_stop_100', 'peak.rolling_24h': { period: '2026-12-15', rung: 'hard_stop_100' } });
    await a.harness.close();
    await b.harness.close();

    // Restarted the next day: the day resets once (closing 2026-12-15 at its peak), the month not.
    clock.jump(15 * HOUR);
    const c = await rig({ ...db, clock, config });
    await c.harness.startDaemons();
    for (const task of [TASKS.daily, TASKS.monthly, TASKS.daily]) expect(await c.harness.runTask(task)).toMatchObject({ status: 'ok' });
    const after = await costs(c.harness, 3);
    // Newest first; the two resets of T0 by window, the same on either database.
    expect(after.resets.map((r) => [r.window, r.period, r.at, r.closedCalls, r.closedCostUsd])).toEqual([
      ['rolling_24h', '2026-12-16', T0 + 15 * HOUR, 1, 10],
      ['rolling_24h', '2026-12-15', T0, 1, 4],
      ['month', '2026-12', T0, 0, 0],
    ]);
    expect((await c.harness.store.pluginDb('telemetry').selectFrom(RESETS_TABLE).select('period').execute()).map((r) => r.period).sort()).toEqual(['2026-12', '2026-12-15', '2026-12-16']);
    const closed = await c.harness.store.pluginDb('telemetry').selectFrom(RESETS_TABLE).select('closed_rung').where('period', '=', '2026-12-16').executeTakeFirstOrThrow();
    expect(closed.closed_rung).toBe('hard_stop_100');
  });
});
