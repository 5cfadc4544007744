// Kora's hooks through the runtime's harness: registered on the catalogued names, dispatched as
// the engine will, combined with other plugins' callbacks by each hook's kind.
import type { ApiRequest, ApiRequestTurn, ApiResponse, LlmCallEvent, PluginContext } from '@kora/runtime';
import { createPluginHarness, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { CostRungName } from './cost-rung.js';
import { KORA_HOOKS } from './hooks.js';
import plugin from './index.js';

const harnesses: PluginHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** `config` is `plugins.config.kora`. */
interface BootOptions {
  readonly env?: Record<string, string>;
  readonly config?: unknown;
}

async function boot(options: BootOptions = {}, after: { id: string; register(ctx: PluginContext): void }[] = []) {
  const harness = await createPluginHarness([plugin, ...after], { env: options.env ?? {}, config: { kora: options.config } });
  harnesses.push(harness);
  return harness;
}

const request = (text: string, extra: Partial<ApiRequest> = {}): ApiRequest =>
  Object.freeze({
    model: 'engine-default',
    max_tokens: 512,
    system: Object.freeze([Object.freeze({ type: 'text', text: 'You are Kora.' } as const)]),
    messages: Object.freeze([Object.freeze({ role: 'user', content: text } as const)]),
    tools: Object.freeze([Object.freeze({ name: 'kora__daemon_status', input_schema: { type: 'object' } } as const)]),
    ...extra,
  });

const answer = (text: string, model = 'claude-haiku-4-5'): ApiResponse => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model,
  content: [{ type: 'text', text }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 100, output_tokens: 12, cache_creation_input_tokens: 80, cache_read_input_tokens: null },
});

const rung = (value: CostRungName) => ({ current: () => value });

describe('kora hooks, registered', () => {
  it('registers every hook it declares in its manifest, and the bridged tools', async () => {
    const harness = await boot();
    const manifest = (await import('../package.json', { with: { type: 'json' } })).default as { kora: { hooks: string[] } };
    expect(harness.registered.get('kora')).toMatchObject({ hooks: ['pre_agent_identity_set', ...KORA_HOOKS], tools: ['kora__daemon_status', 'kora__list_tasks', 'kora__audit_tail'] });
    expect([...manifest.kora.hooks].sort()).toEqual(['pre_agent_identity_set', ...KORA_HOOKS].sort());
  });
});

