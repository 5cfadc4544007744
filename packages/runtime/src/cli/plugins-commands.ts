// `kora plugins enable|disable|info`: choose which plugins load, and in what order, by editing
// kora.yaml in place (comments and layout kept); show one plugin's manifest and registrations.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import semver from 'semver';
import { loadConfigFile, parseConfigText } from '../config/load.js';
import { requireConfig, resolveHome, type Env } from '../config/locate.js';
import type { KoraConfig } from '../config/schema.js';
import { ConfigError, PluginError, UsageError } from '../errors.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { discoverPlugins, type Discovery } from '../plugins/discovery.js';
import type { PluginRecord } from '../plugins/loader.js';
import { HOST_API_VERSION } from '../version.js';
import { setPluginList } from './config-edit.js';
import { inspect, pluginRow } from './inspect-commands.js';
import { printJson, type Io } from './output.js';

/** Where `enable` puts the plugin in `plugins.enabled`. `end` leaves an already-enabled plugin where it is. */
export type Placement = { at: 'end' } | { at: 'first' } | { at: 'before'; anchor: string } | { at: 'after'; anchor: string };

export interface PluginsCommandOptions {
  configPath?: string | undefined;
  env: Env;
  cwd: string;
  /** Override the bundled plugins folder (tests). */
  bundledDir?: string | null;
}

/** The new `plugins.enabled` for enabling `id` with `placement`. Throws UsageError for a bad anchor. */
export function placeInOrder(enabled: readonly string[], id: string, placement: Placement): string[] {
  if (placement.at === 'end') return enabled.includes(id) ? [...enabled] : [...enabled, id];
  const rest = enabled.filter((e) => e !== id);
  if (placement.at === 'first') return [id, ...rest];
  const { anchor } = placement;
  const flag = `--${placement.at}`;
  if (anchor === id) throw new UsageError(`${flag} ${anchor}: a plugin cannot be placed relative to itself`);
  const i = rest.indexOf(anchor);
  if (i < 0) {
    throw new UsageError(`${flag} ${anchor}: "${anchor}" is not in plugins.enabled (${listText(rest)}); enable it first, or place "${id}" relative to one of those`, {
      anchor,
      enabled: rest,
    });
  }
  const at = placement.at === 'before' ? i : i + 1;
  return [...rest.slice(0, at), id, ...rest.slice(at)];
}

export async function runPluginsEnable(options: PluginsCommandOptions & { id: string; placement: Placement }, io: Io): Promise<number> {
  const { id, placement } = options;
  const project = await openProject(options, 'enable');
  const found = project.discovery.plugins.get(id);
  if (!found) {
    const invalid = project.discovery.invalid.find((p) => p.id === id);
    if (invalid) throw new UsageError(`Cannot enable "${id}": its manifest is invalid.\n${invalid.error.message}`, { pluginId: id, dir: invalid.dir });
    throw notFound(id, project.discovery);
  }
  const { enabled, disabled } = project.config.plugins;
  // Without a placement, a new plugin goes before the first enabled one whose manifest says it
  // comes after it (enabling web with mcp already there puts web first): the order kora init writes.
  const waiting = placement.at === 'end' && !enabled.includes(id) ? enabled.find((e) => project.discovery.plugins.get(e)?.manifest.after.includes(id)) : undefined;
  const nextEnabled = placeInOrder(enabled, id, waiting ? { at: 'before', anchor: waiting } : placement);
  const nextDisabled = disabled.filter((d) => d !== id);
  if (isSame(enabled, nextEnabled) && nextDisabled.length === disabled.length) {
    io.out(`${id} is already enabled (${position(enabled, id)} in plugins.enabled of ${project.file}); nothing changed.`);
    return 0;
  }
  let text = project.text;
  if (!isSame(enabled, nextEnabled)) text = setPluginList(text, 'enabled', nextEnabled);
  if (nextDisabled.length !== disabled.length) text = setPluginList(text, 'disabled', nextDisabled);
  save(project.file, text);
  io.out(`Enabled ${id} in ${project.file}: plugins.enabled is now [${nextEnabled.join(', ')}].`);
  if (waiting) io.out(`  Placed before ${waiting}, whose manifest (kora.after) says it loads after ${id}.`);
  if (nextDisabled.length !== disabled.length) io.out(`  Removed ${id} from plugins.disabled, which would have kept it from loading.`);
  if (!semver.satisfies(HOST_API_VERSION, found.manifest.hostApi, { includePrerelease: true })) {
    io.err(
      `kora: warning: ${id} ${found.version} requires host API ${found.manifest.hostApi}, but this Kora runtime provides host API ${HOST_API_VERSION}; the gateway will refuse it at boot. Install a version built for host API ${HOST_API_VERSION}.`,
    );
  }
  return 0;
}

export async function runPluginsDisable(options: PluginsCommandOptions & { id: string }, io: Io): Promise<number> {
  const { id } = options;
  const project = await openProject(options, 'disable');
  const { enabled, disabled } = project.config.plugins;
  // An enabled id that is no longer installed can still be disabled: that is how to boot again without it.
  const known = project.discovery.plugins.has(id) || project.discovery.invalid.some((p) => p.id === id) || enabled.includes(id);
  if (!known) throw notFound(id, project.discovery);
  if (disabled.includes(id)) {
    io.out(`${id} is already in plugins.disabled of ${project.file}; nothing changed.`);
    return 0;
  }
  const nextDisabled = [...disabled, id];
  save(project.file, setPluginList(project.text, 'disabled', nextDisabled));
  io.out(`Disabled ${id} in ${project.file}: plugins.disabled is now [${nextDisabled.join(', ')}].`);
  if (enabled.includes(id)) io.out(`  It keeps its place in plugins.enabled (${position(enabled, id)}); \`kora plugins enable ${id}\` puts it back there.`);
  return 0;
}

