// The bundled Kora plugin: Kora's identity, a persona (SOUL.md) and a system prompt shipped as
// package data, and Kora's hooks around the reasoning loop (cost ladder, haiku router, audit,
// kora__* tool bridge; see hooks.ts). The identity files are read once, in `register`, so
// missing data fails the plugin at boot.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { definePlugin, PluginError, readEnvFlag, SOUL_ENV, SYSTEM_PROMPT_ENV, type IdentitySpec, type PluginContext } from '@kora/runtime';
import { koraConfigSchema, koraSettings, type KoraConfig } from './config.js';
import { registerKoraHooks } from './hooks.js';

export type { KoraConfig } from './config.js';
export type { CostRung, CostRungName } from './cost-rung.js';
export type { CostRefusal } from './cost-ladder.js';
export { normalizeText, openingWords, textDigest, valueDigest, OPENING_WORDS } from './digest.js';
export { ESCALATED_SEAM, LLM_CALL_SEAM, TOOL_CALL_SEAM } from './audit.js';

// Relative to this module (src/ in tests, dist/ when installed), never to the working directory.
const PACKAGE_JSON = new URL('../package.json', import.meta.url);
const DEFAULT_SOUL = new URL('../data/SOUL.md', import.meta.url);
const DEFAULT_SYSTEM_PROMPT = new URL('../data/system-prompt.md', import.meta.url);

const DISABLE_ENV = 'KORA_DISABLE_IDENTITY_PROVIDER';

export default definePlugin<KoraConfig>({
  id: 'kora',
  configSchema: koraConfigSchema,
  async register(ctx) {
    if (readEnvFlag(ctx.env, DISABLE_ENV)) ctx.log.info(`${DISABLE_ENV} is set: the Kora identity provider is not registered`);
    else await registerIdentity(ctx);
    // The hooks do not depend on the identity: another plugin's persona still gets Kora's cost ladder and audit.
    registerKoraHooks(ctx, koraSettings(ctx.config));
  },
});

async function registerIdentity(ctx: PluginContext<KoraConfig>): Promise<void> {
  const soulFile = identityFile(ctx, SOUL_ENV, DEFAULT_SOUL, 'soul');
  const promptFile = identityFile(ctx, SYSTEM_PROMPT_ENV, DEFAULT_SYSTEM_PROMPT, 'system prompt');
  const [version, soul, systemPrompt] = await Promise.all([packageVersion(ctx), readIdentityFile(ctx, soulFile), readIdentityFile(ctx, promptFile)]);
  if (systemPrompt.trim() === '') {
    throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Kora's system prompt file ${promptFile.path} (${promptFile.origin}) is empty`, {
      pluginId: ctx.pluginId,
      path: promptFile.path,
    });
  }
  ctx.log.debug({ soul: soulFile.path, systemPrompt: promptFile.path }, 'Kora identity files read');

  ctx.registerIdentityProvider(function koraIdentity(): IdentitySpec {
    return {
      soul,
      systemPrompt,
      metadata: { agent_name: 'Kora', plugin_name: 'kora', version, persona: 'operations_assistant' },
    };
  });
}

interface IdentityFile {
  readonly path: string;
  readonly what: string;
  /** Where the path came from, for error messages. */
  readonly origin: string;
}

function identityFile(ctx: PluginContext, env: string, packaged: URL, what: string): IdentityFile {
  const override = ctx.env[env]?.trim();
  if (override) return { path: resolve(override), what, origin: `set by ${env}` };
  return { path: fileURLToPath(packaged), what, origin: 'package data of @kora/plugin-kora' };
}

async function readIdentityFile(ctx: PluginContext, file: IdentityFile): Promise<string> {
  try {
    return await readFile(file.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    const fix = file.origin.startsWith('set by') ? `fix ${file.origin.slice('set by '.length)} or unset it to use Kora's own` : 'the package is incomplete: reinstall it';
    throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Kora's ${file.what} file ${file.path} (${file.origin}) ${problem}; ${fix}`, {
      pluginId: ctx.pluginId,
      path: file.path,
    });
  }
}

async function packageVersion(ctx: PluginContext): Promise<string> {
  const manifest = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') {
    throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `${fileURLToPath(PACKAGE_JSON)} has no version`, { pluginId: ctx.pluginId });
  }
  return manifest.version;
}
