import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type ApprovedProposals, type SnapshotView } from '@kora/runtime';
import { createPluginHarness, ManualClock, type HarnessedPlugin, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPUTE_TASK } from './daemon.js';
import plugin from './index.js';

const T0 = Date.UTC(2026, 11, 15, 10);
const open: PluginHarness[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The operations plugins' services, as their daemons provide them, and a read-only tool a proposal names. */
function operations(options: { snapshotTools?: string[]; throwingAlerts?: boolean } = {}) {
  const proposals: ApprovedProposals = {
    phrasebook: () => null,
    routerPatterns: () => ({ add: [], remove: [] }),
    snapshotTools: () => options.snapshotTools ?? [],
    trimmedTools: () => [],
    pendingCount: () => 2,
  };
  return definePlugin({
    id: 'ops',
    register(ctx) {
      ctx.registerTool({ name: 'kora__probes', description: 'probe states', run: () => ({ probes: [{ name: 'vercel', state: 'down' }] }) });
      ctx.registerDaemon({
        name: 'ops',
        start(d) {
          d.services.provide('probes', { latest: () => [{ name: 'vercel', state: 'down', latencyMs: null, detail: 'HTTP 500', at: T0 }] });
          d.services.provide('cost.rung', { current: () => 'warn_75' });
          d.services.provide('cost.windows', { windows: () => [{ window: 'rolling_24h', since: T0 - 86_400_000, calls: 3, costUsd: 7.5, budgetUsd: 10 }] });
          d.services.provide('alerts', {
            open: () => {
              if (options.throwingAlerts) throw new Error('alerts table away');
              return [{ key: 'probe:vercel', severity: 'critical', title: 'vercel is down', since: T0 }];
            },
          });
          d.services.provide('proposals', proposals);
        },
      });
    },
  });
}

async function harness(plugins: HarnessedPlugin[], options: { config?: Record<string, unknown>; clock?: ManualClock; home?: string; storeUrl?: string } = {}) {
  const h = await createPluginHarness([...plugins, plugin], { clock: options.clock ?? new ManualClock(T0), config: { snapshot: options.config }, ...(options.home ? { home: options.home, storeUrl: options.storeUrl } : {}) });
  open.push(h);
  await h.startDaemons();
  return h;
}

describe('snapshot: the roll-up', () => {
  it('reads every operations service, the daemons and the tasks, and stores it with its time', async () => {
    const h = await harness([operations()]);
    expect(h.services.get('snapshot').latest()).toBeNull();
    expect(await h.runTask(COMPUTE_TASK)).toMatchObject({ status: 'ok' });
    const view = h.services.get('snapshot').latest()!;
    expect(view).toMatchObject({ at: T0, stale: false });
    expect(view.data).toMatchObject({
      gateway: { state: 'running' },
      daemons: [{ name: 'ops', state: 'running' }, { name: 'snapshot', state: 'running' }],
      probes: [{ name: 'vercel', state: 'down', detail: 'HTTP 500' }],
      costs: { rung: 'warn_75', windows: [{ window: 'rolling_24h', costUsd: 7.5 }] },
      mcp: 'unavailable',
      alerts: [{ key: 'probe:vercel', severity: 'critical' }],
      proposals: { pending: 2 },
    });
    expect(view.data).not.toHaveProperty('tools');
  });

  it('records every missing service as unavailable and one that throws as its error, never failing', async () => {
    const bare = await harness([]);
    expect(await bare.runTask(COMPUTE_TASK)).toMatchObject({ status: 'ok' });
    expect(bare.services.get('snapshot').latest()!.data).toMatchObject({ probes: 'unavailable', costs: 'unavailable', mcp: 'unavailable', alerts: 'unavailable', proposals: 'unavailable' });
    expect(bare.daemons().find((d) => d.name === 'snapshot')?.note).toBe('not measured (no plugin provides them): probes, costs, mcp, alerts, proposals');
    const throwing = await harness([operations({ throwingAlerts: true })]);
    expect(await throwing.runTask(COMPUTE_TASK)).toMatchObject({ status: 'ok' });
    expect(throwing.services.get('snapshot').latest()!.data.alerts).toEqual({ error: 'alerts table away' });
  });

  it('adds the results of the tools an approved proposal names, called through the tool pipeline', async () => {
    const calls: string[] = [];
    const watcher = definePlugin({ id: 'watcher', register: (ctx) => ctx.on('post_tool_call', (e) => void calls.push(`${e.tool}:${e.route}`)) });
    const h = await harness([operations({ snapshotTools: ['kora__probes', 'kora__nope', 'kora__snapshot'] }), watcher]);
    await h.runTask(COMPUTE_TASK);
    const tools = h.services.get('snapshot').latest()!.data.tools as Record<string, unknown>;
    expect(tools.kora__probes).toEqual({ probes: [{ name: 'vercel', state: 'down' }] });
    expect(tools.kora__nope).toEqual({ error: expect.stringContaining('KORA_ERR_TOOL_UNKNOWN') });
    expect(tools).not.toHaveProperty('kora__snapshot');
    expect(calls).toEqual(['kora__probes:snapshot', 'kora__nope:snapshot']);
  });

  it('is stale past the threshold, and served from the table after a restart until the next compute', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kora-snapshot-'));
    homes.push(home);
    const clock = new ManualClock(T0);
    const first = await harness([operations()], { clock, home, storeUrl: 'sqlite:kora.db', config: { staleAfterMs: 600_000 } });
    await first.runTask(COMPUTE_TASK);
    clock.jump(600_001);
    expect(first.services.get('snapshot').latest()).toMatchObject({ at: T0, stale: true });
    await first.close();
    const second = await harness([operations()], { clock, home, storeUrl: 'sqlite:kora.db', config: { staleAfterMs: 600_000 } });
    expect(second.services.get('snapshot').latest()).toMatchObject({ at: T0, stale: true, data: { proposals: { pending: 2 } } });
    await second.runTask(COMPUTE_TASK);
    expect(second.services.get('snapshot').latest()).toMatchObject({ at: T0 + 600_001, stale: false });
  });

  it('keeps the newest snapshots only', async () => {
    const clock = new ManualClock(T0);
    const h = await harness([], { clock, config: { keep: 3 } });
    for (let i = 0; i < 5; i++) {
      await h.runTask(COMPUTE_TASK);
      clock.jump(300_000);
    }
    const rows = await h.store.pluginDb('snapshot').selectFrom('snapshot_snapshots').select('at').orderBy('at').execute();
    expect(rows.map((r) => Number(r.at))).toEqual([T0 + 600_000, T0 + 900_000, T0 + 1_200_000]);
  });
});

