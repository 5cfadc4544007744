import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { IdentityProvider, PluginContext } from '@kora/runtime';
import { createSilentLogger } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import marvin, { createMarvin, DATA_FILES } from './index.js';

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));

/** A context that records what the plugin registers and refuses everything Marvin should not do. */
function fakeContext() {
  const providers: IdentityProvider[] = [];
  const refuse = (what: string) => () => {
    throw new Error(`marvin should not call ${what}`);
  };
  const ctx = {
    pluginId: 'marvin',
    config: {},
    log: createSilentLogger(),
    env: {},
    deployEnv: 'test',
    paths: { home: '/nonexistent', root: PACKAGE_DIR, data: '/nonexistent/data/marvin' },
    registerIdentityProvider: (p: IdentityProvider) => providers.push(p),
    on: refuse('on()'),
    registerDaemon: refuse('registerDaemon()'),
    registerTool: refuse('registerTool()'),
    audit: refuse('audit()'),
  } as unknown as PluginContext;
  return { ctx, providers };
}

async function claim(providers: IdentityProvider[]) {
  expect(providers).toHaveLength(1);
  return providers[0]?.({ deployEnv: 'test', home: '/nonexistent' });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('marvin plugin', () => {
  it('claims the identity with its persona, system prompt and metadata', async () => {
    const { ctx, providers } = fakeContext();
    await marvin.register(ctx);
    const spec = await claim(providers);
    const version = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
    expect(spec?.metadata).toEqual({ agent_name: 'Marvin', plugin_name: 'marvin', version, persona: 'paranoid_android_demo' });
    expect(spec?.systemPrompt).toMatch(/You are Marvin/);
    expect(spec?.systemPrompt).toMatch(/not Kora/);
    expect(spec?.soul).toMatch(/I am not Kora/);
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
    const { ctx, providers } = fakeContext();
    await marvin.register(ctx);
    expect((await claim(providers))?.soul).toBe(readFileSync(join(PACKAGE_DIR, DATA_FILES.soul), 'utf8'));
  });

  it('fails registration naming the missing data file, and registers nothing', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'marvin-pkg-'));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(join(PACKAGE_DIR, 'package.json'), join(copy, 'package.json'));
    cpSync(join(PACKAGE_DIR, DATA_FILES.systemPrompt), join(copy, DATA_FILES.systemPrompt));
    const { ctx, providers } = fakeContext();
    await expect(createMarvin(pathToFileURL(`${copy}/`)).register(ctx)).rejects.toThrow(
      `cannot read its persona ${join(copy, DATA_FILES.soul)}: the file does not exist. The kora-plugin-marvin package is incomplete; reinstall it.`,
    );
    expect(providers).toHaveLength(0);
  });

  it('refuses an empty system prompt file instead of registering a provider that never claims', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'marvin-pkg-'));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(join(PACKAGE_DIR, 'package.json'), join(copy, 'package.json'));
    cpSync(join(PACKAGE_DIR, DATA_FILES.soul), join(copy, DATA_FILES.soul));
    writeFileSync(join(copy, DATA_FILES.systemPrompt), '  \n');
    const { ctx } = fakeContext();
    await expect(createMarvin(pathToFileURL(`${copy}/`)).register(ctx)).rejects.toThrow(/system prompt .*system-prompt\.md is empty/);
  });

  it('declares in its manifest exactly what it registers', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { kora: { id: string; hooks: string[]; daemons: string[] } };
    expect(pkg.kora).toMatchObject({ id: marvin.id, hooks: ['pre_agent_identity_set'], daemons: [] });
  });
});
