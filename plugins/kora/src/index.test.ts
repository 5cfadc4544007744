import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginHarness, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KORA_HOOKS } from './hooks.js';
import plugin from './index.js';

const packageJson = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const packagedSoul = await readFile(new URL('../data/SOUL.md', import.meta.url), 'utf8');
const packagedPrompt = await readFile(new URL('../data/system-prompt.md', import.meta.url), 'utf8');
const harnesses: PluginHarness[] = [];

/** Register the plugin in the runtime's test harness. */
async function boot(env: Record<string, string | undefined> = {}) {
  const harness = await createPluginHarness(plugin, { env });
  harnesses.push(harness);
  const infos = () => harness.logs.filter((l) => l.level === 'info').map((l) => l.msg);
  return { harness, infos, resolve: () => harness.resolveIdentity() };
}

describe('kora plugin', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kora-plugin-'));
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
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
    const { harness, infos, resolve } = await boot({ KORA_DISABLE_IDENTITY_PROVIDER: value });
    // Kora's other hooks stay: only the identity is off.
    expect(harness.registered.get('kora')).toMatchObject({ hooks: [...KORA_HOOKS], identityProvider: false });
    expect(infos().join('\n')).toContain('KORA_DISABLE_IDENTITY_PROVIDER');
    await expect(resolve()).rejects.toMatchObject({ code: 'KORA_ERR_IDENTITY_UNRESOLVED' });
  });

  it.each(['false', '0', ''])('keeps the provider when KORA_DISABLE_IDENTITY_PROVIDER=%j', async (value) => {
    const { harness } = await boot({ KORA_DISABLE_IDENTITY_PROVIDER: value });
    expect(harness.registered.get('kora')).toMatchObject({ hooks: ['pre_agent_identity_set', ...KORA_HOOKS], identityProvider: true });
  });
});
