// `kora plugins new <id>`: write a plugin package (plugin-scaffold.ts) into a new folder, and
// say what to run next. It never writes into a folder that has anything in it.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { KoraError, UsageError } from '../errors.js';
import { createSilentLogger } from '../log/logger.js';
import { discoverPlugins } from '../plugins/discovery.js';
import { runtimePackageDir } from '../plugins/host-runtime.js';
import { HOST_API_VERSION } from '../version.js';
import { escaped, type Io } from './output.js';
import { packageName, PLUGIN_ID_RE, runtimeDependency, scaffoldFiles } from './plugin-scaffold.js';

export interface PluginsNewOptions {
  id: string;
  /** Where to write it; default `./kora-plugin-<id>`. */
  dir?: string | undefined;
  /** The `@kora/runtime` dependency: a version range, a path or a tarball; default `^<this runtime's version>`. */
  runtime?: string | undefined;
  cwd: string;
}

export function runPluginsNew(options: PluginsNewOptions, io: Io): number {
  const { id, cwd } = options;
  if (!PLUGIN_ID_RE.test(id) || id.length > 64) {
    throw new UsageError(`"${id}" cannot be a plugin id: an id is lowercase letters, digits, "_" or "-", starting with a letter, at most 64 characters (e.g. weather)`, { id });
  }
  const dir = resolve(cwd, options.dir ?? packageName(id));
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new KoraError('KORA_ERR_SCAFFOLD_EXISTS', `${dir} already exists and is not an empty folder; kora plugins new writes only into a new or empty one. Pass --dir <another folder>.`, { dir });
  }
  const version = runtimeVersion();
  const runtimeSpec = options.runtime ? runtimeDependency(options.runtime, cwd) : `^${version}`;
  // A mistyped tarball path would otherwise surface only as npm's ENOENT at `npm install`.
  if (runtimeSpec.startsWith('file:') && !existsSync(runtimeSpec.slice('file:'.length))) {
    throw new UsageError(
      `--runtime ${options.runtime ?? ''}: ${runtimeSpec.slice('file:'.length)} does not exist. Pass the packed runtime (\`npm pack --workspaces --pack-destination <dir>\` at the repository's root writes kora-runtime-<version>.tgz), the runtime's folder, or a version range.`,
      { runtime: options.runtime },
    );
  }
  // A plugin with a bundled plugin's id shadows it once installed (a later source wins an id clash).
  const bundled = discoverPlugins({ projectRoot: cwd, home: join(cwd, '.kora'), env: {}, logger: createSilentLogger() }).plugins.get(id);
  if (bundled?.source === 'bundled') {
    io.err(escaped`kora: warning: "${id}" is the id of the bundled plugin at ${bundled.dir}: installed beside it, this plugin would shadow it. Pick another id unless you mean to replace it.`);
  }
  const files = scaffoldFiles({ id, runtimeSpec, runtimeVersion: version, hostApi: HOST_API_VERSION });
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text, { flag: 'wx' });
  }
  const shown = relative(cwd, dir) || '.';
  io.out(escaped`Wrote ${packageName(id)} (plugin ${id}) in ${dir}:`);
  for (const path of Object.keys(files)) io.out(escaped`  ${path}`);
  io.out('');
  io.out('Next:');
  io.out(escaped`  cd ${shown}`);
  io.out('  npm install && npm test   # compiles, then runs src/index.test.ts against @kora/runtime/testing');
  io.out(escaped`  npm pack                  # ${packageName(id)}-0.1.0.tgz`);
  io.out(escaped`Then, in the agent's project (the folder of its kora.yaml; \`kora init\` writes one):`);
  io.out(escaped`  npm install <path to>/${packageName(id)}-0.1.0.tgz && npx kora plugins enable ${id}`);
  return 0;
}

/** This runtime's own version: what a new plugin is written against. */
function runtimeVersion(): string {
  const root = runtimePackageDir();
  const pkg = root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }) : {};
  return typeof pkg.version === 'string' ? pkg.version : '0.1.0';
}