export async function runPluginsInfo(options: PluginsCommandOptions & { id: string; json?: boolean }, io: Io): Promise<number> {
  const { id } = options;
  const gateway = await inspect(options, io);
  try {
    const record = gateway.plugins.find((p) => p.id === id);
    if (!record) {
      throw new PluginError('KORA_ERR_PLUGIN_NOT_FOUND', `No plugin "${id}" was found. Found: ${foundText(gateway.plugins.map((p) => ({ id: p.id, source: p.source })))}.`, { pluginId: id });
    }
    const enabled = gateway.config.plugins.enabled;
    const info = {
      ...pluginRow(record),
      description: record.description,
      hostApiProvided: HOST_API_VERSION,
      loadPosition: enabled.includes(id) ? enabled.indexOf(id) + 1 : null,
      manifest: record.manifest,
    };
    if (options.json) {
      printJson(io, info);
      return 0;
    }
    io.out(infoText(record, enabled));
    return 0;
  } finally {
    await gateway.close();
  }
}

function infoText(p: PluginRecord, enabled: readonly string[]): string {
  const names = (list: readonly string[]) => (list.length ? list.join(', ') : 'none');
  const lines = [`${p.id} ${p.version}${p.name !== p.id ? ` (${p.name})` : ''}`];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(11)} ${value}`);
  if (p.description) row('description', p.description);
  row('source', `${p.source}${p.source === 'bundled' ? '' : ' (third-party)'}`);
  row('path', p.path);
  if (p.manifest) {
    row('entry', p.manifest.entry);
    const ok = semver.satisfies(HOST_API_VERSION, p.manifest.hostApi, { includePrerelease: true });
    row('host API', `${p.manifest.hostApi} (this runtime provides ${HOST_API_VERSION}: ${ok ? 'satisfied' : 'NOT satisfied'})`);
    row('critical', p.critical ? 'yes' : 'no');
  }
  const where = enabled.includes(p.id) ? `, ${position(enabled, p.id)} in plugins.enabled` : '';
  row('state', `${p.state}${where}`);
  if (p.manifest) row('declares', `hooks: ${names(p.manifest.hooks)}; daemons: ${names(p.manifest.daemons)}`);
  if (p.state === 'loaded') {
    const r = p.registered;
    row('registered', `hooks: ${names(r.hooks)}; daemons: ${names(r.daemons)}; tools: ${names(r.tools)}; identity provider: ${r.identityProvider ? 'yes' : 'no'}`);
    row('tasks', names(r.tasks.map((t) => `${t.name} (${t.schedule}, daemon ${t.daemon})`)));
    row('consumers', names(r.consumers.map((c) => `${c.topic} (daemon ${c.daemon})`)));
  } else {
    row('registered', `nothing (${p.state === 'not_enabled' ? `not in plugins.enabled: \`kora plugins enable ${p.id}\` loads it` : p.state})`);
  }
  for (const s of p.shadows) row('shadows', `${s.source} ${s.dir}`);
  if (p.error) row('error', p.error);
  return lines.join('\n');
}

interface OpenProject {
  file: string;
  text: string;
  config: KoraConfig;
  discovery: Discovery;
}

/** The config file (found the way every command finds it), its text, and the plugins its project can see. */
async function openProject(options: PluginsCommandOptions, verb: 'enable' | 'disable'): Promise<OpenProject> {
  let configPath: string;
  try {
    configPath = requireConfig({ flag: options.configPath, env: options.env, cwd: options.cwd });
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code !== 'KORA_ERR_CONFIG_NOT_FOUND' || options.configPath) throw err;
    // Not written for the operator: enabling is the first thing a newcomer tries in an empty folder.
    throw new ConfigError(
      'KORA_ERR_CONFIG_NOT_FOUND',
      undefined,
      err.issues,
      `No kora.yaml here (${options.cwd}) to ${verb} a plugin in. Run \`kora init\` to write one (the bundled plugins, a home beside it), then \`kora plugins ${verb} <id>\` again.`,
    );
  }
  // Edit only a config the gateway would accept, so the edit cannot hide an earlier mistake.
  const { config, file } = loadConfigFile(configPath);
  const text = readFileSync(file, 'utf8');
  const home = resolveHome({ env: options.env, configPath: file, configHome: config.home });
  const logger = await createLogger({ level: (options.env.KORA_LOG_LEVEL as LogLevel | undefined) ?? 'warn' });
  const discovery = discoverPlugins({
    projectRoot: dirname(file),
    home,
    env: options.env,
    logger: logger.child({ part: 'plugins' }),
    bundledDir: options.bundledDir,
  });
  return { file, text, config, discovery };
}

function save(file: string, text: string): void {
  parseConfigText(text, file); // never write a config the gateway would refuse
  writeFileSync(file, text);
}

function notFound(id: string, discovery: Discovery): PluginError {
  const found = [...discovery.plugins.values()].map((p) => ({ id: p.id, source: p.source }));
  return new PluginError(
    'KORA_ERR_PLUGIN_NOT_FOUND',
    `No plugin "${id}" was found. Found: ${foundText(found)}. Install it (npm install <package>) or put it in $KORA_HOME/plugins.`,
    { pluginId: id, found: found.map((f) => f.id) },
  );
}

function foundText(found: { id: string; source: string }[]): string {
  return found.length ? found.map((f) => `${f.id} (${f.source})`).join(', ') : 'none';
}

function position(list: readonly string[], id: string): string {
  return `position ${list.indexOf(id) + 1} of ${list.length}`;
}

function listText(list: readonly string[]): string {
  return list.length ? list.join(', ') : 'empty';
}

function isSame(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
