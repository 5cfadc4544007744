// The resets across restarts: a second harness on the same home and SQLite file is the gateway
// started again, with the same tables and a fresh plugin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type UsageLedger } from '@kora/runtime';
import { ManualClock } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { TASKS } from './daemon.js';
import { RESET_SEAM } from './telemetry.js';
import { rigs, T0 } from './test-rig.test-helper.js';
import { periodOf, previousPeriod } from './windows.js';

const rig = rigs();
const HOUR = 3_600_000;
const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kora-telemetry-'));
  homes.push(dir);
  return dir;
}

describe('cost_telemetry: resets', () => {
  it('resets once per UTC day and once per month, across a restart, however many checks run', async () => {
    const dir = home();
    const clock = new ManualClock(T0);
    const first = await rig({ home: dir, storeUrl: 'sqlite:kora.db', clock, config: { budgets: { rolling_24h: 10 } } });
    await first.call(4, { at: T0 - 30 * HOUR });
    await first.harness.startDaemons();
    for (const task of [TASKS.daily, TASKS.monthly, TASKS.daily]) expect(await first.harness.runTask(task)).toMatchObject({ status: 'ok' });
    const resets = await first.harness.audit({ seam: RESET_SEAM });
    expect(resets.map((r) => [r.details.window, r.details.period])).toEqual([
      ['rolling_24h', '2026-12-15'],
      ['month', '2026-12'],
    ]);
    // The closed day is 2026-12-14, where the 4 USD call was.
    expect(resets[0]!.details).toMatchObject({ closedCalls: 1, closedCostUsd: 4 });
    await first.harness.close();

    // Restarted the same day: no second reset.
    clock.jump(2 * HOUR);
    const second = await rig({ home: dir, storeUrl: 'sqlite:kora.db', clock, config: { budgets: { rolling_24h: 10 } } });
    await second.harness.startDaemons();
    await second.harness.runTask(TASKS.daily);
    expect(await second.harness.audit({ seam: RESET_SEAM })).toHaveLength(2);
    await second.harness.close();

    // Down over midnight, back the next day: the day resets once; the month does not.
    clock.jump(14 * HOUR);
    const third = await rig({ home: dir, storeUrl: 'sqlite:kora.db', clock, config: { budgets: { rolling_24h: 10 } } });
    await third.harness.startDaemons();
    await third.harness.runTask(TASKS.daily);
    await third.harness.runTask(TASKS.monthly);
    const after = await third.harness.audit({ seam: RESET_SEAM });
    expect(after.map((r) => [r.details.window, r.details.period])).toEqual([
      ['rolling_24h', '2026-12-15'],
      ['month', '2026-12'],
      ['rolling_24h', '2026-12-16'],
    ]);
  });

  it('keeps a hard stop across a restart while the spend is in the window, and lets a raised budget lift it', async () => {
    const dir = home();
    const clock = new ManualClock(T0);
    const first = await rig({ home: dir, storeUrl: 'sqlite:kora.db', clock, config: { budgets: { rolling_24h: 10 } } });
    await first.call(10);
    await first.harness.startDaemons();
    expect(first.harness.services.get('cost.rung').current()).toBe('hard_stop_100');
    await first.harness.close();

    clock.jump(13 * HOUR); // 23:00, the call 13 h old: still in the window.
    const again = await rig({ home: dir, storeUrl: 'sqlite:kora.db', clock, config: { budgets: { rolling_24h: 10 } } });
    await again.harness.startDaemons();
    expect(again.harness.services.get('cost.rung').current()).toBe('hard_stop_100');
    await again.harness.close();

    const raised = await rig({ home: dir, storeUrl: 'sqlite:kora.db', clock, config: { budgets: { rolling_24h: 40 } } });
    await raised.harness.startDaemons();
    expect(raised.harness.services.get('cost.rung').current()).toBe('normal');
  });

  it('retries a failed reset on the next check, and then resets once', async () => {
    let failing = true;
    const ledger: UsageLedger = {
      totals: async () => {
        if (failing) throw new Error('the store is away');
        return [];
      },
    };
    const usage = definePlugin({ id: 'usage_source', register: (ctx) => ctx.services.provide('usage', ledger) });
    const { harness, clock } = await rig({ noReasoning: true, plugins: [usage] });
    await harness.startDaemons();
    expect(await harness.runTask(TASKS.daily)).toMatchObject({ status: 'failed', error: expect.stringContaining('the store is away') });
    expect(await harness.audit({ seam: RESET_SEAM })).toHaveLength(0);
    failing = false;
    clock.jump(HOUR);
    expect(await harness.runTask(TASKS.daily)).toMatchObject({ status: 'ok' });
    expect(await harness.runTask(TASKS.daily)).toMatchObject({ status: 'ok' });
    expect((await harness.audit({ seam: RESET_SEAM })).map((r) => r.details.period)).toEqual(['2026-12-15']);
  });
});

describe('cost_telemetry: periods', () => {
  it('names the UTC day and month, and the period each reset closes', () => {
    const t = Date.UTC(2026, 0, 1, 0, 30);
    expect(periodOf('rolling_24h', t)).toBe('2026-01-01');
    expect(periodOf('month', t)).toBe('2026-01');
    expect(previousPeriod('month', '2026-01')).toEqual({ since: Date.UTC(2025, 11, 1), until: Date.UTC(2026, 0, 1) });
    expect(previousPeriod('rolling_24h', '2026-03-01')).toEqual({ since: Date.UTC(2026, 1, 28), until: Date.UTC(2026, 2, 1) });
  });
});
