import { definePlugin, type HookName } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { message, text, toolUse } from '../../../test/fakes/anthropic.js';
import { SOUL, SYSTEM_PROMPT, engineRigs } from './engine.test-helper.js';

const rig = engineRigs();
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ route: 'cli', messages: [{ role: 'user' as const, content }], ...extra });

const LLM_HOOKS: HookName[] = [
  'pre_llm_call',
  'pre_tool_list_finalized',
  'pre_api_request_mutable',
  'pre_api_request',
  'post_api_request',
  'post_llm_call_can_reissue',
  'pre_tool_call',
  'pre_tool_call_can_provide_result',
  'post_tool_call',
  'transform_llm_output',
  'post_llm_call',
];

/** A second plugin that records every LLM hook it sees, in order, and offers one tool. */
function recorder(seen: { hook: string; payload: unknown }[], tool?: { name: string; run: (input: Record<string, unknown>) => unknown }) {
  return definePlugin({
    id: 'recorder',
    register(ctx) {
      for (const hook of LLM_HOOKS) ctx.on(hook, ((payload: unknown) => void seen.push({ hook, payload })) as never);
      if (tool) ctx.registerTool({ name: tool.name, description: `the ${tool.name} tool`, inputSchema: { properties: { q: { type: 'string' } } }, run: tool.run });
    },
  });
}

