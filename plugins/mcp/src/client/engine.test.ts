// The servers' tools as the engine sees them: the reasoning plugin (the real SDK against the fake
// Messages API) offers mcp__<server>__<tool> once the health check listed them, and runs the
// model's tool_use through the pool to the real MCP server (a stdio child).
import { fileURLToPath } from 'node:url';
import reasoning from '@kora/plugin-reasoning';
import { definePlugin, type Engine } from '@kora/runtime';
import { createPluginHarness, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, text, toolUse, type FakeAnthropic } from '../../../../test/fakes/anthropic.js';
import mcp from '../index.js';
import { HEALTH_TASK } from './daemon.js';

const FIXTURE = fileURLToPath(new URL('./__fixtures__/mcp-server.mjs', import.meta.url));
const identity = definePlugin({
  id: 'testbot',
  register: (ctx) => ctx.registerIdentityProvider(() => ({ systemPrompt: 'You are Testbot.', soul: '', metadata: { agent_name: 'testbot' } })),
});

let api: FakeAnthropic | undefined;
let harness: PluginHarness | undefined;
afterEach(async () => {
  await harness?.close();
  await api?.close();
});

describe('mcp_consumption with the engine', () => {
  it('offers the servers tools to the model and answers its tool_use through the MCP server', async () => {
    api = await startFakeAnthropic();
    harness = await createPluginHarness([identity, reasoning, mcp], {
      config: { mcp: { servers: [{ name: 'local', command: process.execPath, args: [FIXTURE, 'local'] }] }, reasoning: { retries: 0 } },
      env: { CLAUDE_CODE_OAUTH_TOKEN: 'oauth-test-token', ANTHROPIC_BASE_URL: api.url },
    });
    await harness.resolveIdentity();
    await harness.startDaemons();
    await harness.runTask(HEALTH_TASK);
    const engine: Engine = harness.services.get('engine');
    api.enqueue(toolUse('mcp__local__add', { a: 20, b: 22 }, { id: 'toolu_1' }), text('It is 42.'));
    const reply = await engine.respond({ route: 'cli', messages: [{ role: 'user', content: 'add 20 and 22' }] });
    expect(reply.text).toBe('It is 42.');
    const offered = api.requests[0]!.body.tools?.map((t) => t.name) ?? [];
    expect(offered).toEqual(expect.arrayContaining(['mcp__local__echo', 'mcp__local__add', 'mcp__local__fail', 'mcp__local__whoami']));
    expect(offered).not.toContain('mcp__local__bad.name!');
    const toolResult = api.requests[1]!.body.messages.at(-1)!.content;
    expect(toolResult).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_1', content: JSON.stringify({ sum: 42 }) }]);
  });
});
