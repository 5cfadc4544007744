// The probes plugin's table (`probes_results`) on the store kind of the vitest project (`sqlite`,
// `postgres`): the plugin's migrations run by the harness on a fresh store, then its real code
// paths — `heartbeat.service_probes` cycles against a local site writing one row per probe, the
// history pruned to its bound, read newest first with numbers as numbers, the latest states read
// back by a restarted gateway, and the rows of a probe no longer configured dropped.
// DESIGN §7: every plugin table runs on SQLite and PostgreSQL alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import { startFakeApi, type FakeApi } from './fake-apis.test-helper.js';
import { PROBE_TASK } from './heartbeat-daemon.js';
import { latestResults, probeHistory, RESULTS_TABLE } from './history.js';
import probes from './index.js';

const T0 = Date.UTC(2026, 11, 15, 10);
const open: PluginHarness[] = [];
const apis: FakeApi[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const a of apis.splice(0)) await a.close();
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A database that outlives a harness: a SQLite file in a home of its own, or a fresh PostgreSQL schema. */
async function database(): Promise<{ home: string; storeUrl: string }> {
  const home = mkdtempSync(join(tmpdir(), 'kora-probes-'));
  homes.push(home);
  return { home, storeUrl: storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite:kora.db' };
}

async function site(): Promise<{ url: string; status: { code: number } }> {
  const status = { code: 200 };
  const a = await startFakeApi({ token: 'unused', body: (path) => (path === '/site' ? { status: status.code, body: 'site' } : null) });
  apis.push(a);
  return { url: `${a.url}/site`, status };
}

async function boot(db: { home: string; storeUrl: string }, clock: ManualClock, http: { name: string; url: string }[]): Promise<PluginHarness> {
  const h = await createPluginHarness(probes, { ...db, clock, config: { history: 10, http } });
  open.push(h);
  await h.startDaemons();
  return h;
}

describe(`probes_results on ${storeKind}`, () => {
  it('keeps one row per probe per cycle, pruned to the history bound, newest first', async () => {
    const s = await site();
    const clock = new ManualClock(T0);
    const h = await boot(await database(), clock, [{ name: 'site', url: s.url }, { name: 'shop', url: s.url }]);
    for (let i = 0; i < 13; i++) {
      if (i === 12) s.status.code = 500;
      expect(await h.runTask(PROBE_TASK)).toMatchObject({ status: 'ok' });
      await clock.advance(300_000);
    }
    const db = h.store.pluginDb('probes');
    const history = await probeHistory(db, 'site', 50);
    expect(history).toHaveLength(10);
    // The last cycle (at T0 + 12 × 5 min) first; the oldest three pruned.
    expect(history.map((r) => r.at)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (12 - i) * 300_000));
    expect(history[0]).toMatchObject({ name: 'site', state: 'down', detail: expect.stringMatching(/^HTTP 500/) });
    expect(history[1]).toMatchObject({ name: 'site', state: 'ok', detail: 'HTTP 200' });
    for (const r of history) {
      expect(typeof r.at).toBe('number');
      expect(typeof r.latencyMs).toBe('number');
    }
    const rows = await db.selectFrom(RESULTS_TABLE).select('probe').execute();
    expect(rows.filter((r) => r.probe === 'site')).toHaveLength(10);
    expect(rows.filter((r) => r.probe === 'shop')).toHaveLength(10);
    // The built-in presets, unconfigured, are probed and bounded too.
    expect(rows.filter((r) => r.probe === 'vercel')).toHaveLength(10);
    expect(await probeHistory(db, 'site', 3)).toEqual(history.slice(0, 3));
  });

  it('serves the latest states to a restarted gateway, and drops the rows of a probe no longer configured', async () => {
    const s = await site();
    const db = await database();
    const clock = new ManualClock(T0);
    const first = await boot(db, clock, [{ name: 'site', url: s.url }, { name: 'shop', url: s.url }]);
    s.status.code = 503;
    await first.runTask(PROBE_TASK);
    await first.close();

    await clock.advance(300_000);
    const second = await boot(db, clock, [{ name: 'site', url: s.url }]);
    // Before any cycle of its own, the board holds the states the first gateway left.
    const board = second.services.get('probes').latest() as ProbeResult[];
    expect(board.find((r) => r.name === 'site')).toMatchObject({ state: 'down', at: T0, detail: expect.stringMatching(/^HTTP 503/) });
    expect(await latestResults(second.store.pluginDb('probes'), ['site', 'shop'])).toMatchObject([
      { name: 'site', at: T0 },
      { name: 'shop', at: T0 },
    ]);
    s.status.code = 200;
    await second.runTask(PROBE_TASK);
    const pdb = second.store.pluginDb('probes');
    expect(await latestResults(pdb, ['site', 'shop'])).toMatchObject([{ name: 'site', state: 'ok', at: T0 + 300_000 }]);
    expect(await pdb.selectFrom(RESULTS_TABLE).select('id').where('probe', '=', 'shop').execute()).toEqual([]);
    expect((await probeHistory(pdb, 'site', 10)).map((r) => r.state)).toEqual(['ok', 'down']);
  });
});
