// The admin API the reasoning plugin contributes (`POST /api/ask`, `GET /api/usage`), called
// as the `web` plugin calls a contributed route, against the real SDK and the fake Messages API.
import { definePlugin, type HttpRoute, type HttpRouteRequest } from '@kora/runtime';
import { createPluginHarness, type ManualClock } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { apiError, text } from '../../../test/fakes/anthropic.js';
import { identityPlugin, startEngine, type EngineRig, type RigOptions } from './engine.test-helper.js';
import plugin from './index.js';

const rigs: EngineRig[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  for (const close of closers.splice(0)) await close();
});
const rig = async (options?: RigOptions) => {
  const r = await startEngine(options);
  rigs.push(r);
  return r;
};

function routeOf(routes: readonly HttpRoute[], method: string, path: string): HttpRoute {
  const route = routes.find((r) => r.path === path && r.method === method);
  if (!route) throw new Error(`no ${method} ${path} among ${routes.map((r) => r.path).join(', ')}`);
  return route;
}

/** A route's caller as the web plugin is: the admin principal, a parsed body and query. */
function call(route: HttpRoute, input: { body?: unknown; query?: Record<string, string | string[]> } = {}) {
  const request = { method: route.method, path: route.path, params: {}, query: input.query ?? {}, headers: {}, body: input.body, principal: 'admin', raw: {} } as unknown as HttpRouteRequest;
  return Promise.resolve(route.handle(request)) as Promise<{ status: number; body: Record<string, unknown> }>;
}

function routesOf(r: EngineRig) {
  const routes = r.harness.contributions.list('http.admin').map((c) => c.value);
  return { ask: routeOf(routes, 'POST', '/api/ask'), usage: routeOf(routes, 'GET', '/api/usage') };
}

describe('POST /api/ask', () => {
  it('answers on the cli route, in a new conversation, and continues it when given back', async () => {
    const r = await rig();
    const { ask } = routesOf(r);
    const first = await call(ask, { body: { message: 'hello' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ reply: 'You are Testbot, a careful assistant. | hello', model: expect.any(String), calls: 1, usage: { inputTokens: expect.any(Number), costUsd: expect.any(Number) } });
    const conversation = first.body.conversation as string;
    expect(conversation).toMatch(/^cli:[0-9a-f-]{36}$/);

    const second = await call(ask, { body: { message: 'and again', conversation } });
    expect(second.body).toMatchObject({ reply: 'You are Testbot, a careful assistant. | and again', conversation });
    // The second request carries the first exchange before the new message.
    expect(r.api.requests[1]!.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(r.api.requests[1]!.body.messages[0])).toContain('hello');

    const other = await call(ask, { body: { message: 'fresh' } });
    expect(other.body.conversation).not.toBe(conversation);
    expect(r.api.requests[2]!.body.messages).toHaveLength(1);
  });

  it('answers 400 for a body without a message, naming the field, and calls nothing', async () => {
    const r = await rig();
    const { ask } = routesOf(r);
    for (const body of [undefined, {}, { message: '' }, { message: 42 }, { message: 'hi', conversation: 7 }, 'hello']) {
      const res = await call(ask, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('"message"') } });
    }
    expect(r.api.requests).toHaveLength(0);
  });

  it('answers 502 with the API failure, 409 with a refusal\'s own message', async () => {
    const ladder = definePlugin({
      id: 'ladder',
      register(ctx) {
        ctx.on('pre_api_request_mutable', (turn) => (turn.request.messages.some((m) => m.content === 'over budget?') ? { refusal: { code: 'cost_hard_stop', message: 'The budget is spent for today.' } } : null));
      },
    });
    const r = await rig({ config: { retries: 0 }, plugins: [ladder] });
    const { ask } = routesOf(r);
    r.api.enqueue(apiError(400, { message: 'bad thing' }));
    const failed = await call(ask, { body: { message: 'hi' } });
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ error: { code: 'engine_api', kora: 'KORA_ERR_REASONING_API', message: expect.stringContaining('bad thing') } });
    const refused = await call(ask, { body: { message: 'over budget?' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'refused', kora: 'KORA_ERR_REASONING_REFUSED', message: 'The budget is spent for today.' } });
  });

  it('answers 504 when every attempt times out', async () => {
    const r = await rig({ config: { retries: 0, timeoutMs: 50 } });
    const { ask } = routesOf(r);
    r.api.enqueue(text('too late', { delayMs: 2_000 }));
    const res = await call(ask, { body: { message: 'hi' } });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ error: { code: 'engine_timeout', kora: 'KORA_ERR_REASONING_TIMEOUT' } });
  });

  it('answers 503 engine_unavailable, naming the credential variables, when the engine daemon is not running', async () => {
    const harness = await createPluginHarness([identityPlugin, plugin], { env: {} });
    closers.push(() => harness.close());
    await harness.resolveIdentity();
    const routes = harness.contributions.list('http.admin').map((c) => c.value);
    const res = await call(routeOf(routes, 'POST', '/api/ask'), { body: { message: 'hi' } });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'engine_unavailable', message: expect.stringContaining('CLAUDE_CODE_OAUTH_TOKEN') } });
    expect((res.body.error as { message: string }).message).toContain('ANTHROPIC_API_KEY');
  });
});

