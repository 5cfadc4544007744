// The alerts plugin's tables (`alerts_alerts`, `alerts_events`) on the store kind of the vitest
// project (`sqlite`, `postgres`): the plugin's migrations run by the harness on a fresh store,
// then its real code path — `alerts.notify` over a `probes` and a `cost.rung` service whose
// answers the test sets: one row per dedup key however many ticks see it firing, a reminder only
// after `renotifyAfter`, a change of fingerprint said, the resolution, the events newest first
// (ties in the order they were said), and the book read back by a restarted gateway, which says
// nothing again. DESIGN §7: every plugin table runs on SQLite and PostgreSQL alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type CostRungName, type ProbeResult } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import { NOTIFY_TASK } from './daemon.js';
import alerts from './index.js';
import { ALERTS_TABLE, readAlerts, readEvents } from './store.js';

const T0 = Date.UTC(2026, 11, 15, 10);
const HOUR = 3_600_000;
const open: PluginHarness[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

const world = { probes: [] as ProbeResult[], rung: 'normal' as CostRungName };
const sources = definePlugin({
  id: 'sources',
  register(ctx) {
    ctx.registerDaemon({
      name: 'sources',
      start(d) {
        d.services.provide('probes', { latest: () => world.probes });
        d.services.provide('cost.rung', { current: () => world.rung });
      },
    });
  },
});
const probe = (name: string, state: ProbeResult['state'], detail: string): ProbeResult => ({ name, state, detail, latencyMs: 5, at: T0 });

async function database(): Promise<{ home: string; storeUrl: string }> {
  const home = mkdtempSync(join(tmpdir(), 'kora-alerts-'));
  homes.push(home);
  return { home, storeUrl: storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite:kora.db' };
}

async function boot(db: { home: string; storeUrl: string }, clock: ManualClock): Promise<PluginHarness> {
  const h = await createPluginHarness([sources, alerts], { ...db, clock, config: { alerts: { renotifyAfter: '6h' } } });
  open.push(h);
  await h.startDaemons();
  return h;
}

describe(`alerts tables on ${storeKind}`, () => {
  it('keep one row per key, say it again only when due or changed, resolve it, and list the events newest first', async () => {
    world.probes = [probe('site', 'down', 'HTTP 500')];
    world.rung = 'warn_75';
    const clock = new ManualClock(T0);
    const db = await database();
    const h = await boot(db, clock);
    const tick = async () => expect(await h.runTask(NOTIFY_TASK)).toMatchObject({ status: 'ok' });

    await tick(); // both open, in this order: the probe, then the rung
    clock.jump(HOUR);
    await tick(); // quiet: said an hour ago
    clock.jump(5 * HOUR);
    await tick(); // six hours: both said again
    world.rung = 'downshift_90';
    clock.jump(HOUR);
    await tick(); // the rung changed
    world.probes = [probe('site', 'ok', 'HTTP 200')];
    world.rung = 'normal';
    clock.jump(HOUR);
    await tick(); // both resolved

    const pdb = h.store.pluginDb('alerts');
    const rows = await readAlerts(pdb);
    expect([...rows.keys()].sort()).toEqual(['probe:site', 'rung']);
    expect(rows.get('probe:site')).toEqual({
      key: 'probe:site',
      severity: 'critical',
      title: 'Probe site is down',
      detail: 'HTTP 500',
      fingerprint: 'bad',
      state: 'resolved',
      openedAt: T0,
      lastNotifiedAt: T0 + 8 * HOUR,
      resolvedAt: T0 + 8 * HOUR,
      notified: 3,
    });
    expect(rows.get('rung')).toMatchObject({ state: 'resolved', fingerprint: 'downshift_90', openedAt: T0, resolvedAt: T0 + 8 * HOUR, notified: 4 });
    expect(await pdb.selectFrom(ALERTS_TABLE).select('key').execute()).toHaveLength(2);

    const events = await readEvents(pdb, { limit: 50 });
    expect(events.map((e) => [e.at - T0, e.key, e.kind])).toEqual([
      [8 * HOUR, 'rung', 'resolved'],
      [8 * HOUR, 'probe:site', 'resolved'],
      [7 * HOUR, 'rung', 'changed'],
      [6 * HOUR, 'rung', 'reminder'],
      [6 * HOUR, 'probe:site', 'reminder'],
      [0, 'rung', 'opened'],
      [0, 'probe:site', 'opened'],
    ]);
    expect((await readEvents(pdb, { since: T0 + 7 * HOUR, limit: 50 })).map((e) => e.kind)).toEqual(['resolved', 'resolved', 'changed']);
    expect(await readEvents(pdb, { limit: 2 })).toEqual(events.slice(0, 2));
  });

  it('reads its book back after a restart: an alert still firing is not opened again', async () => {
    world.probes = [probe('api', 'error', 'timed out')];
    world.rung = 'normal';
    const clock = new ManualClock(T0);
    const db = await database();
    const first = await boot(db, clock);
    await first.runTask(NOTIFY_TASK);
    await first.close();

    clock.jump(HOUR);
    const second = await boot(db, clock);
    expect(second.services.get('alerts').open()).toEqual([{ key: 'probe:api', severity: 'warning', title: 'Probe api is error', since: T0 }]);
    await second.runTask(NOTIFY_TASK);
    const pdb = second.store.pluginDb('alerts');
    expect((await readEvents(pdb, { limit: 10 })).map((e) => [e.key, e.kind, e.at])).toEqual([['probe:api', 'opened', T0]]);
    expect((await readAlerts(pdb)).get('probe:api')).toMatchObject({ state: 'open', notified: 1, lastNotifiedAt: T0 });
  });
});