describe('snapshot: on a gateway where its daemon does not run', () => {
  it('is leader-scoped, and another gateway serves the newest stored snapshot (re-read every 30 s), or 503 when none is stored', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kora-snapshot-'));
    homes.push(home);
    const clock = new ManualClock(T0);
    const leader = await harness([operations()], { clock, home, storeUrl: 'sqlite:kora.db', config: { staleAfterMs: 600_000 } });
    expect(leader.daemons().find((d) => d.name === 'snapshot')?.scope).toBe('leader');

    // A second gateway on the same store whose snapshot daemon is not running (not the leader).
    const other = await createPluginHarness([operations(), plugin], { clock, home, storeUrl: 'sqlite:kora.db', config: { snapshot: { staleAfterMs: 600_000 } } });
    open.push(other);
    const route = other.contributions.list('http.admin').find((c) => c.value.path === '/api/snapshot')!.value;
    const get = () => route.handle({ method: 'GET', path: '/api/snapshot', params: {}, query: {}, headers: {}, body: undefined, principal: 'admin', raw: undefined as never });
    expect(await get()).toMatchObject({ status: 503, body: { error: { code: 'snapshot_unavailable' } } });
    expect(await other.callTool('kora__snapshot')).toMatchObject({ ok: true, result: { snapshot: null, message: expect.stringContaining('not running on this gateway') } });

    await leader.runTask(COMPUTE_TASK);
    // Read again only once 30 s passed since the last read.
    expect(await get()).toMatchObject({ status: 503 });
    clock.jump(30_000);
    expect(await get()).toMatchObject({ status: 200, body: { at: T0, stale: false, data: { alerts: [{ key: 'probe:vercel' }] } } });
    const tool = await other.callTool('kora__snapshot');
    expect((tool as { result: SnapshotView }).result).toMatchObject({ stale: false, data: { proposals: { pending: 2 } } });
    const [block] = (await other.dispatch('pre_llm_call', { route: 'slack_dm', request: { model: 'cheap', max_tokens: 10, messages: [] } })) as { text: string }[];
    expect(block?.text).toContain('Open alerts: [critical] vercel is down.');
    const page = other.contributions.list('web.page').find((c) => c.value.path === '/snapshot')!.value;
    expect(String(await page.render({ path: '/snapshot', query: {}, principal: 'admin', csrfToken: '' }))).toContain('data-section="alerts"');
    clock.jump(600_001);
    expect(await get()).toMatchObject({ status: 200, body: { stale: true } });
  });
});

