// A bundled plugin's script loaded without its ES module entry (decision 0176). The entry that
// scripts/bundle-plugins.mjs generates (`dist/index.js`) only imports what the script needs from
// outside itself and hands it to `loadPluginScript` (decision 0142); as an ES module, each costs
// a boot the loader's resolution, linking and asynchronous file reads: ≈ 2 ms a plugin, twelve
// times over. Its first line says what it would import (`// kora-plugin-script {…}`), so the
// runtime can load the script itself, handing it the very modules the entry would have:
// - the runtime's own entry points (`@kora/runtime`, `/http`, `/load`), when the plugin's folder
//   finds this runtime package, imported by the file URL its exports map names;
// - another plugin (`@kora/plugin-web`), when the plugin's folder finds the package of one this
//   process loaded already, and that package's entry is the one loaded;
// - a library imported lazily, through a one-line module beside the entry (`index.import.js`),
//   whose `import()` resolves from the plugin's folder, imported the first time one is asked for.
// Anything else (an entry tsc rewrote, a dependency found elsewhere, resolution changed by Node
// options or hooks) takes the entry as before: this path is an optimization, never a difference.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolutionHooked, runtimePackageDir } from './host-runtime.js';
import { importEntry } from './import-entry.js';

/** The first line of a generated entry; the rest of the line is its header, as JSON. */
export const SCRIPT_HEADER = '// kora-plugin-script ';

/** What a generated entry imports and hands to its script, as its first line says. */
export interface ScriptHeader {
  /** The script's name for its code cache (`kora-plugin-web`). */
  name: string;
  /** The script's hash (its cache's name). */
  hash: string;
  /** The modules the script's eager code imports, by specifier. */
  provided: string[];
  /** The module beside the entry whose default export is `(id) => import(id)`, relative to it. */
  importer: string;
}

/** A plugin this process imported: the real path of its entry, and its exports. */
export interface LoadedEntry {
  entry: string;
  exports: Record<string, unknown>;
}

/** Plugins imported so far, by the real path of their package folder. */
export type LoadedPackages = Map<string, LoadedEntry>;

type LoadPluginScript = (entryUrl: string, name: string, hash: string, provided: Record<string, unknown>, importer: (id: string) => Promise<unknown>) => Record<string, unknown>;

/** The conditions Node 20.19+ resolves an `import` with (no `--conditions`: see resolutionHooked). */
const IMPORT_CONDITIONS = new Set(['node', 'import', 'module-sync', 'default']);

/**
 * Import a plugin's entry: its script directly when the entry is a generated one whose imports
 * all resolve to modules this process can hand over; else the entry, as an ES module. Resolves
 * to the module's exports (what `import()` of the entry would give: `default` and the names), and
 * which way they were loaded.
 */
export async function importPluginEntry(entry: string, packageDir: string, loaded: LoadedPackages): Promise<{ exports: Record<string, unknown>; via: 'script' | 'entry' }> {
  const real = realpathSync(entry);
  // Off where resolution may not be Node's default (resolutionHooked): the entry then resolves.
  const plan = resolutionHooked() ? undefined : readScriptHeader(real);
  const script = plan ? await loadScript(real, plan, loaded) : undefined;
  const exports = script ?? ((await importEntry(pathToFileURL(entry).href)) as Record<string, unknown>);
  loaded.set(realpathSync(packageDir), { entry: real, exports });
  return { exports, via: script ? 'script' : 'entry' };
}

/** The header of a generated entry, or undefined: not one. */
export function readScriptHeader(entry: string): ScriptHeader | undefined {
  let text: string;
  try {
    text = readFileSync(entry, 'utf8');
  } catch {
    return undefined;
  }
  if (!text.startsWith(SCRIPT_HEADER)) return undefined;
  const line = text.slice(SCRIPT_HEADER.length, text.indexOf('\n'));
  try {
    const header = JSON.parse(line) as Partial<ScriptHeader>;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
    if (typeof header.name !== 'string' || typeof header.hash !== 'string' || typeof header.importer !== 'string' || !strings(header.provided)) return undefined;
    return header as ScriptHeader;
  } catch {
    return undefined;
  }
}

