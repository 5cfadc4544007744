import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiError, invalidRequest, startFakeAnthropic, text, toolUse, type FakeAnthropic } from './anthropic.js';

let api: FakeAnthropic;
beforeEach(async () => {
  api = await startFakeAnthropic();
});
afterEach(async () => {
  await api.close();
});

const sdk = (options: { maxRetries?: number; timeout?: number } = {}) => new Anthropic({ baseURL: api.url, apiKey: 'test-key', maxRetries: options.maxRetries ?? 0, ...(options.timeout ? { timeout: options.timeout } : {}), logLevel: 'off' });
const ask = (client: Anthropic, content = 'hello') =>
  client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, system: [{ type: 'text', text: 'You are Marvin.\nSecond line.' }], messages: [{ role: 'user', content }] });

describe('the fake Messages API', () => {
  it('echoes the first line of the system prompt and the last user text by default, with usage', async () => {
    const reply = await ask(sdk());
    expect(reply.content).toEqual([{ type: 'text', text: 'You are Marvin. | hello' }]);
    expect(reply).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-haiku-4-5', stop_reason: 'end_turn' });
    expect(reply.usage.input_tokens).toBeGreaterThan(0);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]!.body.messages).toEqual([{ role: 'user', content: 'hello' }]);
  });

  it('answers the queue in order, then the script', async () => {
    api.enqueue(toolUse('lookup', { q: 'x' }, { id: 'toolu_1' }), text('queued', { usage: { input_tokens: 7, cache_read_input_tokens: 3 } }));
    api.respondWith((r) => text(`scripted for ${r.body.model}`));
    const client = sdk();
    expect((await ask(client)).content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }]);
    const second = await ask(client);
    expect(second.content).toEqual([{ type: 'text', text: 'queued' }]);
    expect(second.usage).toMatchObject({ input_tokens: 7, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 });
    expect((await ask(client)).content).toEqual([{ type: 'text', text: 'scripted for claude-haiku-4-5' }]);
  });

  it('sends error bodies the SDK reads, and retry-after it honours', async () => {
    api.enqueue(apiError(429, { retryAfter: 0.01 }), text('after the wait'));
    const reply = await ask(sdk({ maxRetries: 1 }));
    expect(reply.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    expect(api.requests).toHaveLength(2);

    api.enqueue(apiError(529, { message: 'busy' }));
    const err = await ask(sdk()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err).toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error', message: 'busy' } } });
  });

  it('holds an answer for delayMs, and lets a client that gave up go', async () => {
    api.enqueue(text('late', { delayMs: 5_000 }));
    const err = await ask(sdk({ timeout: 50 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
  });

  it('refuses what the real API refuses: a tool_result without its tool_use, a tool_use left unanswered', () => {
    const base = { model: 'm', max_tokens: 1 };
    expect(invalidRequest({ ...base, messages: [] })).toMatch(/at least one/);
    expect(invalidRequest({ ...base, messages: [{ role: 'assistant', content: 'hi' }] })).toMatch(/first message/);
    expect(invalidRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'x' }] }] })).toMatch(/unexpected tool_use_id/);
    expect(
      invalidRequest({
        ...base,
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 't', input: {} }] },
          { role: 'user', content: 'no result' },
        ],
      }),
    ).toMatch(/without tool_result/);
    expect(
      invalidRequest({
        ...base,
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 't', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'ok' }] },
        ],
      }),
    ).toBeNull();
  });

  it('answers an invalid request with 400 invalid_request_error', async () => {
    const err = await sdk()
      .messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'assistant', content: 'first' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error' } } });
  });
});
