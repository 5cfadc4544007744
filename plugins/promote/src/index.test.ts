// The promote plugin through the runtime's harness: its five daemons, a cycle over audit rows a
// seeding plugin writes, decisions through the kora__proposals tool, the kill switch, auto-apply,
// expiry, the proposals service and the tool-list hook, the fix envelopes with and without an engine.
import type { Engine, EngineRequest, HttpRoute, HttpRouteRequest, PluginContext } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { openingWords, textDigest, valueDigest } from '@kora/plugin-kora';
import { afterEach, describe, expect, it } from 'vitest';
import manifest from '../package.json' with { type: 'json' };
import plugin from './index.js';
import { LOOPS } from './proposal.js';

const harnesses: PluginHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

const DAY = 24 * 3_600_000;
let seed: PluginContext | undefined;
const seeder = { id: 'seed', register: (ctx: PluginContext) => void (seed = ctx) };

async function boot(config: unknown = {}, clock = new ManualClock(Date.UTC(2026, 0, 10))) {
  const harness = await createPluginHarness([seeder, plugin], { config: { promote: config }, clock });
  harnesses.push(harness);
  await harness.startDaemons();
  return harness;
}

/** Replies on the cli route offering `tools`, none of them called. */
async function offers(n: number, tools: string[]) {
  for (let i = 0; i < n; i++) {
    await seed!.audit('llm.call', { route: 'cli', questionDigest: textDigest(`q${i}`), answerDigest: textDigest('a'), questionOpening: openingWords(`q${i}`), decisionPattern: null, tools, tokens: { output: 10 } });
  }
}

type Listed = { proposals: { id: string; loop: string; status: string; payload: Record<string, unknown>; decidedBy: string | null }[]; counts: Record<string, number> };
const list = async (h: PluginHarness, input: Record<string, unknown> = {}) => {
  const r = await h.callTool('kora__proposals', { action: 'list', ...input });
  if (!r.ok) throw new Error(r.error);
  return r.result as Listed;
};
const trimmed = async (h: PluginHarness, route: string, names: string[]) => {
  const answer = await h.dispatch('pre_tool_list_finalized', { route, tools: names.map((name) => ({ name, input_schema: { type: 'object' as const } })) });
  return answer ? answer.value.map((t) => t.name) : names;
};

