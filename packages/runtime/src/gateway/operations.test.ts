// ctx.operations as a surface plugin uses them: each audited with its actor, refusals too.
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, type PluginContext } from '../plugins/types.js';
import { createPluginHarness, type PluginHarness } from '../testing/plugin-harness.js';
import { ManualClock } from '../time/clock.js';

let h: PluginHarness;
afterEach(async () => {
  await h.close();
});

async function surface(): Promise<{ ctx: PluginContext; runs: string[] }> {
  let captured: PluginContext | undefined;
  const runs: string[] = [];
  const plugin = definePlugin({
    id: 'surface',
    register(ctx) {
      captured = ctx;
      ctx.registerDaemon({ name: 'surface', start() {}, tasks: [{ name: 'surface.report', every: '1h', run: ({ trigger }) => void runs.push(trigger) }] });
    },
  });
  h = await createPluginHarness(plugin, { clock: new ManualClock(Date.UTC(2026, 0, 1, 12)) });
  await h.startDaemons();
  return { ctx: captured!, runs };
}

describe('gateway operations', () => {
  it('runs a task now as manual and audits who asked, before the run', async () => {
    const { ctx, runs } = await surface();
    const run = await ctx.operations.runTask('surface.report', { actor: 'web:admin' });
    expect(await run.done).toMatchObject({ task: 'surface.report', status: 'ok', trigger: 'manual' });
    expect(runs).toEqual(['manual']);
    expect(await h.audit({ seam: 'operations.task_run' })).toEqual([
      expect.objectContaining({ plugin: 'runtime', details: { task: 'surface.report', daemon: 'surface', slot: Date.UTC(2026, 0, 1, 12), by: 'web:admin' } }),
    ]);
  });

  it('audits a refused run with its code, and refuses an operation without an actor', async () => {
    const { ctx } = await surface();
    await expect(ctx.operations.runTask('nope', { actor: 'mcp:ops' })).rejects.toMatchObject({ code: 'KORA_ERR_TASK_UNKNOWN' });
    expect((await h.audit({ seam: 'operations.task_run_refused' }))[0]?.details).toEqual({ task: 'nope', code: 'KORA_ERR_TASK_UNKNOWN', by: 'mcp:ops' });
    await expect(ctx.operations.runTask('surface.report', { actor: '' })).rejects.toMatchObject({ code: 'KORA_ERR_OPERATION_ACTOR' });
    await expect(ctx.operations.requestStop({ actor: 'two words' })).rejects.toMatchObject({ code: 'KORA_ERR_OPERATION_ACTOR' });
    expect(h.stopRequested()).toBeNull();
  });

  it('replays and discards dead letters, audited, and says false for an id that is not dead', async () => {
    const { ctx } = await surface();
    const { id } = await h.store.inbox.enqueue({ topic: 'a.b', key: 'k1', payload: { n: 1 } });
    const [claimed] = await h.store.inbox.claim({ topics: ['a.b'], owner: 'x', leaseMs: 1000, now: h.clock.now() });
    await h.store.inbox.fail(claimed!.id, 'x', { error: 'boom', dead: true });
    expect(await ctx.operations.inbox.topics()).toEqual({ 'a.b': { pending: 0, inFlight: 0, dead: 1 } });
    expect(await ctx.operations.inbox.dead()).toEqual([expect.objectContaining({ id, key: 'k1', errors: [expect.objectContaining({ error: 'boom' })] })]);
    expect(await ctx.operations.inbox.replay(id, { actor: 'web:admin' })).toBe(true);
    expect(await ctx.operations.inbox.replay(id, { actor: 'web:admin' })).toBe(false);
    expect(await ctx.operations.inbox.discard(id, { actor: 'web:admin' })).toBe(false);
    expect((await h.audit({ seam: 'inbox.replayed' })).map((e) => e.details)).toEqual([{ id, by: 'web:admin' }]);
  });

  it('requests a stop after the caller got its answer, with the actor and reason in the stop reason', async () => {
    const { ctx } = await surface();
    await ctx.operations.requestStop({ actor: 'mcp:ops', reason: 'maintenance' });
    expect(h.stopRequested()).toBeNull();
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.stopRequested()).toBe('stop requested by mcp:ops: maintenance');
    expect((await h.audit({ seam: 'operations.stop_requested' }))[0]?.details).toEqual({ reason: 'maintenance', by: 'mcp:ops' });
  });

  it('pages the audit log back from the newest, filtered by seam and time', async () => {
    const { ctx } = await surface();
    for (let i = 1; i <= 5; i++) await h.store.audit.append({ at: i * 1000, plugin: 'p', seam: i % 2 ? 'odd' : 'even', details: { i } });
    const first = await ctx.gateway.auditPage({ limit: 2 });
    expect(first.map((e) => e.details)).toEqual([{ i: 5 }, { i: 4 }]);
    const next = await ctx.gateway.auditPage({ limit: 2, beforeId: first.at(-1)!.id });
    expect(next.map((e) => e.details)).toEqual([{ i: 3 }, { i: 2 }]);
    expect((await ctx.gateway.auditPage({ seam: 'odd', since: 2000, until: 5000 })).map((e) => e.details)).toEqual([{ i: 3 }]);
    await expect(ctx.gateway.auditPage({ limit: 0 })).rejects.toMatchObject({ code: 'KORA_ERR_STORE' });
  });
});
