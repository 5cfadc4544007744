// Loading the enabled plugins in `plugins.enabled` order: host-API check, import, config
// validation, `register(ctx)` with every registration recorded so a failure rolls back whole.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import type { KoraConfig } from '../config/schema.js';
import { ConfigError, describeError, KoraError, PluginError } from '../errors.js';
import { attempt, raceTimeout, TIMED_OUT } from '../time/timeout.js';
import { HOST_API_VERSION } from '../version.js';
import { provideHostRuntime } from './host-runtime.js';
import { importPluginEntry, type LoadedPackages } from './plugin-script.js';
import type { Discovery, DiscoveredPlugin, PluginSource } from './discovery.js';
import { createPluginScope, emptyRegistrations, type ContextHost, type Registrations } from './context.js';
import { declaredHookWarnings } from './notices.js';
import type { PluginDefinition } from './types.js';

export type PluginState = 'loaded' | 'failed' | 'disabled' | 'not_enabled' | 'invalid';

export interface PluginRecord {
  id: string;
  name: string;
  version: string;
  source: PluginSource;
  path: string;
  description: string;
  hostApi: string;
  enabled: boolean;
  critical: boolean;
  state: PluginState;
  error: string | null;
  errorCode: string | null;
  /** What it registered (empty unless loaded). */
  registered: Registrations;
  /** Its definition validates `plugins.config.<id>` (known once it was imported). */
  hasConfigSchema: boolean;
  manifest: DiscoveredPlugin['manifest'] | null;
  shadows: DiscoveredPlugin['shadows'];
}

export interface PluginHost extends ContextHost {
  /** The config file, for error messages. */
  configFile: string | undefined;
  /** How long one plugin's import, and then its `register`, may take. */
  registerTimeoutMs: number;
}

/**
 * Check the enabled list against what was discovered. An enabled id that no source provides,
 * or whose manifest is invalid, is an error before anything is imported.
 */
export function checkEnabled(discovery: Discovery, config: KoraConfig, configFile: string | undefined): void {
  const disabled = new Set(config.plugins.disabled);
  const issues = [];
  for (const [i, id] of config.plugins.enabled.entries()) {
    if (disabled.has(id) || discovery.plugins.has(id)) continue;
    const bad = discovery.invalid.find((p) => p.id === id);
    if (bad) {
      issues.push({ path: `plugins.enabled.${i}`, message: `plugin "${id}" has an invalid manifest: ${bad.error.message}` });
      continue;
    }
    const found = [...discovery.plugins.values()].map((p) => `${p.id} (${p.source})`);
    issues.push({
      path: `plugins.enabled.${i}`,
      message: `no plugin "${id}" was found in any source; found: ${found.length ? found.join(', ') : 'none'}. Install it (npm install <package>) or put it in $KORA_HOME/plugins.`,
    });
  }
  if (issues.length) throw new ConfigError('KORA_ERR_CONFIG_INVALID', configFile, issues, `Cannot load the enabled plugins${configFile ? ` of ${configFile}` : ''}:`);
}

