import { definePlugin } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { apiError, text, toolUse } from '../../../test/fakes/anthropic.js';
import { engineRigs } from './engine.test-helper.js';
import { readUsage } from './usage.js';

const rig = engineRigs();
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ route: 'slack_dm', messages: [{ role: 'user' as const, content }], ...extra });

describe('retries, timeouts and cancellation', () => {
  it('waits out a 429 with retry-after, then answers; one usage row for the call', async () => {
    const { api, engine, db } = await rig();
    api.enqueue(apiError(429, { retryAfter: 0.05 }), text('after the limit'));
    const reply = await engine.respond(ask('hi'));
    expect(reply.text).toBe('after the limit');
    expect(api.requests).toHaveLength(2);
    // retry-after is 50 ms: the SDK waited it out rather than its own backoff (≥ 375 ms for a first retry).
    const gap = api.requests[1]!.at - api.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(45);
    expect(gap).toBeLessThan(375);
    expect(await readUsage(db)).toEqual([expect.objectContaining({ outcome: 'ok', route: 'slack_dm' })]);
  });

  it('retries 500 twice (and 529), then answers', async () => {
    const { api, engine } = await rig({ config: { retries: 3 } });
    api.enqueue(apiError(500, { retryAfterMs: 1 }), apiError(500, { retryAfterMs: 1 }), apiError(529, { retryAfterMs: 1 }), text('third time lucky'));
    expect((await engine.respond(ask('hi'))).text).toBe('third time lucky');
    expect(api.requests).toHaveLength(4);
  });

  it('gives up after the configured retries with a coded error quoting the API, and keeps a failed usage row', async () => {
    const { api, engine, db } = await rig({ config: { retries: 1 } });
    api.respondWith(() => apiError(529, { retryAfterMs: 1, message: 'Overloaded' }));
    const err = await engine.respond(ask('hi')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KORA_ERR_REASONING_API', message: expect.stringMatching(/529 overloaded_error: Overloaded after 1 retry/) });
    expect(api.requests).toHaveLength(2);
    expect(await readUsage(db)).toEqual([expect.objectContaining({ outcome: 'error', error_code: 'KORA_ERR_REASONING_API', input_tokens: 0, cost_usd: 0 })]);
  });

  it('does not retry a 400', async () => {
    const { api, engine } = await rig();
    api.enqueue(apiError(400, { message: 'messages: bad' }));
    await expect(engine.respond(ask('hi'))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_API', message: expect.stringContaining('400 invalid_request_error: messages: bad (model claude-haiku-4-5)') });
    expect(api.requests).toHaveLength(1);
  });

  it('times out a call that does not answer within timeoutMs, on every attempt', async () => {
    const { api, engine, db } = await rig({ config: { timeoutMs: 100, retries: 1 } });
    api.respondWith(() => text('too late', { delayMs: 10_000 }));
    const err = await engine.respond(ask('hi')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KORA_ERR_REASONING_TIMEOUT', message: expect.stringContaining('within 100 ms on any of its 2 attempt(s)') });
    expect(api.requests).toHaveLength(2);
    expect(await readUsage(db)).toEqual([expect.objectContaining({ outcome: 'timeout', error_code: 'KORA_ERR_REASONING_TIMEOUT' })]);
  });

  it('cancels a call in flight when the caller aborts, without retrying it', async () => {
    const { api, engine, db } = await rig();
    api.respondWith(() => text('never seen', { delayMs: 10_000 }));
    const controller = new AbortController();
    const reply = engine.respond(ask('hi', { signal: controller.signal }));
    await waitFor(() => api.requests.length === 1);
    controller.abort(new Error('the user left'));
    await expect(reply).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_ABORTED', message: 'The reply was cancelled: the user left' });
    expect(api.requests).toHaveLength(1);
    expect(await readUsage(db)).toEqual([expect.objectContaining({ outcome: 'aborted' })]);
  });

  it('does not run the next tool, nor call again, once aborted during a tool', async () => {
    const controller = new AbortController();
    const ran: string[] = [];
    const tools = definePlugin({
      id: 'tools',
      register(ctx) {
        ctx.registerTool({ name: 'first', description: 'aborts the reply', run: () => (ran.push('first'), controller.abort(new Error('stop now')), 'done') });
        ctx.registerTool({ name: 'second', description: 'never runs', run: () => void ran.push('second') });
      },
    });
    const { api, engine } = await rig({ plugins: [tools] });
    api.enqueue({ kind: 'message', stopReason: 'tool_use', content: [{ type: 'tool_use', id: 't1', name: 'first', input: {} }, { type: 'tool_use', id: 't2', name: 'second', input: {} }] });
    await expect(engine.respond(ask('go', { signal: controller.signal }))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_ABORTED' });
    expect(ran).toEqual(['first']);
    expect(api.requests).toHaveLength(1);
  });

  it('refuses a reply whose signal is already aborted, calling nothing', async () => {
    const { api, engine } = await rig();
    await expect(engine.respond(ask('hi', { signal: AbortSignal.abort() }))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_ABORTED' });
    expect(api.requests).toHaveLength(0);
  });

  it('cancels replies in flight when the daemon stops, and withdraws the engine', async () => {
    const { api, engine, harness } = await rig();
    api.respondWith(() => text('never seen', { delayMs: 10_000 }));
    const reply = engine.respond(ask('hi'));
    await waitFor(() => api.requests.length === 1);
    await harness.stopDaemons();
    await expect(reply).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_ABORTED', message: expect.stringContaining('engine stopped') });
    expect(harness.services.has('engine')).toBe(false);
  });

  it('tells post_api_request about a failed call, with the error and no response', async () => {
    const events: unknown[] = [];
    const spy = definePlugin({ id: 'spy', register: (ctx) => ctx.on('post_api_request', (e) => void events.push(e)) });
    const { api, engine } = await rig({ config: { retries: 0 }, plugins: [spy] });
    api.enqueue(toolUse('x', {}), apiError(401, { message: 'invalid x-api-key' }));
    await expect(engine.respond(ask('hi'))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_API' });
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ route: 'slack_dm', error: expect.stringContaining('401 authentication_error'), durationMs: expect.any(Number) });
    expect(events[1]).not.toHaveProperty('response');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error('condition not met within 2.5 s');
}

describe('an API that cannot be reached', () => {
  it('is a coded API error after the retries, naming the model', async () => {
    const { createServer } = await import('node:net');
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const { engine, db } = await rig({ config: { retries: 0 }, env: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` } });
    await expect(engine.respond(ask('hi'))).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_API', message: expect.stringMatching(/could not be called .*\(model claude-haiku-4-5\)/) });
    expect(await readUsage(db)).toEqual([expect.objectContaining({ outcome: 'error', error_code: 'KORA_ERR_REASONING_API' })]);
  });
});