describe('the engine', () => {
  it('sends the identity as system blocks, the last with a prompt-cache marker, on the cheap model', async () => {
    const { api, engine } = await rig();
    const reply = await engine.respond(ask('who are you?'));
    const body = api.requests[0]!.body;
    expect(body.system).toEqual([
      { type: 'text', text: SYSTEM_PROMPT },
      { type: 'text', text: SOUL, cache_control: { type: 'ephemeral' } },
    ]);
    expect(body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 4096, messages: [{ role: 'user', content: 'who are you?' }] });
    expect(body.tools).toBeUndefined();
    // The fake echoes the system prompt's first line: the reply is in the identity's voice.
    expect(reply).toMatchObject({ text: 'You are Testbot, a careful assistant. | who are you?', model: 'claude-haiku-4-5', calls: 1, stopReason: 'end_turn' });
  });

  it('fires the LLM hooks in the catalog order, the tool pipeline for each tool_use in between', async () => {
    const seen: { hook: string; payload: unknown }[] = [];
    const { api, engine } = await rig({ plugins: [recorder(seen, { name: 'lookup', run: (input) => ({ found: input.q }) })] });
    api.enqueue(toolUse('lookup', { q: 'kora' }, { id: 'toolu_a' }), text('found it'));
    const reply = await engine.respond(ask('look it up', { conversation: 'c1' }));
    expect(reply).toMatchObject({ text: 'found it', calls: 2 });
    const perCall = ['pre_llm_call', 'pre_tool_list_finalized', 'pre_api_request_mutable', 'pre_api_request', 'post_api_request', 'post_llm_call_can_reissue'];
    expect(seen.map((s) => s.hook)).toEqual([...perCall, 'pre_tool_call', 'pre_tool_call_can_provide_result', 'post_tool_call', ...perCall, 'transform_llm_output', 'post_llm_call']);
    const payload = (hook: string, nth = 0) => seen.filter((s) => s.hook === hook)[nth]!.payload;
    expect(payload('pre_llm_call')).toMatchObject({ route: 'cli', conversationId: 'c1', request: { model: 'claude-haiku-4-5' } });
    expect(payload('pre_tool_list_finalized')).toMatchObject({ route: 'cli', tools: [{ name: 'lookup', input_schema: { type: 'object' } }] });
    expect(payload('pre_tool_call')).toMatchObject({ tool: 'lookup', input: { q: 'kora' }, route: 'cli', conversationId: 'c1', toolUseId: 'toolu_a' });
    expect(payload('post_tool_call')).toMatchObject({ tool: 'lookup', ok: true, result: { found: 'kora' }, toolUseId: 'toolu_a' });
    expect(payload('post_api_request')).toMatchObject({ route: 'cli', response: { stop_reason: 'tool_use' }, usage: { input_tokens: expect.any(Number) }, durationMs: expect.any(Number) });
    expect(payload('post_llm_call')).toMatchObject({ response: { content: [{ type: 'text', text: 'found it' }] } });
    // Measures: per call on the re-ask hook, over the whole reply at its end.
    const cost = (hook: string, nth = 0) => (payload(hook, nth) as { costUsd: number }).costUsd;
    expect(payload('post_llm_call_can_reissue', 1)).toMatchObject({ calls: 2, durationMs: expect.any(Number), costUsd: expect.any(Number) });
    expect(payload('post_llm_call')).toMatchObject({ calls: 2, durationMs: expect.any(Number) });
    expect(cost('post_llm_call_can_reissue', 0)).toBeGreaterThan(0);
    expect(cost('post_llm_call')).toBeCloseTo(cost('post_llm_call_can_reissue', 0) + cost('post_llm_call_can_reissue', 1), 10);
    expect(cost('post_llm_call')).toBeCloseTo(reply.usage.costUsd, 10);
  });

  it('runs a tool_use round trip through a registered tool and sends its result back', async () => {
    const { api, engine } = await rig({ plugins: [recorder([], { name: 'lookup', run: (input) => `result for ${String(input.q)}` })] });
    api.enqueue(toolUse('lookup', { q: 'x' }, { id: 'toolu_1' }));
    const reply = await engine.respond(ask('go'));
    expect(api.requests[0]!.body.tools).toEqual([{ name: 'lookup', description: 'the lookup tool', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }]);
    expect(api.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'result for x' }] },
    ]);
    expect(reply.calls).toBe(2);
  });

  it('turns a tool error into an is_error tool_result, and the reply goes on', async () => {
    const { api, engine } = await rig({
      plugins: [
        recorder([], {
          name: 'broken',
          run: () => {
            throw new Error('disk on fire');
          },
        }),
      ],
    });
    api.enqueue(toolUse('broken', {}, { id: 'toolu_b' }), toolUse('missing', {}, { id: 'toolu_m' }));
    const reply = await engine.respond(ask('try'));
    const results = (n: number) => api.requests[n]!.body.messages.at(-1)!.content;
    expect(results(1)).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_b', is_error: true, content: expect.stringMatching(/^KORA_ERR_TOOL_FAILED: .*disk on fire/) }]);
    expect(results(2)).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_m', is_error: true, content: expect.stringMatching(/^KORA_ERR_TOOL_UNKNOWN: /) }]);
    expect(reply.calls).toBe(3);
  });

  it('offers only the tools the request names, and none for an empty list', async () => {
    const tools = definePlugin({
      id: 'tools',
      register(ctx) {
        for (const name of ['a', 'b', 'c']) ctx.registerTool({ name, description: name, run: () => name });
      },
    });
    const { api, engine } = await rig({ plugins: [tools] });
    await engine.respond(ask('1', { tools: ['c', 'a'] }));
    await engine.respond(ask('2', { tools: [] }));
    await engine.respond(ask('3'));
    expect(api.requests.map((r) => r.body.tools?.map((t) => t.name))).toEqual([['a', 'c'], undefined, ['a', 'b', 'c']]);
  });

  it('honours max calls: the last call may not use tools, and a reply with no text then is a coded error', async () => {
    const { api, engine } = await rig({ config: { maxCalls: 3 }, plugins: [recorder([], { name: 'loop', run: () => 'again' })] });
    api.respondWith(() => toolUse('loop', {}));
    const err = await engine.respond(ask('forever')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KORA_ERR_REASONING_MAX_CALLS' });
    expect(api.requests).toHaveLength(3);
    expect(api.requests.map((r) => r.body.tool_choice)).toEqual([undefined, undefined, { type: 'none' }]);

    api.reset();
    api.enqueue(toolUse('loop', {}), toolUse('loop', {}), text('gave up looping'));
    const reply = await engine.respond(ask('forever'));
    expect(reply).toMatchObject({ text: 'gave up looping', calls: 3 });
  });

  it('adds pre_llm_call context, uses the finalized tool list, the mutated request, and the transformed text', async () => {
    const hooks = definePlugin({
      id: 'shaper',
      register(ctx) {
        ctx.registerTool({ name: 'hidden', description: 'not offered', run: () => 'x' });
        ctx.on('pre_llm_call', () => 'It is Tuesday.');
        ctx.on('pre_llm_call', () => ({ type: 'text', text: 'Cached context.', cache_control: { type: 'ephemeral' } }));
        ctx.on('pre_tool_list_finalized', () => [{ name: 'only', input_schema: { type: 'object' } }]);
        ctx.on('pre_api_request_mutable', ({ request }) => ({ request: { ...request, model: 'claude-sonnet-4-6', max_tokens: request.max_tokens / 2 } }));
        ctx.on('transform_llm_output', (event) => `«${event.response.content.map((b) => (b.type === 'text' ? b.text : '')).join('')}»`);
      },
    });
    const { api, engine } = await rig({ plugins: [hooks] });
    api.enqueue(text('plain'));
    const reply = await engine.respond(ask('hi'));
    const body = api.requests[0]!.body;
    expect(body.system).toEqual([
      { type: 'text', text: SYSTEM_PROMPT },
      { type: 'text', text: SOUL, cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'It is Tuesday.' },
      { type: 'text', text: 'Cached context.', cache_control: { type: 'ephemeral' } },
    ]);
    expect(body.tools).toEqual([{ name: 'only', input_schema: { type: 'object' } }]);
    expect(body).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: 2048 });
    expect(reply).toMatchObject({ text: '«plain»', model: 'claude-sonnet-4-6' });
  });

  it('re-asks another model when post_llm_call_can_reissue says so, with the draft as context', async () => {
    const seen: string[] = [];
    const router = definePlugin({
      id: 'router',
      register(ctx) {
        ctx.on('post_llm_call_can_reissue', (event) => (event.request.model === 'claude-haiku-4-5' ? { model: 'claude-sonnet-4-6', reason: 'low confidence' } : null));
        ctx.on('post_llm_call', (event) => void seen.push(event.request.model));
      },
    });
    const { api, engine } = await rig({ plugins: [router] });
    api.enqueue(text('maybe?'), text('certainly.'));
    const reply = await engine.respond(ask('is it so?'));
    expect(api.requests.map((r) => r.body.model)).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6']);
    const lastSystem = api.requests[1]!.body.system as { text: string }[];
    expect(lastSystem.at(-1)!.text).toMatch(/claude-haiku-4-5.*low confidence[\s\S]*maybe\?$/);
    expect(api.requests[1]!.body.messages).toEqual([{ role: 'user', content: 'is it so?' }]);
    expect(reply).toMatchObject({ text: 'certainly.', model: 'claude-sonnet-4-6', calls: 2 });
    expect(seen).toEqual(['claude-sonnet-4-6']);
  });

  it('hands the caller\'s metadata to the hooks, and not to the model', async () => {
    const seen: unknown[] = [];
    const watcher = definePlugin({
      id: 'watcher',
      register(ctx) {
        ctx.on('pre_llm_call', (event) => void seen.push(['pre_llm_call', event.metadata]));
        ctx.on('pre_api_request_mutable', (turn) => void seen.push(['pre_api_request_mutable', turn.metadata]));
        ctx.on('post_llm_call', (event) => void seen.push(['post_llm_call', event.metadata]));
      },
    });
    const { api, engine } = await rig({ plugins: [watcher] });
    api.enqueue(text('fine'));
    await engine.respond(ask('hi', { metadata: { user: 'U1', channel: 'D1' } }));
    expect(seen).toEqual([
      ['pre_llm_call', { user: 'U1', channel: 'D1' }],
      ['pre_api_request_mutable', { user: 'U1', channel: 'D1' }],
      ['post_llm_call', { user: 'U1', channel: 'D1' }],
    ]);
    expect(JSON.stringify(api.requests[0]!.body)).not.toContain('U1');
  });

  it('gives pre_api_request_mutable the route and the call\'s iteration, and sends nothing when a hook refuses', async () => {
    const turns: { route: string; iteration: number }[] = [];
    const ladder = definePlugin({
      id: 'ladder',
      register(ctx) {
        ctx.on('pre_api_request_mutable', (turn) => {
          turns.push({ route: turn.route, iteration: turn.iteration });
          return turn.request.messages.some((m) => m.content === 'over budget?') ? { refusal: { code: 'cost_hard_stop', message: 'The budget is spent.' } } : null;
        });
      },
    });
    const { api, engine } = await rig({ plugins: [ladder] });
    api.enqueue(text('fine'));
    await engine.respond(ask('hi'));
    expect(turns).toEqual([{ route: ask('hi').route, iteration: 1 }]);
    await expect(engine.respond(ask('over budget?'))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_REFUSED', details: { refusal: 'cost_hard_stop' } });
    expect(api.requests).toHaveLength(1);
  });

  it('reads the tier names cheap and strong, from a hook, as the configured models', async () => {
    const tiers = definePlugin({
      id: 'tiers',
      register(ctx) {
        ctx.on('pre_api_request_mutable', ({ request: r }) => (r.system?.length === 2 ? { request: { ...r, model: 'strong' } } : null));
        ctx.on('post_llm_call_can_reissue', (e) => (e.request.model === 'big-model' ? { model: 'cheap', reason: 'try small' } : null));
      },
    });
    const { api, engine } = await rig({ config: { models: { cheap: 'small-model', strong: 'big-model' } }, plugins: [tiers] });
    const reply = await engine.respond(ask('hi'));
    expect(api.requests.map((r) => r.body.model)).toEqual(['big-model', 'small-model']);
    expect(reply.model).toBe('small-model');
  });

  it('keeps only text and tool_use blocks of the answer, and counts usage over every call', async () => {
    const { api, engine } = await rig({ plugins: [recorder([], { name: 't', run: () => 'ok' })] });
    api.enqueue(
      toolUse('t', {}, { usage: { input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 50, cache_creation_input_tokens: 20 } }),
      message({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], usage: { input_tokens: 200, output_tokens: 20 } }),
    );
    const reply = await engine.respond(ask('x'));
    expect(reply.text).toBe('ab');
    expect(reply.usage).toMatchObject({ inputTokens: 300, outputTokens: 30, cacheReadTokens: 50, cacheWriteTokens: 20 });
    // claude-haiku-4-5: $1 in, $5 out, $0.10 cache read, $1.25 cache write per million tokens.
    expect(reply.usage.costUsd).toBeCloseTo((300 * 1 + 30 * 5 + 50 * 0.1 + 20 * 1.25) / 1e6, 12);
  });
});