describe('cost_ladder through the waterfall', () => {
  it.each<[string, string, BootOptions, CostRungName | null, string]>([
    ['a routine question goes to the cheap model', 'what is on today?', {}, null, 'claude-haiku-4-5'],
    ['decision language goes to the strong model', 'should we renew the contract?', {}, null, 'claude-sonnet-4-5'],
    ['/opus goes to the strong model', '/opus what is on today?', {}, null, 'claude-sonnet-4-5'],
    ['KORA_FORCE_OPUS goes to the strong model', 'what is on today?', { env: { KORA_FORCE_OPUS: 'true' } }, null, 'claude-sonnet-4-5'],
    ['the warn_75 rung goes cheap, even forced', 'should we renew?', { env: { KORA_FORCE_OPUS: 'true' } }, 'warn_75', 'claude-haiku-4-5'],
    ['configured model ids', 'should we renew?', { config: { models: { cheap: 'small', strong: 'big' } } }, 'normal', 'big'],
  ])('%s', async (_name, text, options, rungValue, model) => {
    const harness = await boot(options);
    if (rungValue !== null) harness.services.provide('cost.rung', rung(rungValue), 'plugin:budget');
    const sent = request(text);
    const result = (await harness.dispatch('pre_api_request_mutable', ladderTurn(sent))).request;
    expect(result.model).toBe(model);
    expect(result.system?.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
    expect(result.tools?.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
    expect(sent.system?.[0]).toEqual({ type: 'text', text: 'You are Kora.' });
  });

  it('sends a later loop iteration to the strong model', async () => {
    const harness = await boot();
    const later = request('status?', {
      messages: [
        { role: 'user', content: 'status?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'kora__daemon_status', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: '{}' }] },
      ],
    });
    expect((await harness.dispatch('pre_api_request_mutable', ladderTurn(later, 2))).request.model).toBe('claude-sonnet-4-5');
  });

  it('reads the rung on every call, so a budget plugin can move it while the gateway runs', async () => {
    const harness = await boot();
    let now: CostRungName = 'normal';
    harness.services.provide('cost.rung', { current: () => now }, 'plugin:budget');
    expect((await harness.dispatch('pre_api_request_mutable', ladderTurn(request('should we?')))).request.model).toBe('claude-sonnet-4-5');
    now = 'downshift_90';
    expect((await harness.dispatch('pre_api_request_mutable', ladderTurn(request('should we?')))).request.model).toBe('claude-haiku-4-5');
  });

  it('applies the decision patterns a person approved (the proposals service), read at every call', async () => {
    const harness = await boot();
    let tuned = { add: [] as string[], remove: [] as string[] };
    const proposals = { routerPatterns: () => tuned, phrasebook: () => null, snapshotTools: () => [], trimmedTools: () => [], pendingCount: () => 0 };
    harness.services.provide('proposals', proposals, 'plugin:promote');
    const model = async (text: string) => (await harness.dispatch('pre_api_request_mutable', ladderTurn(request(text)))).request.model;
    expect(await model('is it worth migrating?')).toBe('claude-haiku-4-5');
    expect(await model('should we renew?')).toBe('claude-sonnet-4-5');
    tuned = { add: [String.raw`^is\s+it\s+worth\b`], remove: [String.raw`\bshould (we|i)\b`] };
    expect(await model('Is it worth migrating?')).toBe('claude-sonnet-4-5');
    expect(await model('should we renew?')).toBe('claude-haiku-4-5');
    await harness.dispatch('post_llm_call', turn('Is it worth migrating?', answer('Yes.', 'claude-sonnet-4-5')));
    expect((await harness.audit({ seam: 'llm.call' }))[0]?.details).toMatchObject({ decisionPattern: String.raw`^is\s+it\s+worth\b`, questionOpening: 'is it worth' });
  });

  it('reads a failing or nonsense rung service as normal, with a warning', async () => {
    const harness = await boot();
    harness.services.provide('cost.rung', { current: () => 'maybe' as CostRungName }, 'plugin:budget');
    expect((await harness.dispatch('pre_api_request_mutable', ladderTurn(request('should we?')))).request.model).toBe('claude-sonnet-4-5');
    expect(harness.logs.some((l) => l.level === 'warn' && l.msg.includes('cost.rung'))).toBe(true);
  });

  it('on hard_stop_100 refuses the call with its code, whatever the message asks', async () => {
    const harness = await boot();
    harness.services.provide('cost.rung', rung('hard_stop_100'), 'plugin:budget');
    const result = await harness.dispatch('pre_api_request_mutable', ladderTurn(request('/opus should we?')));
    expect(result.refusal).toMatchObject({ code: 'cost_hard_stop', message: expect.any(String) });
    expect(result.request.model).toBe('engine-default');
  });

  it('leaves a route that is not Kora\'s alone', async () => {
    const harness = await boot();
    const sent = request('should we?');
    const result = await harness.dispatch('pre_api_request_mutable', { route: 'marvin_mood', iteration: 1, request: sent });
    expect(result.request).toBe(sent);
  });

  it('combines: a plugin after kora sees the model it chose and the request stays frozen', async () => {
    const seen: string[] = [];
    const harness = await boot({}, [
      {
        id: 'after',
        register(ctx) {
          ctx.on('pre_api_request_mutable', ({ request: req }) => {
            seen.push(req.model);
            return { request: { ...req, max_tokens: 64 } };
          });
        },
      },
    ]);
    const result = (await harness.dispatch('pre_api_request_mutable', ladderTurn(request('what is on today?')))).request;
    expect(seen).toEqual(['claude-haiku-4-5']);
    expect(result).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 64 });
  });
});

describe('the model ids the hooks pick from', () => {
  /** The engine service as the reasoning plugin provides it: its configured tiers (respond is not called here). */
  const engineWith = (models: { cheap: string; strong: string }) => ({ models, respond: () => Promise.reject(new Error('not called')) });

  it.each<[string, BootOptions, string, string, string]>([
    ['the engine’s tiers when kora configures none', {}, 'what is on today?', 'should we renew?', 'engine-cheap / engine-strong'],
    ['kora’s own where it configures them', { config: { models: { cheap: 'small', strong: 'big' } } }, 'what is on today?', 'should we renew?', 'small / big'],
    ['kora’s one configured tier, the engine’s other', { config: { models: { strong: 'big' } } }, 'what is on today?', 'should we renew?', 'engine-cheap / big'],
  ])('are %s', async (_name, options, routine, decision, expected) => {
    const harness = await boot(options);
    harness.services.provide('engine', engineWith({ cheap: 'engine-cheap', strong: 'engine-strong' }), 'plugin:reasoning');
    const model = async (text: string) => (await harness.dispatch('pre_api_request_mutable', ladderTurn(request(text)))).request.model;
    expect(`${await model(routine)} / ${await model(decision)}`).toBe(expected);
  });

  it('lets the router re-ask a hedging answer of the engine’s cheap tier, and of no other model', async () => {
    const harness = await boot();
    harness.services.provide('engine', engineWith({ cheap: 'engine-cheap', strong: 'engine-strong' }), 'plugin:reasoning');
    expect(await harness.dispatch('post_llm_call_can_reissue', turn('why did it fail?', answer("I'm not sure.", 'engine-cheap')))).toMatchObject({ value: { model: 'engine-strong' } });
    expect(await harness.dispatch('post_llm_call_can_reissue', turn('why did it fail?', answer("I'm not sure.", 'claude-haiku-4-5')))).toBeNull();
  });
});

/** The value pre_api_request_mutable is dispatched with: a Kora route, the first call unless told. */
const ladderTurn = (sent: ApiRequest, iteration = 1): ApiRequestTurn => ({ route: 'slack_dm', iteration, request: sent });

const turn = (text: string, reply: ApiResponse, extra: Partial<LlmCallEvent> = {}): LlmCallEvent => ({
  route: 'slack_dm',
  conversationId: 'D1:1.0',
  request: request(text, { model: reply.model }),
  response: reply,
  ...extra,
});

describe('haiku_router through post_llm_call_can_reissue', () => {
  it.each<[string, LlmCallEvent, BootOptions, unknown]>([
    ['a hedging cheap answer is re-asked of the strong model', turn('why did it fail?', answer("I'm not sure.")), {}, { value: { model: 'claude-sonnet-4-5', reason: 'low_confidence: the cheap answer says "I\'m not sure"' }, pluginId: 'kora' }],
    ['a confident one is not', turn('why did it fail?', answer('The disk filled up at 02:13.')), {}, null],
    ['a strong answer never is', turn('why did it fail?', answer("I'm not sure.", 'claude-sonnet-4-5')), {}, null],
    ['KORA_DISABLE_POST_CALL_ESCALATION turns it off', turn('why did it fail?', answer("I'm not sure.")), { env: { KORA_DISABLE_POST_CALL_ESCALATION: 'true' } }, null],
    ['another route is left alone', turn('why?', answer("I'm not sure."), { route: 'marvin_chat' }), {}, null],
  ])('%s', async (_name, event, options, expected) => {
    const harness = await boot(options);
    expect(await harness.dispatch('post_llm_call_can_reissue', event)).toEqual(expected);
  });

  it('leaves an llm.escalated row with the question as a digest and its first words, not the cheap answer', async () => {
    const harness = await boot();
    await harness.dispatch('post_llm_call_can_reissue', turn('Is it worth migrating the db?', answer("I'm not sure, it is secret-ish.")));
    const [row] = await harness.audit({ seam: 'llm.escalated' });
    expect(row?.details).toMatchObject({ from: 'claude-haiku-4-5', to: 'claude-sonnet-4-5', reason: 'low_confidence', questionOpening: 'is it worth', decisionPattern: null, questionDigest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(JSON.stringify(row)).not.toContain('secret-ish');
  });

  it('combines: a plugin before kora that answers first wins, and kora is not asked', async () => {
    const harness = await createPluginHarness([{ id: 'first', register: (ctx: PluginContext) => ctx.on('post_llm_call_can_reissue', () => ({ model: 'opus', reason: 'mine' })) }, plugin]);
    harnesses.push(harness);
    expect(await harness.dispatch('post_llm_call_can_reissue', turn('why?', answer("I'm not sure.")))).toEqual({ value: { model: 'opus', reason: 'mine' }, pluginId: 'first' });
  });
});

describe('audit through post_llm_call and post_tool_call', () => {
  it('leaves one llm.call row per call, without the prompt', async () => {
    const harness = await boot();
    await harness.dispatch('post_llm_call', turn('my password is hunter2, what is on today?', answer('Standup at 9:30.')));
    await harness.dispatch('post_llm_call', turn('and tomorrow?', answer('Nothing.')));
    const rows = await harness.audit({ seam: 'llm.call' });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ plugin: 'kora', details: { route: 'slack_dm', model: 'claude-haiku-4-5', outcome: 'ok', tokens: { input: 100, output: 12, cacheRead: 0, cacheWrite: 80 } } });
    expect(JSON.stringify(rows)).not.toContain('hunter2');
  });

  it('with audit.includePrompts, keeps the prompt truncated, and still redacts secret keys of tool inputs', async () => {
    const harness = await boot({ config: { audit: { includePrompts: true, maxChars: 12 } } });
    await harness.dispatch('post_llm_call', turn('what is on today, and tomorrow?', answer('Standup at 9:30.')));
    await harness.dispatch('post_tool_call', { tool: 'deploy', input: { apiKey: 'sk-live-1', env: 'prod' }, route: 'cli', ok: true, durationMs: 3 });
    const [llm] = await harness.audit({ seam: 'llm.call' });
    const [tool] = await harness.audit({ seam: 'tool.call' });
    expect(llm?.details).toMatchObject({ prompt: 'what is on t… [19 more characters]' });
    expect(tool?.details).toMatchObject({ tool: 'deploy', input: { env: 'prod' } });
    expect(JSON.stringify(tool)).not.toContain('sk-live-1');
  });
});

describe('tool bridge through the tool pipeline', () => {
  it('answers kora__daemon_status from the gateway and leaves a tool.call row', async () => {
    const harness = await boot();
    const result = await harness.callTool('kora__daemon_status', {}, { route: 'slack_dm' });
    expect(result).toMatchObject({ ok: true, providedBy: 'kora', result: { sessionId: 'harness', state: 'running' } });
    expect(await harness.audit({ seam: 'tool.call' })).toMatchObject([{ details: { tool: 'kora__daemon_status', route: 'slack_dm', outcome: 'ok' } }]);
  });

  it('answers kora__audit_tail with the rows the hooks left', async () => {
    const harness = await boot();
    await harness.dispatch('post_llm_call', turn('hi', answer('Hello.')));
    const result = await harness.callTool('kora__audit_tail', { seam: 'llm.call' });
    expect(result).toMatchObject({ ok: true, result: { entries: [{ seam: 'llm.call', details: { route: 'slack_dm' } }], next_before_id: null } });
  });

  it('turns bad input into a JSON error result for the model, not a failure', async () => {
    const harness = await boot();
    const result = await harness.callTool('kora__list_tasks', { runs: 'all' });
    expect(result).toMatchObject({ ok: true, providedBy: 'kora', result: { error: { code: 'invalid_input' } } });
  });

  it('leaves another plugin’s kora__ tool to that plugin', async () => {
    const harness = await boot({}, [{ id: 'slack', register: (ctx) => ctx.registerTool({ name: 'kora__send_slack', description: 'send', run: () => ({ sent: true }) }) }]);
    expect(await harness.callTool('kora__send_slack', {})).toMatchObject({ ok: true, providedBy: 'slack', result: { sent: true } });
  });

  it('answers after a pre_tool_call guard only: a blocked call is never answered', async () => {
    const harness = await createPluginHarness([{ id: 'guard', register: (ctx: PluginContext) => ctx.on('pre_tool_call', () => ({ block: true, reason: 'no status here' })) }, plugin]);
    harnesses.push(harness);
    expect(await harness.callTool('kora__daemon_status')).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_BLOCKED' });
  });
});

describe('kora config and env', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown key', { modles: {} }, /plugins\.config\.kora/],
    ['an unknown nested key', { router: { phrases: [] } }, /plugins\.config\.kora\.router/],
    ['a pattern that is not a regular expression', { costLadder: { decisionPatterns: ['(unclosed'] } }, /not a valid regular expression/],
    ['a threshold that is not a positive integer', { router: { longQuestionChars: 0 } }, /longQuestionChars/],
  ])('refuses %s', async (_name, config, message) => {
    const error = await boot({ config }).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('KORA_ERR_CONFIG_INVALID');
    expect(`${error?.message} ${JSON.stringify(error)}`).toMatch(message);
  });

  it.each(['KORA_FORCE_OPUS', 'KORA_DISABLE_POST_CALL_ESCALATION'])('refuses %s=maybe, naming the variable', async (variable) => {
    await expect(boot({ env: { [variable]: 'maybe' } })).rejects.toMatchObject({ code: 'KORA_ERR_ENV_INVALID', message: expect.stringContaining(variable) });
  });
});
