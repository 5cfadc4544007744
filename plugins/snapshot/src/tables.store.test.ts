// The snapshot plugin's table (`snapshot_snapshots`) on the store kind of the vitest project
// (`sqlite`, `postgres`): the plugin's migrations run by the harness on a fresh store, then its
// real code path — `snapshot.compute` storing each roll-up with its time, pruned to `keep`, the
// `snapshot` service serving the newest, and a restarted gateway reading the newest stored one
// back (its JSON intact, stale once old). DESIGN §7: every plugin table runs on SQLite and PostgreSQL alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type CostRungName, type SnapshotView } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import { COMPUTE_TASK } from './daemon.js';
import snapshot from './index.js';
import { SNAPSHOTS_TABLE } from './migrations.js';

const T0 = Date.UTC(2026, 11, 15, 10);
const MIN = 60_000;
const open: PluginHarness[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

const world = { rung: 'normal' as CostRungName };
const ops = definePlugin({
  id: 'ops',
  register(ctx) {
    ctx.registerDaemon({ name: 'ops', start: (d) => d.services.provide('cost.rung', { current: () => world.rung }) });
  },
});

async function database(): Promise<{ home: string; storeUrl: string }> {
  const home = mkdtempSync(join(tmpdir(), 'kora-snapshot-'));
  homes.push(home);
  return { home, storeUrl: storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite:kora.db' };
}

async function boot(db: { home: string; storeUrl: string }, clock: ManualClock): Promise<PluginHarness> {
  const h = await createPluginHarness([ops, snapshot], { ...db, clock, config: { snapshot: { keep: 3, staleAfterMs: 15 * MIN } } });
  open.push(h);
  await h.startDaemons();
  return h;
}

const latest = (h: PluginHarness) => h.services.get('snapshot').latest() as SnapshotView | null;

describe(`snapshot_snapshots on ${storeKind}`, () => {
  it('stores each snapshot with its time, keeps the newest `keep`, and serves the newest to a restarted gateway', async () => {
    const db = await database();
    const clock = new ManualClock(T0);
    const first = await boot(db, clock);
    const rungs: CostRungName[] = ['normal', 'warn_75', 'downshift_90', 'warn_75', 'hard_stop_100'];
    for (const rung of rungs) {
      world.rung = rung;
      expect(await first.runTask(COMPUTE_TASK)).toMatchObject({ status: 'ok' });
      await clock.advance(5 * MIN);
    }
    const pdb = first.store.pluginDb('snapshot');
    const rows = await pdb.selectFrom(SNAPSHOTS_TABLE).selectAll().orderBy('at', 'desc').execute();
    expect(rows.map((r) => r.at)).toEqual([T0 + 20 * MIN, T0 + 15 * MIN, T0 + 10 * MIN]);
    expect(typeof rows[0]!.at).toBe('number');
    const newest = latest(first)!;
    expect(newest).toMatchObject({ at: T0 + 20 * MIN, stale: false });
    expect(JSON.parse(String(rows[0]!.data))).toEqual(newest.data);
    expect(JSON.stringify(newest.data)).toContain('hard_stop_100');
    await first.close();

    // Restarted 40 minutes later, before any compute of its own: the newest stored one, stale.
    clock.jump(20 * MIN);
    const second = await createPluginHarness([ops, snapshot], { ...db, clock, config: { snapshot: { keep: 3, staleAfterMs: 15 * MIN } } });
    open.push(second);
    await second.startDaemons();
    expect(latest(second)).toEqual({ at: T0 + 20 * MIN, stale: true, data: newest.data });
    world.rung = 'normal';
    expect(await second.runTask(COMPUTE_TASK)).toMatchObject({ status: 'ok' });
    expect(latest(second)).toMatchObject({ at: clock.now(), stale: false });
    const after = await second.store.pluginDb('snapshot').selectFrom(SNAPSHOTS_TABLE).select('at').orderBy('at', 'desc').execute();
    expect(after.map((r) => r.at)).toEqual([clock.now(), T0 + 20 * MIN, T0 + 15 * MIN]);
  });
});
