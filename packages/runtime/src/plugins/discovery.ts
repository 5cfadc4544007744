// Finding plugins: bundled → installed (node_modules, scoped too) → user ($KORA_HOME/plugins)
// → project (./.kora/plugins, opt-in). A later source wins an id clash, and the shadowing is logged.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
  const consider = ({ dir, scope }: Candidate): boolean => {
    let bytes: Buffer;
    try {
      bytes = readPackageBytes(join(dir, 'package.json'));
    } catch {
      return false;
    }
    // Cheap pre-check on the bytes: most packages in node_modules are not plugins, and decoding
    // and parsing every package.json costs boot time (a project has hundreds).
    if (!bytes.includes(KORA_KEY)) return false;
    try {
      const pkg: unknown = JSON.parse(bytes.toString('utf8'));
      if (hasManifest(pkg)) out.push({ dir, pkg: pkg as Record<string, unknown>, scope });
    } catch {
      // A broken package.json in node_modules that is not a plugin is not ours to report.
    }
    return true;
  };
  const names = listDirs(nodeModules);
  const fingerprint = folderFingerprint(nodeModules, names);
  const cached = readCandidates(nodeModules, fingerprint);
  if (cached) {
    for (const candidate of cached) consider(candidate);
    return out;
  }
  const candidates: Candidate[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const scoped = name.startsWith('@');
    for (const dir of scoped ? listDirs(join(nodeModules, name)).map((sub) => join(nodeModules, name, sub)) : [join(nodeModules, name)]) {
      const candidate = { dir, scope: scoped ? name : undefined };
      if (consider(candidate)) candidates.push(candidate);
    }
  }
  writeCandidates(nodeModules, fingerprint, candidates);
  return out;
}

/** A node_modules package whose package.json mentions "kora": maybe a plugin. */
interface Candidate {
  readonly dir: string;
  readonly scope: string | undefined;
}

/**
 * The packages of a node_modules folder whose package.json mentions "kora" are remembered in
 * `node_modules/.cache/kora/discovery.json`, with a fingerprint of the folder: the modification
 * times of node_modules itself, of each `@scope` folder in it, and of npm's
 * `.package-lock.json`. Installing, removing, upgrading or linking a package changes one of them
 * (npm moves package folders in and out, and rewrites its lock), and then every package.json is
 * read again; the candidates' own package.json are read at every boot, so a plugin's manifest is
 * never stale. Reading the ≈ 450 package.json of a project took ≈ 13 ms of each boot (decision 0174).
 */
const CACHE_VERSION = 1;
const cacheFile = (nodeModules: string) => join(nodeModules, '.cache', 'kora', 'discovery.json');

function folderFingerprint(nodeModules: string, names: readonly string[]): string {
  const mtime = (path: string) => {
    try {
      return String(statSync(path, { bigint: true }).mtimeNs);
    } catch {
      return '-';
    }
  };
  const parts = [`.:${mtime(nodeModules)}`, `lock:${mtime(join(nodeModules, '.package-lock.json'))}`];
  for (const name of names) if (name.startsWith('@')) parts.push(`${name}:${mtime(join(nodeModules, name))}`);
  return parts.join('|');
}

function readCandidates(nodeModules: string, fingerprint: string): Candidate[] | undefined {
  try {
    const cache = JSON.parse(readFileSync(cacheFile(nodeModules), 'utf8')) as { version?: unknown; fingerprint?: unknown; candidates?: unknown };
    if (cache.version !== CACHE_VERSION || cache.fingerprint !== fingerprint || !Array.isArray(cache.candidates)) return undefined;
    return (cache.candidates as { name?: unknown; scope?: unknown }[])
      .filter((c) => typeof c.name === 'string' && !c.name.includes('..'))
      .map((c) => ({ dir: join(nodeModules, c.name as string), scope: typeof c.scope === 'string' ? c.scope : undefined }));
  } catch {
    return undefined; // none yet, or unreadable: read every package.json
  }
}

/** `fingerprint`: taken before the scan, so a change during it makes the next one differ. */
function writeCandidates(nodeModules: string, fingerprint: string, candidates: readonly Candidate[]): void {
  try {
    const file = cacheFile(nodeModules);
    // Creating node_modules/.cache changes node_modules' own time: then the fingerprint is taken
    // again, to include the change this process made.
    if (mkdirSync(dirname(file), { recursive: true }) !== undefined) fingerprint = folderFingerprint(nodeModules, listDirs(nodeModules));
    const body = { version: CACHE_VERSION, fingerprint, candidates: candidates.map((c) => ({ name: c.dir.slice(nodeModules.length + 1), scope: c.scope })) };
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, file);
  } catch {
    // A node_modules this user cannot write (a global install): every boot reads it all.
  }
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