/** Load every enabled, not disabled plugin in order. Returns a record for every discovered plugin. */
export async function loadPlugins(discovery: Discovery, config: KoraConfig, host: PluginHost): Promise<PluginRecord[]> {
  checkEnabled(discovery, config, host.configFile);
  const disabled = new Set(config.plugins.disabled);
  const enabledOrder = config.plugins.enabled;
  const records = new Map<string, PluginRecord>();
  // The plugins imported so far, so a bundled plugin's script can be handed the plugins it imports (plugin-script.ts).
  const imported: LoadedPackages = new Map();

  for (const p of discovery.plugins.values()) {
    const enabled = enabledOrder.includes(p.id);
    records.set(p.id, {
      id: p.id,
      name: p.name,
      version: p.version,
      source: p.source,
      path: p.dir,
      description: p.manifest.description,
      hostApi: p.manifest.hostApi,
      enabled: enabled && !disabled.has(p.id),
      critical: p.manifest.critical || config.plugins.critical.includes(p.id),
      state: disabled.has(p.id) ? 'disabled' : 'not_enabled',
      error: null,
      errorCode: null,
      registered: emptyRegistrations(),
      hasConfigSchema: false,
      manifest: p.manifest,
      shadows: p.shadows,
    });
  }

  for (const id of enabledOrder) {
    if (disabled.has(id)) continue;
    const plugin = discovery.plugins.get(id);
    const record = records.get(id);
    if (!plugin || !record) continue; // checkEnabled already refused these
    try {
      const loaded = await loadOne(plugin, config, host, imported);
      record.registered = loaded.registered;
      record.hasConfigSchema = loaded.hasConfigSchema;
      record.state = 'loaded';
      host.logger.debug({ plugin: id, source: plugin.source, via: loaded.via }, `plugin ${id} loaded`);
      for (const warning of declaredHookWarnings(id, plugin.manifest.hooks, loaded.registered.hooks, (hook) => host.hooks.kindOf(hook))) host.logger.warn({ plugin: id }, warning);
    } catch (err) {
      if (err instanceof ConfigError) throw err; // invalid plugin config is an invalid config: exit 2
      record.state = 'failed';
      record.error = describeError(err);
      record.errorCode = err instanceof KoraError ? err.code : 'KORA_ERR_PLUGIN_REGISTER';
      // The error itself, not only its message: its stack says where in the plugin it was thrown,
      // and its cause chain what was underneath (the logger's scrubber keeps secrets out of both).
      host.logger.error({ plugin: id, code: record.errorCode, err }, `plugin ${id} failed to load: ${record.error}`);
      if (record.critical) {
        throw new PluginError('KORA_ERR_PLUGIN_CRITICAL', `Critical plugin "${id}" failed to load: ${record.error}`, { pluginId: id, cause: record.errorCode });
      }
    }
  }

  const invalid: PluginRecord[] = discovery.invalid.map((bad) => ({
    id: bad.id ?? '(unknown)',
    name: bad.id ?? '(unknown)',
    version: '',
    source: bad.source,
    path: bad.dir,
    description: '',
    hostApi: '',
    enabled: bad.id ? enabledOrder.includes(bad.id) : false,
    critical: false,
    state: 'invalid',
    error: bad.error.message,
    errorCode: bad.error.code,
    registered: emptyRegistrations(),
    hasConfigSchema: false,
    manifest: null,
    shadows: [],
  }));
  // Enabled plugins first, in load order; then the rest as discovered.
  const ordered = enabledOrder.map((id) => records.get(id)).filter((r): r is PluginRecord => r !== undefined);
  const rest = [...records.values()].filter((r) => !enabledOrder.includes(r.id));
  return [...ordered, ...rest, ...invalid];
}

async function loadOne(plugin: DiscoveredPlugin, config: KoraConfig, host: PluginHost, imported: LoadedPackages): Promise<{ registered: Registrations; hasConfigSchema: boolean; via: 'script' | 'entry' }> {
  const { id, manifest } = plugin;
  if (!semver.validRange(manifest.hostApi)) {
    throw new PluginError('KORA_ERR_PLUGIN_MANIFEST', `Plugin "${id}" (${plugin.file}) has an invalid kora.hostApi range "${manifest.hostApi}"`, { pluginId: id });
  }
  if (!semver.satisfies(HOST_API_VERSION, manifest.hostApi, { includePrerelease: true })) {
    throw new PluginError(
      'KORA_ERR_PLUGIN_HOST_API',
      `Plugin "${id}" ${plugin.version} requires host API ${manifest.hostApi}, but this Kora runtime provides host API ${HOST_API_VERSION}; install a version of the plugin built for host API ${HOST_API_VERSION}`,
      { pluginId: id, required: manifest.hostApi, provided: HOST_API_VERSION },
    );
  }

  const { definition, via } = await importDefinition(plugin, host, imported);
  const pluginConfig = validatePluginConfig(definition, config.plugins.config[id], host.configFile, id);
  const hasTables = await migrate(id, definition, host);
  const scope = createPluginScope({ id, dir: plugin.dir, declared: manifest }, pluginConfig, host, { hasTables });
  try {
    const outcome = await raceTimeout(
      attempt(() => host.attribution.run({ pluginId: id }, () => definition.register(scope.context))),
      host.registerTimeoutMs,
      host.clock,
    );
    if (outcome === TIMED_OUT) {
      throw new PluginError('KORA_ERR_PLUGIN_REGISTER_TIMEOUT', `Plugin "${id}" did not finish register() within ${host.registerTimeoutMs} ms`, { pluginId: id });
    }
  } catch (err) {
    scope.rollback();
    if (err instanceof KoraError) throw err;
    throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${id}" failed in register(): ${describeError(err)}`, { pluginId: id }, { cause: err });
  }
  scope.seal();
  return { registered: scope.registered, hasConfigSchema: definition.configSchema !== undefined, via };
}

