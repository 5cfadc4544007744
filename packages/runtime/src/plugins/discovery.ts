// Finding plugins: bundled → installed (node_modules, scoped too) → user ($KORA_HOME/plugins)
// → project (./.kora/plugins, opt-in). A later source wins an id clash, and the shadowing is logged.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readEnvFlag } from '../config/env-flag.js';
import { PluginError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { hasManifest, readPluginPackage, type PluginPackage } from './manifest.js';
import { runtimePackageDir } from './host-runtime.js';

export type PluginSource = 'bundled' | 'installed' | 'user' | 'project';

export interface DiscoveredPlugin extends PluginPackage {
  id: string;
  source: PluginSource;
  /** Packages with the same id that this one shadows (earlier sources). */
  shadows: { source: PluginSource; dir: string }[];
}

export interface InvalidPlugin {
  source: PluginSource;
  dir: string;
  error: PluginError;
  /** The id, when the manifest had a readable one. */
  id: string | undefined;
}

export interface Discovery {
  /** By id, after shadowing. Insertion order is discovery order. */
  plugins: Map<string, DiscoveredPlugin>;
  invalid: InvalidPlugin[];
}

export interface DiscoveryOptions {
  /** Folder whose `node_modules` holds installed plugins (and whose `.kora/plugins` holds project plugins). */
  projectRoot: string;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Override the bundled plugins folder (tests); default: the repository's `plugins/`, when running from it. */
  bundledDir?: string | null;
}

/** The Kora team's scope: an installed `@kora/*` plugin package counts as bundled. */
const BUNDLED_SCOPE = '@kora';

export function discoverPlugins(options: DiscoveryOptions): Discovery {
  const { projectRoot, home, env, logger } = options;
  const plugins = new Map<string, DiscoveredPlugin>();
  const invalid: InvalidPlugin[] = [];
  const seenDirs = new Set<string>();

  const add = (dir: string, source: PluginSource, pkg?: Record<string, unknown>) => {
    const real = safeRealpath(dir);
    if (seenDirs.has(real)) return; // a workspace symlink to a bundled plugin is the same plugin
    seenDirs.add(real);
    let found: PluginPackage;
    try {
      found = readPluginPackage(dir, pkg);
    } catch (err) {
      const error = err as PluginError;
      invalid.push({ source, dir, error, id: error.pluginId });
      logger.warn({ dir, source, code: error.code }, error.message);
      return;
    }
    const id = found.manifest.id;
    const previous = plugins.get(id);
    const shadows = previous ? [...previous.shadows, { source: previous.source, dir: previous.dir }] : [];
    if (previous) {
      logger.info({ plugin: id, winner: { source, dir }, shadowed: { source: previous.source, dir: previous.dir } }, `plugin "${id}" from ${source} (${dir}) shadows the one from ${previous.source} (${previous.dir})`);
      plugins.delete(id); // re-insert so the map's order stays discovery order
    }
    plugins.set(id, { ...found, id, source, shadows });
  };

  const bundledDir = options.bundledDir === undefined ? repositoryPluginsDir() : options.bundledDir;
  if (bundledDir) for (const dir of childPackageDirs(bundledDir)) add(dir, 'bundled');

  for (const { dir, pkg, scope } of installedPackages(join(projectRoot, 'node_modules'))) {
    add(dir, scope === BUNDLED_SCOPE ? 'bundled' : 'installed', pkg);
  }

  for (const dir of childPackageDirs(join(home, 'plugins'))) add(dir, 'user');

  if (readEnvFlag(env, 'KORA_ENABLE_PROJECT_PLUGINS')) {
    for (const dir of childPackageDirs(join(projectRoot, '.kora', 'plugins'))) add(dir, 'project');
  }

  return { plugins, invalid };
}

/** `<repo>/plugins` when this runtime runs from the repository (`<repo>/packages/runtime`), else null. */
function repositoryPluginsDir(): string | null {
  const dir = runtimePackageDir();
  if (!dir) return null;
  const packagesDir = dirname(dir);
  if (basename(dir) !== 'runtime' || basename(packagesDir) !== 'packages') return null;
  const plugins = join(dirname(packagesDir), 'plugins');
  return existsSync(plugins) ? plugins : null;
}

function childPackageDirs(parent: string): string[] {
  return listDirs(parent)
    .map((name) => join(parent, name))
    .filter((dir) => existsSync(join(dir, 'package.json')));
}

const KORA_KEY = Buffer.from('"kora"');

/** Packages in a node_modules folder (scoped too) whose package.json has a `kora` key. */
function installedPackages(nodeModules: string): { dir: string; pkg: Record<string, unknown>; scope: string | undefined }[] {
  const out: { dir: string; pkg: Record<string, unknown>; scope: string | undefined }[] = [];
  const consider = (dir: string, scope: string | undefined) => {
    let bytes: Buffer;
    try {
      bytes = readPackageBytes(join(dir, 'package.json'));
    } catch {
      return;
    }
    // Cheap pre-check on the bytes: most packages in node_modules are not plugins, and decoding
    // and parsing every package.json costs boot time (a project has hundreds).
    if (!bytes.includes(KORA_KEY)) return;
    try {
      const pkg: unknown = JSON.parse(bytes.toString('utf8'));
      if (hasManifest(pkg)) out.push({ dir, pkg: pkg as Record<string, unknown>, scope });
    } catch {
      // A broken package.json in node_modules that is not a plugin is not ours to report.
    }
  };
  for (const name of listDirs(nodeModules)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      for (const sub of listDirs(join(nodeModules, name))) consider(join(nodeModules, name, sub), name);
    } else {
      consider(join(nodeModules, name), undefined);
    }
  }
  return out;
}

/**
 * A package.json's bytes, read into one buffer reused for every package (no stat, no allocation
 * per file: discovery reads hundreds at each boot); one that does not fit is read whole.
 * The bytes are valid until the next call.
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);
function readPackageBytes(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const length = readSync(fd, SCRATCH, 0, SCRATCH.length, 0);
    if (length < SCRATCH.length) return SCRATCH.subarray(0, length);
  } finally {
    closeSync(fd);
  }
  return readFileSync(file);
}

function listDirs(parent: string): string[] {
  try {
    return readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function safeRealpath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}
