import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityProvider, PluginContext } from '@kora/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HookBus } from '../../../packages/runtime/src/hooks/hook-bus.js';
import { resolveIdentity } from '../../../packages/runtime/src/identity/resolve.js';
import { createSilentLogger } from '../../../packages/runtime/src/log/logger.js';
import plugin from './index.js';

const packageJson = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const packagedSoul = await readFile(new URL('../data/SOUL.md', import.meta.url), 'utf8');
const packagedPrompt = await readFile(new URL('../data/system-prompt.md', import.meta.url), 'utf8');

/** Run the plugin's `register` against a real HookBus with only the context fields it uses. */
async function boot(env: Record<string, string | undefined> = {}) {
  const logger = createSilentLogger();
  const hooks = new HookBus({ logger });
  const infos: string[] = [];
  const log = Object.assign(Object.create(logger) as typeof logger, { info: (msg: string) => void infos.push(msg) });
  const ctx = {
    pluginId: 'kora',
    env,
    log,
    registerIdentityProvider: (provider: IdentityProvider) => void hooks.register('kora', 'pre_agent_identity_set', provider),
  } as unknown as PluginContext;
  await plugin.register(ctx);
  return { hooks, infos, resolve: () => resolveIdentity({ hooks, request: { deployEnv: 'test', home: '/tmp/kora' }, logger }) };
}

describe('kora plugin', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kora-plugin-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('provides the Kora identity from its package data', async () => {
    const { resolve } = await boot();
    const identity = await resolve();
    expect(identity.source).toEqual({ kind: 'plugin', pluginId: 'kora' });
    expect(identity.agentName).toBe('Kora');
    expect(identity.spec.metadata).toEqual({ agent_name: 'Kora', plugin_name: 'kora', version: packageJson.version, persona: 'operations_assistant' });
    expect(identity.spec.soul).toBe(packagedSoul);
    expect(identity.spec.systemPrompt).toBe(packagedPrompt);
    expect(identity.spec.systemPrompt).toContain('You are Kora');
  });

  it('reads its files relative to the package, not the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { resolve } = await boot();
      expect((await resolve()).spec.soul).toBe(packagedSoul);
    } finally {
      process.chdir(cwd);
    }
  });

  it('lets KORA_SYSTEM_PROMPT_PATH and KORA_SOUL_MD_PATH override each file on its own', async () => {
    const prompt = join(dir, 'prompt.md');
    const soul = join(dir, 'soul.md');
    await writeFile(prompt, 'Custom prompt.');
    await writeFile(soul, 'Custom soul.');

    const promptOnly = await (await boot({ KORA_SYSTEM_PROMPT_PATH: prompt })).resolve();
    expect(promptOnly.spec.systemPrompt).toBe('Custom prompt.');
    expect(promptOnly.spec.soul).toBe(packagedSoul);

    const soulOnly = await (await boot({ KORA_SOUL_MD_PATH: soul })).resolve();
    expect(soulOnly.spec.systemPrompt).toBe(packagedPrompt);
    expect(soulOnly.spec.soul).toBe('Custom soul.');
    expect(soulOnly.agentName).toBe('Kora');
  });

  it('fails register, naming the file and the variable, when an override does not exist', async () => {
    const missing = join(dir, 'missing.md');
    const error = await boot({ KORA_SOUL_MD_PATH: missing }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KORA_ERR_PLUGIN_REGISTER', pluginId: 'kora' });
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('KORA_SOUL_MD_PATH');
  });

  it('fails register when the system prompt file is empty', async () => {
    const empty = join(dir, 'empty.md');
    await writeFile(empty, '\n');
    await expect(boot({ KORA_SYSTEM_PROMPT_PATH: empty })).rejects.toThrow(/empty/);
  });

  it.each(['true', '1', 'TRUE'])('registers no provider when KORA_DISABLE_IDENTITY_PROVIDER=%s, and says so', async (value) => {
    const { hooks, infos, resolve } = await boot({ KORA_DISABLE_IDENTITY_PROVIDER: value });
    expect(hooks.registrations()).toEqual([]);
    expect(infos.join('\n')).toContain('KORA_DISABLE_IDENTITY_PROVIDER');
    await expect(resolve()).rejects.toMatchObject({ code: 'KORA_ERR_IDENTITY_UNRESOLVED' });
  });

  it.each(['false', '0', ''])('keeps the provider when KORA_DISABLE_IDENTITY_PROVIDER=%j', async (value) => {
    const { hooks } = await boot({ KORA_DISABLE_IDENTITY_PROVIDER: value });
    expect(hooks.registrations()).toEqual([{ pluginId: 'kora', hook: 'pre_agent_identity_set' }]);
  });
});