describe('GET /api/usage', () => {
  it('sums calls, tokens and cost per UTC day and model, over the days asked for', async () => {
    const r = await rig({ config: { prices: { 'claude-test': { input: 1, output: 10, cacheRead: 0.1, cacheWrite: 2 } } } });
    const { ask, usage } = routesOf(r);
    const clock = r.harness.clock as ManualClock;
    const billed = { usage: { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 10, cache_creation_input_tokens: 5 }, model: 'claude-test' };
    r.api.enqueue(text('one', billed), text('two', billed));
    await call(ask, { body: { message: 'a' } });
    await call(ask, { body: { message: 'b' } });
    clock.jump(86_400_000);
    r.api.enqueue(text('three', billed), apiError(400));
    await call(ask, { body: { message: 'c' } });
    expect((await call(ask, { body: { message: 'd' } })).status).toBe(502);

    const week = await call(usage);
    expect(week.status).toBe(200);
    const perCall = (1000 * 1 + 100 * 10 + 10 * 0.1 + 5 * 2) / 1_000_000;
    const rows = week.body.rows as { day: string; model: string; calls: number; failed: number; costUsd: number }[];
    expect(rows.map((x) => [x.day, x.model, x.calls, x.failed])).toEqual([
      ['2026-01-01', 'claude-test', 2, 0],
      ['2026-01-02', expect.any(String), expect.any(Number), expect.any(Number)],
      ...(rows.length === 3 ? [expect.anything()] : []),
    ]);
    expect(rows[0]).toMatchObject({ inputTokens: 2000, outputTokens: 200, cacheReadTokens: 20, cacheWriteTokens: 10 });
    expect(rows[0]!.costUsd).toBeCloseTo(2 * perCall, 12);
    const secondDay = rows.filter((x) => x.day === '2026-01-02');
    expect(secondDay.reduce((n, x) => n + x.calls, 0)).toBe(2);
    expect(secondDay.reduce((n, x) => n + x.failed, 0)).toBe(1);
    expect(week.body).toMatchObject({ days: 7, total: { calls: 4 } });

    const today = await call(usage, { query: { days: '1' } });
    expect((today.body.rows as { day: string }[]).every((x) => x.day === '2026-01-02')).toBe(true);
    expect(today.body).toMatchObject({ days: 1, total: { calls: 2 } });
  });

  it('answers 400 for days that are not a whole number from 1 to 366', async () => {
    const { usage } = routesOf(await rig());
    for (const days of ['0', '-1', '1.5', 'x', '367', ['1', '2']]) {
      const res = await call(usage, { query: { days } });
      expect(res.status, JSON.stringify(days)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'bad_request' } });
    }
    expect((await call(usage, { query: { days: '366' } })).status).toBe(200);
  });
});
