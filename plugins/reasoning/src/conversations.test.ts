import { definePlugin } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { text, toolUse } from '../../../test/fakes/anthropic.js';
import { engineRigs } from './engine.test-helper.js';
import { approxTokens } from './history.js';
import { readUsage } from './usage.js';

const rig = engineRigs();
const say = (content: string, conversation?: string) => ({ route: 'email_inbound', messages: [{ role: 'user' as const, content }], ...(conversation ? { conversation } : {}) });
const tool = definePlugin({ id: 'tools', register: (ctx) => ctx.registerTool({ name: 'clock', description: 'the time', run: () => '12:00' }) });

describe('conversations', () => {
  it('still gives a paid reply whose turn could not be kept (another writer took its sequence number), and says so', async () => {
    const held: { db?: import('@kora/runtime').PluginContext['db'] } = {};
    // Between the history read and the append: a row with the next sequence number, as a second writer would leave.
    const racer = definePlugin({
      id: 'racer',
      register: (ctx) =>
        ctx.on('post_llm_call', async (event) => {
          if (event.conversationId === 'raced') await held.db!.insertInto('reasoning_turns').values({ conversation: 'raced', seq: 1, at: 0, route: 'cli', messages: '[]', tokens: 0 }).execute();
        }),
    });
    const r = await rig({ plugins: [racer] });
    held.db = r.db;
    const reply = await r.engine.respond(say('hello', 'raced'));
    expect(reply.text.length).toBeGreaterThan(0);
    expect(r.harness.logs.some((l) => l.level === 'error' && l.msg.includes('could not be kept in its history'))).toBe(true);
  });

  it('carries a conversation into its next reply, tool round trips included, and keeps others apart', async () => {
    const { api, engine } = await rig({ plugins: [tool] });
    api.enqueue(toolUse('clock', {}, { id: 'toolu_c' }), text('It is noon.'));
    await engine.respond(say('what time is it?', 'thread-1'));
    await engine.respond(say('and in Paris?', 'thread-1'));
    await engine.respond(say('unrelated', 'thread-2'));
    await engine.respond(say('one-off'));
    expect(api.requests[2]!.body.messages).toEqual([
      { role: 'user', content: 'what time is it?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_c', name: 'clock', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_c', content: '12:00' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'It is noon.' }] },
      { role: 'user', content: 'and in Paris?' },
    ]);
    expect(api.requests[3]!.body.messages).toEqual([{ role: 'user', content: 'unrelated' }]);
    expect(api.requests[4]!.body.messages).toEqual([{ role: 'user', content: 'one-off' }]);
  });

  it('shows a reply at most the configured number of turns, whole turns, oldest dropped first', async () => {
    const { api, engine, db } = await rig({ config: { history: { turns: 2 } }, plugins: [tool] });
    api.enqueue(toolUse('clock', {}, { id: 'toolu_1' }), text('first answer'));
    for (const n of [1, 2, 3, 4]) await engine.respond(say(`message ${n}`, 'c'));
    const last = api.requests.at(-1)!.body.messages;
    // Turns 2 and 3, then the new message: turn 1 (with its tool pair) is gone, as a whole.
    expect(last.map((m) => (typeof m.content === 'string' ? m.content : m.content.map((b) => b.type).join('+')))).toEqual([
      'message 2',
      'text',
      'message 3',
      'text',
      'message 4',
    ]);
    // The fake refuses a broken tool_use/tool_result pair with a 400: every request was accepted.
    expect((await readUsage(db)).every((r) => r.outcome === 'ok')).toBe(true);
    // Kept rows are pruned every 8 turns: after turn 8 only turns 7 and 8 remain.
    for (const n of [5, 6, 7, 8]) await engine.respond(say(`message ${n}`, 'c'));
    const kept = await db.selectFrom('reasoning_turns').select(['seq']).where('conversation', '=', 'c').orderBy('seq').execute();
    expect(kept.map((r) => Number(r.seq))).toEqual([7, 8]);
  });

  it('bounds the history by approximate tokens too, newest turns kept', async () => {
    const long = 'x'.repeat(400);
    const turnTokens = approxTokens([
      { role: 'user', content: long },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    ]);
    const { api, engine } = await rig({ config: { history: { turns: 10, tokens: turnTokens * 2 } } });
    api.respondWith(() => text('ok'));
    for (const n of [1, 2, 3, 4]) await engine.respond(say(`${n}${long.slice(1)}`, 'c'));
    const last = api.requests.at(-1)!.body.messages;
    expect(last.filter((m) => m.role === 'user').map((m) => String(m.content)[0])).toEqual(['2', '3', '4']);
  });

  it('keeps no history with turns: 0', async () => {
    const { api, engine, db } = await rig({ config: { history: { turns: 0 } } });
    await engine.respond(say('a', 'c'));
    await engine.respond(say('b', 'c'));
    expect(api.requests[1]!.body.messages).toEqual([{ role: 'user', content: 'b' }]);
    expect(await db.selectFrom('reasoning_turns').selectAll().execute()).toEqual([]);
  });

  it('answers two messages of one conversation one after the other, so the second sees the first', async () => {
    const { api, engine } = await rig();
    api.enqueue(text('one', { delayMs: 100 }), text('two'));
    const [a, b] = await Promise.all([engine.respond(say('first', 'c')), engine.respond(say('second', 'c'))]);
    expect([a.text, b.text]).toEqual(['one', 'two']);
    expect(api.requests[1]!.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('keeps no turn of a reply that failed', async () => {
    const { api, engine } = await rig({ config: { retries: 0 } });
    const { apiError } = await import('../../../test/fakes/anthropic.js');
    api.enqueue(apiError(400));
    await expect(engine.respond(say('lost', 'c'))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_API' });
    await engine.respond(say('again', 'c'));
    expect(api.requests[1]!.body.messages).toEqual([{ role: 'user', content: 'again' }]);
  });
});

describe('usage rows', () => {
  it('writes one row per model call with tokens, cost from the price table, route and conversation', async () => {
    const { api, engine, db, harness } = await rig({
      config: { prices: { 'claude-sonnet-4-6': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, 'priced-model': { input: 10, output: 100, cacheRead: 1, cacheWrite: 20 } } },
      plugins: [tool, definePlugin({ id: 'pick', register: (ctx) => ctx.on('pre_api_request_mutable', ({ request: r }) => (r.messages.length > 1 ? { request: { ...r, model: 'priced-model' } } : null)) })],
    });
    api.enqueue(
      toolUse('clock', {}, { usage: { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 4000, cache_creation_input_tokens: 500 } }),
      text('done', { usage: { input_tokens: 2000, output_tokens: 300 } }),
      text('unpriced', { usage: { input_tokens: 5, output_tokens: 5 }, model: 'mystery-model' }),
    );
    const reply = await engine.respond(say('go', 'thread-9'));
    await engine.respond(say('who?'));
    const rows = await readUsage(db);
    expect(rows).toEqual([
      expect.objectContaining({ route: 'email_inbound', conversation: 'thread-9', model: 'claude-haiku-4-5', input_tokens: 1000, output_tokens: 100, cache_read_tokens: 4000, cache_write_tokens: 500, outcome: 'ok', error_code: null }),
      expect.objectContaining({ conversation: 'thread-9', model: 'priced-model', input_tokens: 2000, output_tokens: 300, cache_read_tokens: 0, cache_write_tokens: 0 }),
      expect.objectContaining({ conversation: null, model: 'mystery-model', cost_usd: 0 }),
    ]);
    expect(rows[0]!.cost_usd).toBeCloseTo((1000 * 1 + 100 * 5 + 4000 * 0.1 + 500 * 1.25) / 1e6, 12);
    expect(rows[1]!.cost_usd).toBeCloseTo((2000 * 10 + 300 * 100) / 1e6, 12);
    expect(reply.usage.costUsd).toBeCloseTo(rows[0]!.cost_usd + rows[1]!.cost_usd, 12);
    expect(rows.every((r) => r.at === harness.clock.now() && r.duration_ms >= 0)).toBe(true);
    expect(harness.logs.some((l) => l.level === 'warn' && l.msg.includes('mystery-model has no price'))).toBe(true);
  });
});
