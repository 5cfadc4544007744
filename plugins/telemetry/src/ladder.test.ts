// The whole loop on the real pieces: the engine (the reasoning plugin, the real SDK against the
// fake Messages API) writes a usage row, the telemetry sees it after the call, and the kora
// plugin's cost ladder refuses the next turn at hard_stop_100.
import kora from '@kora/plugin-kora';
import reasoning from '@kora/plugin-reasoning';
import { definePlugin, type Engine } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, text, type FakeAnthropic } from '../../../test/fakes/anthropic.js';
import telemetry from './index.js';
import { T0 } from './test-rig.test-helper.js';

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

describe('cost_telemetry with the engine and the cost ladder', () => {
  it('a call that spends the 24 h budget turns the rung to hard_stop_100, and the next turn is refused without a request', async () => {
    api = await startFakeAnthropic();
    harness = await createPluginHarness([identity, kora, reasoning, telemetry], {
      clock: new ManualClock(T0),
      // 1 M input tokens of the cheap model cost 1 USD (the reasoning plugin's default price table).
      config: { telemetry: { budgets: { rolling_24h: 1 } }, reasoning: { retries: 0 } },
      env: { CLAUDE_CODE_OAUTH_TOKEN: 'oauth-test-token', ANTHROPIC_BASE_URL: api.url, KORA_DISABLE_IDENTITY_PROVIDER: 'true' },
    });
    await harness.resolveIdentity();
    await harness.startDaemons();
    const engine: Engine = harness.services.get('engine');
    const rung = harness.services.get('cost.rung');
    api.enqueue(text('fine', { usage: { input_tokens: 1_000_000, output_tokens: 10 } }));
    const reply = await engine.respond({ route: 'cli', messages: [{ role: 'user', content: 'hello' }] });
    expect(reply.usage.costUsd).toBeGreaterThan(1);
    await expect.poll(() => rung.current()).toBe('hard_stop_100');
    await expect(engine.respond({ route: 'cli', messages: [{ role: 'user', content: 'again' }] })).rejects.toMatchObject({ code: 'KORA_ERR_REASONING_REFUSED', details: { refusal: 'cost_hard_stop' } });
    expect(api.requests).toHaveLength(1);
  });
});