describe('snapshot: its surfaces', () => {
  it('answers GET /api/snapshot, kora__snapshot (also over MCP) and the Snapshot page', async () => {
    const h = await harness([operations()]);
    const route = h.contributions.list('http.admin').find((c) => c.value.path === '/api/snapshot')!.value;
    const get = () => route.handle({ method: 'GET', path: '/api/snapshot', params: {}, query: {}, headers: {}, body: undefined, principal: 'admin', raw: undefined as never });
    expect(await get()).toMatchObject({ status: 404, body: { error: { code: 'no_snapshot' } } });
    expect(await h.callTool('kora__snapshot')).toMatchObject({ ok: true, result: { snapshot: null } });
    await h.runTask(COMPUTE_TASK);
    expect(await get()).toMatchObject({ status: 200, body: { at: T0, stale: false, data: { proposals: { pending: 2 } } } });
    const tool = await h.callTool('kora__snapshot');
    expect((tool as { result: SnapshotView }).result).toMatchObject({ at: T0, data: { costs: { rung: 'warn_75' } } });
    expect(h.registered.get('snapshot')?.tools).toEqual(['kora__snapshot']);
    const page = h.contributions.list('web.page').find((c) => c.value.path === '/snapshot')!.value;
    const body = String(await page.render({ path: '/snapshot', query: {}, principal: 'admin', csrfToken: '' }));
    expect(body).toContain('data-section="mcp"');
    expect(body).toContain('unavailable: its plugin is not enabled');
    expect(body).toContain('vercel is down');
  });

  it('gives the engine a short system block for Kora routes only, saying what is wrong and when', async () => {
    const clock = new ManualClock(T0);
    const h = await harness([operations()], { clock, config: { staleAfterMs: 600_000 } });
    const request = { model: 'cheap', max_tokens: 10, messages: [] };
    expect(await h.dispatch('pre_llm_call', { route: 'slack_dm', request })).toEqual([]);
    await h.runTask(COMPUTE_TASK);
    const [block] = (await h.dispatch('pre_llm_call', { route: 'slack_dm', request })) as { type: string; text: string }[];
    expect(block?.type).toBe('text');
    expect(block?.text).toContain('Agent snapshot, 2026-12-15T10:00:00.000Z (0 min ago)');
    expect(block?.text).toContain('Cost rung: warn_75 (rolling_24h 7.50 of 10.00 USD).');
    expect(block?.text).toContain('Probes not ok: vercel down (HTTP 500).');
    expect(block?.text).toContain('Open alerts: [critical] vercel is down.');
    expect(block?.text).toContain('Not measured (plugin not enabled or not running): mcp.');
    expect(await h.dispatch('pre_llm_call', { route: 'someone_elses', request })).toEqual([]);
    clock.jump(700_000);
    const [stale] = (await h.dispatch('pre_llm_call', { route: 'cli', request })) as { text: string }[];
    expect(stale?.text).toContain('STALE');
  });
});