describe('promote: five learning loops', () => {
  it('registers one non-fatal, leader-scoped daemon per loop with its daily task, as the manifest says', async () => {
    const harness = await boot();
    const daemons = harness.daemons().filter((d) => d.plugin === 'promote');
    expect(daemons.map((d) => d.name)).toEqual(LOOPS.map((l) => `promote_${l}`));
    expect(manifest.kora.daemons).toEqual(daemons.map((d) => d.name));
    for (const d of daemons) {
      expect(d).toMatchObject({ state: 'running', fatal: false, scope: 'leader' });
      expect(await harness.runTask(`${d.name}_cycle`)).toMatchObject({ status: 'ok' });
    }
    expect(await harness.audit({ seam: 'promote.cycle' })).toHaveLength(5);
    expect(harness.services.has('proposals')).toBe(true);
  });

  it('proposes, applies nothing until a person approves over MCP, then trims the route; the decision is audited with the caller', async () => {
    const harness = await boot({ loops: { tool_trimming: { minOffers: 3 } } });
    await offers(3, ['weather', 'kora__list_tasks']);
    await seed!.audit('tool.call', { tool: 'kora__list_tasks', route: 'cli', outcome: 'ok', inputKeys: [], inputDigest: valueDigest({}), resultDigest: valueDigest([]) });
    expect(await harness.runTask('promote_tool_trimming_cycle')).toMatchObject({ status: 'ok' });

    const { proposals } = await list(harness, { status: 'pending' });
    expect(proposals).toMatchObject([{ loop: 'tool_trimming', status: 'pending', payload: { route: 'cli', tool: 'weather' } }]);
    expect(await trimmed(harness, 'cli', ['weather', 'kora__list_tasks'])).toEqual(['weather', 'kora__list_tasks']);

    // The model's own call has no actor: it may list, never decide.
    const refused = await harness.callTool('kora__proposals', { action: 'approve', id: proposals[0]!.id });
    expect(refused).toMatchObject({ ok: false, code: 'KORA_ERR_PROPOSAL_NEEDS_A_PERSON' });
    const approved = await harness.callTool('kora__proposals', { action: 'approve', id: proposals[0]!.id, reason: 'never used' }, { route: 'mcp', actor: 'mcp:ops' });
    expect(approved).toMatchObject({ ok: true, result: { proposal: { status: 'approved', decidedBy: 'mcp:ops', reason: 'never used' } } });
    expect(await trimmed(harness, 'cli', ['weather', 'kora__list_tasks'])).toEqual(['kora__list_tasks']);
    expect(await trimmed(harness, 'slack_dm', ['weather'])).toEqual(['weather']);
    expect(await harness.audit({ seam: 'promote.proposal_decided' })).toMatchObject([{ details: { id: proposals[0]!.id, loop: 'tool_trimming', status: 'approved', by: 'mcp:ops' } }]);

    // Decided is decided; the next cycle finds the same and proposes nothing new.
    expect(await harness.callTool('kora__proposals', { action: 'reject', id: proposals[0]!.id }, { actor: 'mcp:ops' })).toMatchObject({ ok: false, code: 'KORA_ERR_PROPOSAL_NOT_PENDING' });
    await harness.runTask('promote_tool_trimming_cycle');
    expect((await list(harness)).counts).toEqual({ pending: 0, approved: 1, rejected: 0, expired: 0 });
  });

  it('never proposes again what a person rejected', async () => {
    const harness = await boot({ loops: { tool_trimming: { minOffers: 2 } } });
    await offers(2, ['weather']);
    await harness.runTask('promote_tool_trimming_cycle');
    const [p] = (await list(harness)).proposals;
    expect(await harness.callTool('kora__proposals', { action: 'reject', id: p!.id }, { actor: 'mcp:ops' })).toMatchObject({ ok: true, result: { proposal: { status: 'rejected' } } });
    await harness.runTask('promote_tool_trimming_cycle');
    expect((await list(harness)).counts).toEqual({ pending: 0, approved: 0, rejected: 1, expired: 0 });
    expect(await trimmed(harness, 'cli', ['weather'])).toEqual(['weather']);
  });

  it('expires a pending proposal after 14 days; an expired one cannot be approved, and the finding may come back', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 10));
    const harness = await boot({ loops: { tool_trimming: { minOffers: 2, windowDays: 30 } } }, clock);
    await offers(2, ['weather']);
    await harness.runTask('promote_tool_trimming_cycle');
    const [p] = (await list(harness)).proposals;
    clock.jump(14 * DAY + 1);
    expect((await list(harness)).proposals).toMatchObject([{ id: p!.id, status: 'expired', decidedBy: 'expiry' }]);
    expect(await harness.callTool('kora__proposals', { action: 'approve', id: p!.id }, { actor: 'mcp:ops' })).toMatchObject({ ok: false, code: 'KORA_ERR_PROPOSAL_NOT_PENDING' });
    expect(await harness.audit({ seam: 'promote.proposal_expired' })).toMatchObject([{ details: { id: p!.id } }]);
    // The page lists it under expired, without the buttons a pending one has.
    const page = harness.contributions.list('web.page').map((c) => c.value as { path: string; render(r: unknown): Promise<unknown> }).find((pg) => pg.path === '/proposals')!;
    const rendered = String(await page.render({ path: '/proposals', query: { status: 'expired' }, principal: 'admin', csrfToken: 'csrf' }));
    expect(rendered).toContain(`<tr id="proposal-${p!.id}" data-status="expired"`);
    expect(rendered).toContain('expired (1)');
    expect(rendered).not.toContain('Loops turned off');
    expect(rendered).not.toContain(`Approve<span class="vh"> proposal ${p!.id}`);
    await harness.runTask('promote_tool_trimming_cycle');
    expect((await list(harness)).counts).toEqual({ pending: 1, approved: 0, rejected: 0, expired: 1 });
  });

  it('checks the kill switch at every cycle: a loop turned off proposes nothing, applies nothing, and says so', async () => {
    const harness = await boot({ loops: { tool_trimming: { minOffers: 2, enabled: false } } });
    await offers(2, ['weather']);
    expect(await harness.runTask('promote_tool_trimming_cycle')).toMatchObject({ status: 'ok' });
    expect((await list(harness)).proposals).toEqual([]);
    expect(harness.daemons().find((d) => d.name === 'promote_tool_trimming')?.note).toContain('kill switch: plugins.config.promote.loops.tool_trimming.enabled is false');
    expect(await harness.audit({ seam: 'promote.cycle' })).toMatchObject([{ details: { loop: 'tool_trimming', skipped: 'kill_switch' } }]);

    const off = await boot({ enabled: false });
    expect(off.daemons().find((d) => d.name === 'promote_phrasebook')?.note).toContain('plugins.config.promote.enabled is false');
  });

  it('turns the loops off and on again while the gateway runs (the runtime kill switch), read at every cycle and by the service, audited with who', async () => {
    const harness = await boot({ loops: { tool_trimming: { minOffers: 2 } } });
    const route = (method: string) => harness.contributions.list('http.admin').map((c) => c.value as HttpRoute).find((r) => r.path === '/api/promote/kill-switch' && r.method === method)!;
    const post = async (body: unknown) => {
      const request = { method: 'POST', path: '/api/promote/kill-switch', params: {}, query: {}, headers: {}, body, principal: 'admin', raw: {} } as unknown as HttpRouteRequest;
      return (await route('POST').handle(request)) as { status?: number; body: { loops: Record<string, { on: boolean; by?: string }>; error?: { code: string } } };
    };
    await offers(2, ['weather']);
    await harness.runTask('promote_tool_trimming_cycle');
    const [p] = (await list(harness)).proposals;
    await harness.callTool('kora__proposals', { action: 'approve', id: p!.id }, { actor: 'mcp:ops' });
    expect(await trimmed(harness, 'cli', ['weather', 'other'])).toEqual(['other']);

    // Off for this loop, at once: the approved trim no longer applies, the next cycle proposes nothing.
    const off = await post({ loop: 'tool_trimming', enabled: false, reason: 'checking the lists' });
    expect(off.body.loops.tool_trimming).toMatchObject({ on: false, by: 'web:admin' });
    expect(off.body.loops.phrasebook).toEqual({ on: true });
    expect(await trimmed(harness, 'cli', ['weather', 'other'])).toEqual(['weather', 'other']);
    await offers(2, ['radio']);
    await harness.runTask('promote_tool_trimming_cycle');
    expect((await list(harness, { status: 'pending' })).proposals).toEqual([]);
    expect(harness.daemons().find((d) => d.name === 'promote_tool_trimming')?.note).toContain('loop tool_trimming turned off by web:admin');
    expect((await harness.audit({ seam: 'promote.cycle' })).at(-1)).toMatchObject({ details: { loop: 'tool_trimming', skipped: 'kill_switch', killSwitch: 'runtime:tool_trimming' } });

    // On again: the trim applies and the cycle proposes what it finds.
    await post({ loop: 'tool_trimming', enabled: true, via: 'cli' });
    expect(await trimmed(harness, 'cli', ['weather', 'other'])).toEqual(['other']);
    await harness.runTask('promote_tool_trimming_cycle');
    expect((await list(harness, { status: 'pending' })).proposals).toMatchObject([{ payload: { tool: 'radio' } }]);

    // `all` turns every loop off; a bad target or value is a coded 400.
    expect(Object.values((await post({ enabled: false })).body.loops).every((l) => !l.on)).toBe(true);
    expect(await trimmed(harness, 'cli', ['weather'])).toEqual(['weather']);
    expect(await post({ loop: 'nope', enabled: false })).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await post({ loop: 'phrasebook', enabled: 'no' })).toMatchObject({ status: 400 });
    expect((await harness.audit({ seam: 'promote.kill_switch' })).map((e) => e.details)).toEqual([
      { loop: 'tool_trimming', enabled: false, by: 'web:admin', reason: 'checking the lists' },
      { loop: 'tool_trimming', enabled: true, by: 'cli' },
      { loop: 'all', enabled: false, by: 'web:admin' },
    ]);
    const page = harness.contributions.list('web.page').map((c) => c.value as { path: string; render(r: unknown): Promise<unknown> }).find((pg) => pg.path === '/proposals')!;
    const rendered = String(await page.render({ path: '/proposals', query: {}, principal: 'admin', csrfToken: 'csrf' }));
    expect(rendered).toContain('<h2 id="kill-switch-title">Loops turned off</h2>');
    expect(rendered).toContain('<li data-loop="phrasebook"><code>phrasebook</code>: turned off with all loops by web:admin');
    const got = (await route('GET').handle({ method: 'GET', path: '/api/promote/kill-switch', params: {}, query: {}, headers: {}, body: undefined, principal: 'admin', raw: {} } as unknown as HttpRouteRequest)) as { body: { loops: Record<string, { on: boolean; target?: string }> } };
    expect(got.body.loops.router_tuning).toMatchObject({ on: false, target: 'all' });
  });

  it('applies at once what a loop found only when auto-apply is on, audited as the loop', async () => {
    const harness = await boot({ loops: { tool_trimming: { minOffers: 2, autoApply: true } } });
    await offers(2, ['weather']);
    await harness.runTask('promote_tool_trimming_cycle');
    expect((await list(harness)).proposals).toMatchObject([{ status: 'approved', decidedBy: 'auto:promote_tool_trimming' }]);
    expect(await trimmed(harness, 'cli', ['weather', 'other'])).toEqual(['other']);
  });

  it('refuses auto-apply for the probe fix envelopes in the config', async () => {
    await expect(createPluginHarness(plugin, { config: { loops: { probe_fix_envelopes: { autoApply: true } } } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID' });
  });

  it('answers a phrasebook question, the snapshot tools and the router patterns from approved proposals', async () => {
    const harness = await boot({ loops: { phrasebook: { minAsks: 2 }, snapshot_expand: { minRepeats: 2 }, router_tuning: { minEscalations: 2 } } });
    const q = 'When is the standup?';
    for (let i = 0; i < 2; i++) await seed!.audit('llm.call', { route: 'slack_dm', questionDigest: textDigest(q), answerDigest: textDigest('At 9:30.'), prompt: q, answer: 'At 9:30.', questionOpening: openingWords(q), decisionPattern: null, tools: [] });
    for (let i = 0; i < 3; i++) await seed!.audit('tool.call', { tool: 'ops_queue_depth', route: 'cli', outcome: 'ok', inputKeys: [], inputDigest: valueDigest({}), resultDigest: valueDigest({ depth: 4 }) });
    for (let i = 0; i < 2; i++) await seed!.audit('llm.escalated', { route: 'cli', questionOpening: 'is it worth', decisionPattern: null });
    for (const loop of ['phrasebook', 'snapshot_expand', 'router_tuning']) await harness.runTask(`promote_${loop}_cycle`);
    const service = harness.services.get('proposals');
    expect(service.pendingCount()).toBe(3);
    expect(service.phrasebook('when is the standup')).toBeNull();
    for (const p of (await list(harness)).proposals) await harness.callTool('kora__proposals', { action: 'approve', id: p.id }, { actor: 'mcp:ops' });
    expect(service.phrasebook('when is the  STANDUP')).toMatchObject({ answer: 'At 9:30.', proposalId: expect.any(String) });
    expect(service.phrasebook('when is the retro?')).toBeNull();
    expect(service.snapshotTools()).toEqual(['ops_queue_depth']);
    expect(service.routerPatterns()).toEqual({ add: [String.raw`^is\s+it\s+worth\b`], remove: [] });
    expect(service.pendingCount()).toBe(0);
  });

  it('drafts a fix envelope\'s action with the engine when one runs, and keeps it when the envelope is refreshed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 10));
    const harness = await boot({}, clock);
    const asked: EngineRequest[] = [];
    const engine: Engine = { respond: async (request) => (asked.push(request), { text: 'Rotate the Vercel token.', model: 'm', calls: 1, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 } }) };
    const wake = (i: number) => (clock.jump(60_000), seed!.audit('probe.wake_requested', { probe: 'vercel', state: 'down', detail: `HTTP 401 (request ${1000 + i})` }));
    for (let i = 0; i < 3; i++) await wake(i);
    // No engine yet: the envelope is written without an action, and the daemon says why.
    await harness.runTask('promote_probe_fix_envelopes_cycle');
    expect((await list(harness)).proposals).toMatchObject([{ loop: 'probe_fix_envelopes', payload: { probe: 'vercel', signature: 'down: http 401 (request <n>)', count: 3, suggestedAction: null } }]);
    expect(harness.daemons().find((d) => d.name === 'promote_probe_fix_envelopes')?.note).toContain('no engine service runs');

    harness.services.provide('engine', engine, 'plugin:reasoning');
    await wake(3);
    await harness.runTask('promote_probe_fix_envelopes_cycle');
    expect(asked).toMatchObject([{ route: 'probe_investigation', tools: [] }]);
    expect(String(asked[0]!.messages[0]!.content)).toContain('"vercel" failed the same way 4 times');
    expect((await list(harness)).proposals).toMatchObject([{ payload: { count: 4, suggestedAction: 'Rotate the Vercel token.' } }]);
    await wake(4);
    await harness.runTask('promote_probe_fix_envelopes_cycle');
    expect(asked).toHaveLength(1);
    expect((await list(harness)).proposals).toMatchObject([{ status: 'pending', payload: { count: 5, suggestedAction: 'Rotate the Vercel token.' } }]);
  });

  it('answers bad input to kora__proposals with a coded error naming the field', async () => {
    const harness = await boot();
    expect(await harness.callTool('kora__proposals', { action: 'list', status: 'maybe' })).toMatchObject({ ok: false, code: 'KORA_ERR_USAGE', error: expect.stringContaining('status') });
    expect(await harness.callTool('kora__proposals', { action: 'approve', id: 'nope' }, { actor: 'mcp:ops' })).toMatchObject({ ok: false, code: 'KORA_ERR_USAGE', error: expect.stringContaining('10 hexadecimal digits') });
    expect(await harness.callTool('kora__proposals', { action: 'approve', id: '0123456789' }, { actor: 'mcp:ops' })).toMatchObject({ ok: false, code: 'KORA_ERR_PROPOSAL_UNKNOWN' });
  });
});
