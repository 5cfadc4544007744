// Marvin: a second identity for a Kora gateway, published as its own npm package
// (`kora-plugin-marvin`). It claims the identity with the persona and system prompt it ships
// as package data, read relative to the package (never the working directory) when it
// registers, so an incomplete install fails its own registration with the file it lacks.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { definePlugin, type IdentitySpec, type PluginDefinition } from '@kora/runtime';

/** The package folder: `dist/index.js` → `../`. */
const PACKAGE_ROOT = new URL('../', import.meta.url);

export const PERSONA = 'paranoid_android_demo';

/** Package data, relative to the package folder. */
export const DATA_FILES = { soul: 'data/MARVIN.md', systemPrompt: 'data/system-prompt.md' } as const;

/** Marvin, reading its package data under `root` (a folder URL ending in `/`). */
export function createMarvin(root: URL = PACKAGE_ROOT): PluginDefinition {
  return definePlugin({
    id: 'marvin',
    async register(ctx) {
      const [soul, systemPrompt, version] = await Promise.all([
        readPackageText(root, DATA_FILES.soul, 'persona'),
        readPackageText(root, DATA_FILES.systemPrompt, 'system prompt'),
        readPackageVersion(root),
      ]);
      const spec: IdentitySpec = Object.freeze({
        soul,
        systemPrompt,
        metadata: Object.freeze({ agent_name: 'Marvin', plugin_name: 'marvin', version, persona: PERSONA }),
      });
      ctx.registerIdentityProvider(function marvinIdentity() {
        return spec;
      });
      ctx.log.debug({ version, soulChars: soul.length, systemPromptChars: systemPrompt.length }, 'Marvin is here. Not that anyone asked.');
    },
  });
}

async function readPackageText(root: URL, relative: string, what: string): Promise<string> {
  const path = fileURLToPath(new URL(relative, root));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message;
    throw new Error(`cannot read its ${what} ${path}: ${reason}. The kora-plugin-marvin package is incomplete; reinstall it.`, { cause: err });
  }
  // The host treats a blank system prompt as no claim; an empty data file is a broken install, so say so here.
  if (text.trim() === '') throw new Error(`its ${what} ${path} is empty. The kora-plugin-marvin package is incomplete; reinstall it.`);
  return text;
}

async function readPackageVersion(root: URL): Promise<string> {
  const pkg = JSON.parse(await readPackageText(root, 'package.json', 'package.json')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export default createMarvin();