/** Apply the plugin's migrations, before its `register`: a failing one fails this plugin (coded), not the gateway. */
export async function migrate(id: string, definition: PluginDefinition<unknown>, host: Pick<ContextHost, 'store' | 'logger'>): Promise<boolean> {
  const migrations = definition.migrations;
  if (migrations === undefined) return false;
  if (migrations === null || typeof migrations !== 'object') {
    throw new PluginError('KORA_ERR_PLUGIN_MIGRATION', `Plugin "${id}": migrations must be an object of named migrations ({ '001_init': { up(db) {…} } })`, { pluginId: id });
  }
  const { applied } = await host.store.migratePlugin(id, migrations);
  if (applied.length > 0) host.logger.info({ plugin: id, applied }, `plugin ${id}: applied migration(s) ${applied.join(', ')}`);
  return true;
}

/**
 * Import the entry under the register timeout: a top-level `await` that never settles fails
 * this plugin instead of hanging boot (the module stays half-evaluated; nothing uses it).
 */
async function importDefinition(plugin: DiscoveredPlugin, host: PluginHost, imported: LoadedPackages): Promise<{ definition: PluginDefinition<unknown>; via: 'script' | 'entry' }> {
  const entry = resolve(plugin.dir, plugin.manifest.entry);
  if (!existsSync(entry)) {
    // The usual cause is a TypeScript plugin installed from its folder before it was compiled.
    throw new PluginError(
      'KORA_ERR_PLUGIN_IMPORT',
      `Plugin "${plugin.id}": its entry ${entry} does not exist (kora.entry in ${join(plugin.dir, 'package.json')}). If the plugin compiles to it, run \`npm run build\` in ${plugin.dir} (a tarball from \`npm pack\` is built by prepack); else fix kora.entry.`,
      { pluginId: plugin.id, entry },
    );
  }
  provideHostRuntime(plugin.dir);
  let mod: Awaited<ReturnType<typeof importPluginEntry>>;
  try {
    const importing = host.attribution.run({ pluginId: plugin.id }, () => importPluginEntry(entry, plugin.dir, imported));
    const outcome = await raceTimeout(importing, host.registerTimeoutMs, host.clock);
    if (outcome === TIMED_OUT) {
      throw new PluginError(
        'KORA_ERR_PLUGIN_IMPORT_TIMEOUT',
        `Plugin "${plugin.id}": importing its entry ${entry} did not finish within ${host.registerTimeoutMs} ms (a top-level await that never settles?)`,
        { pluginId: plugin.id, entry },
      );
    }
    mod = outcome;
  } catch (err) {
    if (err instanceof PluginError) throw err;
    throw new PluginError('KORA_ERR_PLUGIN_IMPORT', `Plugin "${plugin.id}": cannot import its entry ${entry}: ${describeError(err)}`, { pluginId: plugin.id, entry }, { cause: err });
  }
  const def = mod.exports.default as Partial<PluginDefinition<unknown>> | undefined;
  if (!def || typeof def !== 'object' || typeof def.register !== 'function') {
    throw new PluginError('KORA_ERR_PLUGIN_ENTRY_INVALID', `Plugin "${plugin.id}": ${entry} must default-export definePlugin({ id, register(ctx) }) (or a plain object of that shape)`, {
      pluginId: plugin.id,
      entry,
    });
  }
  if (def.id !== undefined && def.id !== plugin.id) {
    throw new PluginError('KORA_ERR_PLUGIN_ENTRY_INVALID', `Plugin entry ${entry} says id "${def.id}" but its manifest (${plugin.file}) says "${plugin.id}"; make them equal`, {
      pluginId: plugin.id,
      entry,
    });
  }
  return { definition: def as PluginDefinition<unknown>, via: mod.via };
}

export function validatePluginConfig(definition: PluginDefinition<unknown>, raw: unknown, configFile: string | undefined, id: string): unknown {
  if (!definition.configSchema) return raw ?? {};
  const parsed = definition.configSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: ['plugins', 'config', id, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ConfigError('KORA_ERR_CONFIG_INVALID', configFile, issues, (where) => `Invalid config for plugin "${id}" in ${where}:`);
}
