// Shared by the plugin's tests: the reasoning plugin in the in-process harness, with an identity
// plugin before it, optional extra plugins after it, and the real SDK pointed at the fake API.
import { definePlugin, type Engine, type PluginContext } from '@kora/runtime';
import { createPluginHarness, type HarnessedPlugin, type PluginHarness } from '@kora/runtime/testing';
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/anthropic.js';
import { afterEach } from 'vitest';
import plugin from './index.js';

export const SYSTEM_PROMPT = 'You are Testbot, a careful assistant.\nAnswer briefly.';
export const SOUL = 'Testbot is dry and precise.';

export const identityPlugin = definePlugin({
  id: 'testbot',
  register(ctx) {
    ctx.registerIdentityProvider(() => ({ systemPrompt: SYSTEM_PROMPT, soul: SOUL, metadata: { agent_name: 'testbot' } }));
  },
});

export interface EngineRig {
  readonly api: FakeAnthropic;
  readonly harness: PluginHarness;
  readonly engine: Engine;
  /** The reasoning plugin's context, for reading its tables. */
  readonly db: PluginContext['db'];
  close(): Promise<void>;
}

export interface RigOptions {
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Registered after the reasoning plugin (recording hooks, tools). */
  plugins?: HarnessedPlugin[];
}

/** The reasoning plugin, started, with `engine` provided; retries are fast (the fake sends small retry-after values). */
export async function startEngine(options: RigOptions = {}): Promise<EngineRig> {
  const api = await startFakeAnthropic();
  let db: PluginContext['db'] | undefined;
  // A spy plugin after the reasoning plugin cannot see its ctx.db, so the rig wraps the plugin to keep it.
  const wrapped = {
    ...plugin,
    register(ctx: PluginContext<never>) {
      db = ctx.db;
      return plugin.register(ctx);
    },
  };
  const harness = await createPluginHarness([identityPlugin, wrapped, ...(options.plugins ?? [])], {
    config: { reasoning: { retries: 2, ...options.config } },
    env: { CLAUDE_CODE_OAUTH_TOKEN: 'oauth-test-token', ANTHROPIC_BASE_URL: api.url, ...options.env },
  });
  await harness.resolveIdentity();
  const status = (await harness.startDaemons()).find((d) => d.name === 'reasoning_engine');
  if (status?.state !== 'running') {
    await harness.close();
    await api.close();
    throw new Error(`reasoning_engine did not start: ${status?.error}`);
  }
  return {
    api,
    harness,
    engine: harness.services.get('engine'),
    db: db!,
    async close() {
      await harness.close();
      await api.close();
    },
  };
}

/** `rig(options)` starts an engine rig that is closed after each test; call it at a test file's top level. */
export function engineRigs(): (options?: RigOptions) => Promise<EngineRig> {
  const rigs: EngineRig[] = [];
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.close();
  });
  return async (options) => {
    const r = await startEngine(options);
    rigs.push(r);
    return r;
  };
}
