// Where this runtime package lives, and making it importable as `@kora/runtime` by a plugin
// that cannot find it from its own folder (DESIGN §2: plugins take the runtime as a peer
// dependency, so the host provides it).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResolveHooksData } from './resolve-hooks.js';

/** The runtime package's folder: this code may sit in src/, dist/ or a bundle chunk under it. */
export function runtimePackageDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return dir;
}

let registered = false;

/**
 * Before importing a plugin from `pluginDir`: if no `node_modules/@kora/runtime` is visible from
 * it, register resolution hooks that map `@kora/runtime` (and `/testing`) to this runtime's
 * compiled entry points. Once per process; costs nothing for plugins that resolve it themselves.
 */
export function provideHostRuntime(pluginDir: string): void {
  if (registered || runtimeVisibleFrom(pluginDir)) return;
  const root = runtimePackageDir();
  if (!root) return;
  const entry = join(root, 'dist', 'index.js');
  const hooks = join(root, 'dist', 'plugins', 'resolve-hooks.js');
  // Running from sources before a build: nothing to map to; the import fails with its own error.
  if (!existsSync(entry) || !existsSync(hooks)) return;
  const data: ResolveHooksData = {
    aliases: {
      '@kora/runtime': pathToFileURL(entry).href,
      '@kora/runtime/testing': pathToFileURL(join(root, 'dist', 'testing.js')).href,
    },
  };
  register(pathToFileURL(hooks).href, { data });
  registered = true;
}

function runtimeVisibleFrom(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', '@kora', 'runtime', 'package.json'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * Node options that can make a module resolve elsewhere than the default resolution finds it:
 * other export conditions, symlinks kept, code run first that may register resolution hooks.
 */
const RESOLUTION_OPTIONS = /(?:^|\s)(?:--conditions|-C|--import|--loader|--experimental-loader|--require|-r|--preserve-symlinks|--experimental-policy)(?:[=\s]|$)/;

/**
 * Whether module resolution may differ from Node's default in this process: hooks registered
 * here (provideHostRuntime) or Node options that change it. Loading a bundled plugin's script
 * without its entry (plugin-script.ts) resolves its imports by the default rules, so it is off then.
 */
export function resolutionHooked(): boolean {
  return registered || RESOLUTION_OPTIONS.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
}