/** The script's exports, or undefined when one of its imports cannot be handed over as is. */
async function loadScript(entry: string, header: ScriptHeader, loaded: LoadedPackages): Promise<Record<string, unknown> | undefined> {
  const from = dirname(entry);
  const importer = resolve(from, header.importer);
  if (!isFile(importer)) return undefined;
  const load = resolveProvided('@kora/runtime/load', from, loaded);
  if (!load) return undefined;
  const imports: (() => Promise<unknown>)[] = [];
  for (const id of header.provided) {
    const found = resolveProvided(id, from, loaded);
    if (!found) return undefined;
    imports.push(found);
  }
  // Started once all are known, awaited together: one that fails is this plugin's import error,
  // never an unhandled rejection.
  const [loader, ...modules] = await Promise.all([load(), ...imports.map((start) => start())]);
  const { loadPluginScript } = loader as { loadPluginScript: LoadPluginScript };
  const provided = Object.fromEntries(header.provided.map((id, i) => [id, modules[i]]));
  let facade: Promise<(id: string) => Promise<unknown>> | undefined;
  const importFromPlugin = (id: string): Promise<unknown> => {
    facade ??= (importEntry(pathToFileURL(importer).href) as Promise<{ default: (id: string) => Promise<unknown> }>).then((m) => m.default);
    return facade.then((fn) => fn(id));
  };
  return loadPluginScript(pathToFileURL(entry).href, header.name, header.hash, provided, importFromPlugin);
}

/**
 * How to get what `import(id)` from a module in `from` gives, when it is this runtime's own entry
 * point or a plugin already loaded, else undefined.
 */
function resolveProvided(id: string, from: string, loaded: LoadedPackages): (() => Promise<unknown>) | undefined {
  const { name, subpath } = splitSpecifier(id);
  if (!name) return undefined;
  const dir = findPackage(name, from);
  if (!dir) return undefined;
  if (dir === runtimeRealDir()) {
    // Every plugin asks for the same few entry points of this package, which cannot change under it.
    let target = runtimeEntries.get(subpath);
    if (target === undefined) runtimeEntries.set(subpath, (target = exportedFile(dir, subpath) ?? null));
    const url = target === null ? undefined : pathToFileURL(target).href;
    return url === undefined ? undefined : () => importEntry(url);
  }
  const target = exportedFile(dir, subpath);
  if (!target) return undefined;
  const plugin = loaded.get(dir);
  if (plugin && subpath === '.' && plugin.entry === target) return () => Promise.resolve(plugin.exports);
  return undefined;
}

/** `@scope/name/sub` → `@scope/name` and `./sub`. */
export function splitSpecifier(id: string): { name: string | undefined; subpath: string } {
  if (id.startsWith('.') || id.startsWith('/') || id.includes(':') || id.includes('\\') || id.includes('%')) return { name: undefined, subpath: '' };
  const parts = id.split('/');
  const size = id.startsWith('@') ? 2 : 1;
  if (parts.length < size || parts.slice(0, size).some((p) => !p)) return { name: undefined, subpath: '' };
  const rest = parts.slice(size);
  return { name: parts.slice(0, size).join('/'), subpath: rest.length ? `./${rest.join('/')}` : '.' };
}

/**
 * The real path of the package `name` as Node's ES module resolver finds it from `from`: the
 * nearest `<dir>/node_modules/<name>` folder, `dir` going up from `from` to the root.
 */
function findPackage(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The real path of the file a package's `exports` maps `subpath` to for an `import`: a string, or
 * nested condition objects, whose first key among the import conditions wins. Patterns, arrays,
 * `main` without `exports`: undefined (the entry then resolves it, as before).
 */
export function exportedFile(dir: string, subpath: string): string | undefined {
  let pkg: { exports?: unknown };
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown };
  } catch {
    return undefined;
  }
  const { exports } = pkg;
  if (exports === null || exports === undefined) return undefined;
  const keys = typeof exports === 'object' && !Array.isArray(exports) ? Object.keys(exports) : [];
  const dotted = keys.length > 0 && keys.every((k) => k.startsWith('.'));
  if (!dotted && keys.some((k) => k.startsWith('.'))) return undefined; // Node refuses a mix
  const target = pick(dotted ? (exports as Record<string, unknown>)[subpath] : subpath === '.' ? exports : undefined);
  if (!target?.startsWith('./') || target.includes('*')) return undefined;
  const file = resolve(dir, target);
  if (!file.startsWith(dir + sep) || !isFile(file)) return undefined;
  return realpathSync(file);
}

function pick(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const [condition, next] of Object.entries(value)) {
    if (IMPORT_CONDITIONS.has(condition)) return pick(next);
  }
  return undefined;
}

/** This runtime's entry points by subpath, as its `exports` maps them (null: not one). */
const runtimeEntries = new Map<string, string | null>();
let runtimeReal: string | null | undefined;
function runtimeRealDir(): string | null {
  if (runtimeReal === undefined) {
    const dir = runtimePackageDir();
    runtimeReal = dir ? realpathSync(dir) : null;
  }
  return runtimeReal;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
