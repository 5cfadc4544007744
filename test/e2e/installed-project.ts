// Packing packages with `npm pack` and installing the tarballs into a fresh project, the way a
// user installs Kora (no workspace links), then running that project's own `kora` bin.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { REPO, startProcess, type RunResult, type Running } from './helpers.js';

export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the tarball. */
  tarball: string;
  /** Paths inside the tarball, relative to the package root. */
  files: string[];
}

// npm exports its own settings to scripts it runs (npm_config_local_prefix and friends); under
// `npm test` they would point a nested npm at this repository. Keep only where the cache and
// the registry are.
const NPM_ENV_KEPT = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_cafile']);

export function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') || NPM_ENV_KEPT.has(k.toLowerCase())) env[k] = v;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

/** Run npm; throws with its output when it fails. */
export function npm(args: string[], cwd: string, timeoutMs = 300_000): string {
  const r = spawnSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `npm pack --json` in `cwd` with extra args (e.g. `--workspaces`); the tarballs go to `dest`. */
export function pack(cwd: string, dest: string, extra: string[] = []): PackedPackage[] {
  const out = npm(['pack', '--json', '--pack-destination', dest, ...extra], cwd);
  // Lifecycle scripts (prepack) may print before the JSON array.
  const start = out.search(/^\[/m);
  if (start < 0) throw new Error(`npm pack (in ${cwd}) printed no JSON:\n${out}`);
  const packed = JSON.parse(out.slice(start)) as { name: string; version: string; filename: string; files: { path: string }[] }[];
  return packed.map((p) => ({ name: p.name, version: p.version, tarball: join(dest, p.filename), files: p.files.map((f) => f.path) }));
}

export interface InstallReport {
  /** Packages with install scripts whose build output was taken from the repository's identical install. */
  seeded: string[];
  /** Packages whose install scripts ran here (`npm rebuild`). */
  rebuilt: string[];
}

/**
 * `npm install` the tarballs into `projectDir`. Install scripts are run afterwards, per package:
 * a package whose exact version the repository already installed and built (better-sqlite3:
 * a ~1 min node-gyp compile) gets that build output copied in; any other is rebuilt by npm.
 * The packages themselves always come from the registry and the tarballs, unlinked.
 */
export function installTarballs(projectDir: string, tarballs: string[]): InstallReport {
  npm(['install', '--prefer-offline', '--ignore-scripts', ...tarballs], projectDir);
  const lock = JSON.parse(readFileSync(join(projectDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; hasInstallScript?: boolean; link?: boolean }> };
  const report: InstallReport = { seeded: [], rebuilt: [] };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!entry.hasInstallScript || entry.link || !path) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const built = join(REPO, 'node_modules', name);
    const same =
      existsSync(join(built, 'package.json')) &&
      !lstatSync(built).isSymbolicLink() &&
      (JSON.parse(readFileSync(join(built, 'package.json'), 'utf8')) as { version?: string }).version === entry.version;
    if (same) {
      // Only what the fresh copy lacks: the files its install script produced.
      const target = join(projectDir, path);
      cpSync(built, target, { recursive: true, force: false, errorOnExist: false, filter: (src) => !relative(built, src).split(sep).includes('node_modules') });
      report.seeded.push(`${name}@${entry.version ?? '?'}`);
    } else {
      report.rebuilt.push(name);
    }
  }
  if (report.rebuilt.length > 0) {
    console.warn(`packaging e2e: building ${report.rebuilt.join(', ')} from source (no identical built copy in the repository's node_modules); this takes a while`);
    npm(['rebuild', ...report.rebuilt], projectDir);
  }
  return report;
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export interface BinOptions {
  cwd: string;
  env: Record<string, string>;
}

/** Run a bin to completion. */
export function runBin(bin: string, args: string[], options: BinOptions): RunResult {
  const r = spawnSync(bin, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start a long-running bin; `waitFor` watches stdout, `waitForErr` stderr. */
export function startBin(bin: string, args: string[], options: BinOptions): Running {
  return startProcess(bin, args, options);
}
