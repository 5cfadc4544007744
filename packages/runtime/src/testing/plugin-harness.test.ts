import { sql } from 'kysely';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { ContributionValue } from '../plugins/contributions.js';
import { definePlugin, type PluginContext } from '../plugins/types.js';
import { ManualClock } from '../time/clock.js';
import { createPluginHarness, type PluginHarness } from './plugin-harness.js';

declare module '../plugins/contributions.js' {
  interface ContributionMap {
    'test.routes': { path: string };
  }
}

const open: PluginHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
async function harness(...args: Parameters<typeof createPluginHarness>): Promise<PluginHarness> {
  const h = await createPluginHarness(...args);
  open.push(h);
  return h;
}

describe('plugin harness and the 1.1 plugin context', () => {
  it('validates config with the plugin schema and rejects what it refuses, naming the field', async () => {
    const plugin = definePlugin({ id: 'cfg', configSchema: z.strictObject({ every: z.string() }), register() {} });
    await expect(createPluginHarness(plugin, { config: { every: 5 } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID' });
    const h = await harness(plugin, { config: { every: '5m' } });
    expect(h.registered.get('cfg')).toBeDefined();
  });

  it('starts daemons, runs a task for a slot on the injected clock, and reads its audit rows', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const slots: number[] = [];
    const plugin = definePlugin({
      id: 'worker',
      register(ctx) {
        ctx.registerDaemon({
          name: 'worker',
          start: (d) => d.services.provide('worker.client', { ready: true }),
          tasks: [
            {
              name: 'worker.tick',
              every: '1m',
              async run({ slot }) {
                slots.push(slot);
                await ctx.audit('worker.ticked', { slot, at: ctx.clock.now() });
              },
            },
          ],
        });
      },
    });
    const h = await harness(plugin, { clock });
    await expect(h.runTask('worker.tick')).rejects.toThrow(/startDaemons\(\)/);
    expect((await h.startDaemons()).map((d) => [d.name, d.state])).toEqual([['worker', 'running']]);
    expect(h.services.get('worker.client')).toEqual({ ready: true });
    expect(await h.runTask('worker.tick', { slot: 60_000 })).toMatchObject({ status: 'ok' });
    expect(slots).toEqual([60_000]);
    expect((await h.audit({ seam: 'worker.ticked' }))[0]).toMatchObject({ plugin: 'worker', details: { slot: 60_000, at: Date.UTC(2026, 0, 1, 12) } });
    await h.stopDaemons();
    expect(h.services.has('worker.client')).toBe(false);
  });

  it('reports a failing and a timed-out task run', async () => {
    const clock = new ManualClock();
    const plugin = definePlugin({
      id: 'flaky',
      register(ctx) {
        ctx.registerDaemon({
          name: 'flaky',
          start() {},
          tasks: [
            { name: 'flaky.fail', every: '1m', run: () => Promise.reject(new Error('upstream 500')) },
            { name: 'flaky.hang', every: '1m', timeout: '2s', run: () => new Promise(() => {}) },
          ],
        });
      },
    });
    const h = await harness(plugin, { clock });
    await h.startDaemons();
    expect(await h.runTask('flaky.fail')).toMatchObject({ status: 'failed', error: 'upstream 500' });
    const hanging = h.runTask('flaky.hang');
    await clock.advance(2000);
    expect(await hanging).toMatchObject({ status: 'timeout' });
  });

  it('delivers an inbox item to the consumer of its topic, attributed to its daemon', async () => {
    const seen: unknown[] = [];
    const plugin = definePlugin({
      id: 'inbox',
      register(ctx) {
        ctx.registerDaemon({ name: 'inbox', start() {}, consumers: [{ topic: 'test.events', handle: (item) => void seen.push([item.key, item.payload, item.attempt]) }] });
      },
    });
    const h = await harness(plugin);
    await h.startDaemons();
    expect(await h.deliver('test.events', { key: 'ev-1', payload: { text: 'hi' } })).toMatchObject({ status: 'ok' });
    expect(seen).toEqual([['ev-1', { text: 'hi' }, 1]]);
    await expect(h.deliver('other.topic', { payload: {} })).rejects.toThrow(/no daemon consumes inbox topic "other.topic"/);
  });

  it('gives a daemon the contributions other plugins made, in load order, and drops a failed plugin’s', async () => {
    let seen: unknown[] = [];
    const server = definePlugin({
      id: 'server',
      register(ctx) {
        ctx.contribute('test.routes', { path: '/own' });
        ctx.registerDaemon({ name: 'server', start: (d) => void (seen = d.contributions.list('test.routes').map((c) => [c.pluginId, c.value.path])) });
      },
    });
    const pages = definePlugin({ id: 'pages', register: (ctx) => ctx.contribute('test.routes', { path: '/pages' }) });
    const h = await harness([server, pages]);
    await h.startDaemons();
    expect(seen).toEqual([['server', '/own'], ['pages', '/pages']]);

    const broken = definePlugin({
      id: 'broken',
      register(ctx) {
        ctx.contribute('test.routes', { path: '/broken' });
        throw new Error('half registered');
      },
    });
    await expect(createPluginHarness([server, broken])).rejects.toThrow('half registered');
  });

  it('runs tool calls through the guard, provided results, the tool and post_tool_call', async () => {
    const events: unknown[] = [];
    const tools = definePlugin({
      id: 'tools',
      register(ctx) {
        ctx.registerTool({ name: 'echo', description: 'echo', run: (input) => ({ echoed: input.text }) });
        ctx.registerTool({ name: 'boom', description: 'fails', run: () => { throw new Error('tool broke'); } });
        ctx.on('pre_tool_call', (call) => (call.input.text === 'rm -rf' ? { block: true, reason: 'destructive' } : null));
        ctx.on('pre_tool_call_can_provide_result', (call) => (call.tool === 'kora__status' ? { result: { state: 'running' } } : null));
        ctx.on('post_tool_call', (event) => void events.push([event.tool, event.ok, event.route]));
      },
    });
    const h = await harness(tools);
    expect(await h.callTool('echo', { text: 'hi' }, { route: 'test' })).toMatchObject({ ok: true, result: { echoed: 'hi' }, providedBy: 'tools' });
    expect(await h.callTool('echo', { text: 'rm -rf' })).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_BLOCKED', blocked: [{ pluginId: 'tools', reason: 'destructive' }] });
    expect(await h.callTool('kora__status')).toMatchObject({ ok: true, result: { state: 'running' }, providedBy: 'tools' });
    expect(await h.callTool('nope')).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_UNKNOWN' });
    expect(await h.callTool('boom')).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_FAILED', error: expect.stringContaining('tool broke') });
    expect(events).toEqual([
      ['echo', true, 'test'],
      ['echo', false, undefined],
      ['kora__status', true, undefined],
      ['nope', false, undefined],
      ['boom', false, undefined],
    ]);
  });

  it('times out a tool that never answers and aborts its signal', async () => {
    const clock = new ManualClock();
    let aborted = false;
    const plugin = definePlugin({
      id: 'slow',
      register(ctx) {
        ctx.registerTool({ name: 'slow', description: '', timeout: '5s', run: (_input, { signal }) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))) });
      },
    });
    const h = await harness(plugin, { clock });
    const call = h.callTool('slow');
    await clock.advance(5000);
    expect(await call).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_TIMEOUT' });
    expect(aborted).toBe(true);
  });

  it('cancels a running tool when its caller aborts, and says so', async () => {
    let toolSaw: unknown;
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const plugin = definePlugin({
      id: 'waits',
      register(ctx) {
        ctx.registerTool({
          name: 'wait',
          description: '',
          run: (_input, { signal }) =>
            new Promise(() => {
              signal.addEventListener('abort', () => (toolSaw = 'aborted'));
              started();
            }),
        });
      },
    });
    const h = await harness(plugin);
    const controller = new AbortController();
    const call = h.callTool('wait', {}, { signal: controller.signal });
    await running;
    controller.abort(new Error('the user went away'));
    expect(await call).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_ABORTED' });
    expect(toolSaw).toBe('aborted');
    expect(await h.callTool('wait', {}, { signal: controller.signal })).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_ABORTED', error: expect.stringContaining('before it ran') });
  });

  it('lets a plugin dispatch catalogued hooks and see the clock and the gateway views', async () => {
    let ctxSeen: PluginContext | undefined;
    const a = definePlugin({ id: 'a', register: (ctx) => void (ctxSeen = ctx) });
    const b = definePlugin({ id: 'b', register: (ctx) => ctx.on('pre_tool_call', (call) => (call.tool === 'x' ? { block: true, reason: 'no x' } : null)) });
    const clock = new ManualClock(1_000_000);
    const h = await harness([a, b], { clock });
    const ctx = ctxSeen as PluginContext;
    expect(await ctx.hooks.dispatch('pre_tool_call', { tool: 'x', input: {} })).toEqual({ blocked: true, reasons: [{ pluginId: 'b', reason: 'no x' }] });
    expect(ctx.clock.now()).toBe(1_000_000);
    expect(ctx.gateway.status().state).toBe('running');
    expect(await ctx.gateway.recentRuns()).toEqual([]);
    await ctx.audit('a.did', { n: 1 });
    const tail = await ctx.gateway.tailAudit();
    expect(tail.entries.map((e) => e.seam)).toEqual(['a.did']);
    expect((await ctx.gateway.tailAudit(tail.cursor)).entries).toEqual([]);
    expect(h.registered.get('b')?.hooks).toEqual(['pre_tool_call']);
  });

  it('creates a plugin’s tables from its migrations and gives it ctx.db; a plugin without migrations has none', async () => {
    const notes = definePlugin({
      id: 'notes',
      migrations: {
        '001_init': { up: (db) => db.schema.createTable('notes_items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('text', 'text').execute() },
      },
      register(ctx) {
        ctx.registerTool({
          name: 'note',
          description: '',
          async run(input) {
            await ctx.db.insertInto('notes_items').values({ text: String(input.text) }).execute();
            const { rows } = await sql<{ n: number }>`select count(*) as n from notes_items`.execute(ctx.db);
            return rows[0]?.n;
          },
        });
      },
    });
    const h = await harness(notes);
    expect(await h.callTool('note', { text: 'one' })).toMatchObject({ ok: true, result: 1 });
    const plain = definePlugin({ id: 'plain', register: (ctx) => void ctx.db });
    await expect(createPluginHarness(plain)).rejects.toThrow(/declares no migrations/);
    // Logging the whole context neither throws for ctx.db nor creates the data folder.
    const logsAll = definePlugin({ id: 'loud', register: (ctx) => ctx.log.info({ ctx: { ...ctx, paths: { ...ctx.paths } } }, 'my context') });
    const loud = await harness(logsAll);
    expect(loud.logs.some((l) => l.msg === 'my context')).toBe(true);
  });

  it('fails the plugin whose migration fails, with a coded error naming it', async () => {
    const bad = definePlugin({
      id: 'bad',
      migrations: { '001_wrong_name': { up: (db) => db.schema.createTable('elsewhere').addColumn('id', 'integer').execute() } },
      register() {},
    });
    await expect(createPluginHarness(bad)).rejects.toMatchObject({ code: 'KORA_ERR_PLUGIN_MIGRATION' });
  });

  it('refuses a mistyped catalogued hook name at compile time, and takes custom names only through onCustom', () => {
    const register = (ctx: PluginContext) => {
      // @ts-expect-error `gateway_startd` is not in the catalog: ctx.on takes catalogued names or handles
      ctx.on('gateway_startd', () => {});
      ctx.on('gateway_started', ({ state }) => void state.toUpperCase());
      ctx.onCustom('marvin_mood', () => 'gloomy');
    };
    expect(typeof register).toBe('function');
  });

  it('types contributions by declaration merging', () => {
    expectTypeOf<ContributionValue<'test.routes'>>().toEqualTypeOf<{ path: string }>();
    expectTypeOf<ContributionValue<'not.declared'>>().toEqualTypeOf<unknown>();
    const contributeWrong = (ctx: PluginContext) => {
      // @ts-expect-error a declared point takes its declared shape
      ctx.contribute('test.routes', { route: '/x' });
    };
    expect(typeof contributeWrong).toBe('function');
  });
});
