import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPluginHarness, type HarnessedPlugin, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import marvin, { createMarvin, DATA_FILES } from './index.js';

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
const harnesses: PluginHarness[] = [];

/** Marvin registered in the runtime's test harness, reading its data from `root`. */
async function boot(plugin: HarnessedPlugin = marvin, root = PACKAGE_DIR) {
  const harness = await createPluginHarness(plugin, { root });
  harnesses.push(harness);
  return harness;
}

const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const c of cleanups.splice(0)) c();
});

describe('marvin plugin', () => {
  it('claims the identity with its persona, system prompt and metadata', async () => {
    const harness = await boot();
    expect(harness.registered.get('marvin')).toMatchObject({ hooks: ['pre_agent_identity_set'], daemons: [], tools: [], identityProvider: true });
    const spec = (await harness.resolveIdentity()).spec;
    const version = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
    expect(spec.metadata).toEqual({ agent_name: 'Marvin', plugin_name: 'marvin', version, persona: 'paranoid_android_demo' });
    expect(spec.systemPrompt).toMatch(/You are Marvin/);
    expect(spec.systemPrompt).toMatch(/not Kora/);
    expect(spec.soul).toMatch(/I am not Kora/);
    expect(Object.isFrozen(spec)).toBe(true);
  });

  it('reads its data relative to the package, not the working directory', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'marvin-cwd-'));
    const before = process.cwd();
    process.chdir(elsewhere);
    cleanups.push(() => {
      process.chdir(before);
      rmSync(elsewhere, { recursive: true, force: true });
    });
    const harness = await boot();
    expect((await harness.resolveIdentity()).spec.soul).toBe(readFileSync(join(PACKAGE_DIR, DATA_FILES.soul), 'utf8'));
  });

  it('fails registration naming the missing data file, and registers nothing', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'marvin-pkg-'));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(join(PACKAGE_DIR, 'package.json'), join(copy, 'package.json'));
    cpSync(join(PACKAGE_DIR, DATA_FILES.systemPrompt), join(copy, DATA_FILES.systemPrompt));
    await expect(boot(createMarvin(pathToFileURL(`${copy}/`)), copy)).rejects.toThrow(
      `cannot read its persona ${join(copy, DATA_FILES.soul)}: the file does not exist. The kora-plugin-marvin package is incomplete; reinstall it.`,
    );
  });

  it('refuses an empty system prompt file instead of registering a provider that never claims', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'marvin-pkg-'));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(join(PACKAGE_DIR, 'package.json'), join(copy, 'package.json'));
    cpSync(join(PACKAGE_DIR, DATA_FILES.soul), join(copy, DATA_FILES.soul));
    writeFileSync(join(copy, DATA_FILES.systemPrompt), '  \n');
    await expect(boot(createMarvin(pathToFileURL(`${copy}/`)), copy)).rejects.toThrow(/system prompt .*system-prompt\.md is empty/);
  });

  it('declares in its manifest exactly what it registers', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { kora: { id: string; hooks: string[]; daemons: string[] } };
    expect(pkg.kora).toMatchObject({ id: marvin.id, hooks: ['pre_agent_identity_set'], daemons: [] });
  });
});
