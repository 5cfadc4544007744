// Loading the enabled plugins in `plugins.enabled` order: host-API check, import, config
// validation, `register(ctx)` with every registration recorded so a failure rolls back whole.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import type { KoraConfig } from '../config/schema.js';
import { ConfigError, describeError, KoraError, PluginError } from '../errors.js';
import type { DaemonRegistry } from '../daemons/registry.js';
import type { HookBus } from '../hooks/hook-bus.js';
import { isKnownHook } from '../hooks/catalog.js';
import type { Logger } from '../log/logger.js';
import { redactSecrets } from '../log/redact.js';
import type { ServiceRegistry } from '../services/registry.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { attempt, raceTimeout, TIMED_OUT } from '../time/timeout.js';
import { HOST_API_VERSION } from '../version.js';
import { provideHostRuntime } from './host-runtime.js';
import type { Discovery, DiscoveredPlugin, PluginSource } from './discovery.js';
import type { ToolRegistry } from './tool-registry.js';
import type { PluginContext, PluginDefinition } from './types.js';

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
  registered: { hooks: string[]; daemons: string[]; tools: string[]; identityProvider: boolean };
  manifest: DiscoveredPlugin['manifest'] | null;
  shadows: DiscoveredPlugin['shadows'];
}

export interface PluginHost {
  hooks: HookBus;
  services: ServiceRegistry;
  daemons: DaemonRegistry;
  tools: ToolRegistry;
  store: Store;
  logger: Logger;
  clock: Clock;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  deployEnv: string;
  /** The config file, for error messages. */
  configFile: string | undefined;
  /** How long one plugin's `register` may take. */
  registerTimeoutMs: number;
}

const EMPTY_REGISTRATIONS = () => ({ hooks: [] as string[], daemons: [] as string[], tools: [] as string[], identityProvider: false });

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
      registered: EMPTY_REGISTRATIONS(),
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
      record.registered = await loadOne(plugin, config, host);
      record.state = 'loaded';
      host.logger.debug({ plugin: id, source: plugin.source }, `plugin ${id} loaded`);
    } catch (err) {
      if (err instanceof ConfigError) throw err; // invalid plugin config is an invalid config: exit 2
      record.state = 'failed';
      record.error = describeError(err);
      record.errorCode = err instanceof KoraError ? err.code : 'KORA_ERR_PLUGIN_REGISTER';
      host.logger.error({ plugin: id, code: record.errorCode, err: redactSecrets({ message: record.error }) }, `plugin ${id} failed to load: ${record.error}`);
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
    registered: EMPTY_REGISTRATIONS(),
    manifest: null,
    shadows: [],
  }));
  // Enabled plugins first, in load order; then the rest as discovered.
  const ordered = enabledOrder.map((id) => records.get(id)).filter((r): r is PluginRecord => r !== undefined);
  const rest = [...records.values()].filter((r) => !enabledOrder.includes(r.id));
  return [...ordered, ...rest, ...invalid];
}

async function loadOne(plugin: DiscoveredPlugin, config: KoraConfig, host: PluginHost): Promise<PluginRecord['registered']> {
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

  const definition = await importDefinition(plugin);
  const pluginConfig = validatePluginConfig(definition, config.plugins.config[id], host.configFile, id);
  const registered = EMPTY_REGISTRATIONS();
  let sealed = false;
  const unregister: (() => void)[] = [];
  const log = host.logger.child({ plugin: id });

  const guard = (what: string) => {
    if (sealed) throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${id}" called ${what} after its register() finished; register everything inside register()`, { pluginId: id });
  };
  const undeclared = (kind: 'hooks' | 'daemons', name: string) => {
    if (!manifest[kind].includes(name)) log.warn(`plugin ${id} registered ${kind === 'hooks' ? 'hook' : 'daemon'} "${name}" that its manifest (kora.${kind}) does not declare`);
  };
  const store = host.store.kv(id);
  let dataDir: string | undefined;

  const ctx: PluginContext<unknown> = {
    pluginId: id,
    config: pluginConfig,
    log,
    services: host.services.scoped(id),
    store,
    env: host.env,
    deployEnv: host.deployEnv,
    paths: {
      home: host.home,
      root: plugin.dir,
      get data() {
        dataDir ??= join(host.home, 'data', id);
        mkdirSync(dataDir, { recursive: true });
        return dataDir;
      },
    },
    on(hook: string, callback: (payload: never, context: never) => unknown) {
      guard('on()');
      if (typeof callback !== 'function') throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${id}" registered hook "${hook}" without a callback function`, { pluginId: id });
      undeclared('hooks', hook);
      unregister.push(host.hooks.registerCustom(id, hook, callback as (payload: unknown) => unknown));
      registered.hooks.push(hook);
      if (!isKnownHook(hook)) log.debug(`hook ${hook} is not in the catalog; dispatched as collect`);
    },
    registerIdentityProvider(provider) {
      guard('registerIdentityProvider()');
      if (typeof provider !== 'function') throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${id}" registered an identity provider that is not a function`, { pluginId: id });
      undeclared('hooks', 'pre_agent_identity_set');
      unregister.push(host.hooks.register(id, 'pre_agent_identity_set', provider));
      registered.identityProvider = true;
      if (!registered.hooks.includes('pre_agent_identity_set')) registered.hooks.push('pre_agent_identity_set');
    },
    registerDaemon(spec) {
      guard('registerDaemon()');
      host.daemons.register(id, spec);
      undeclared('daemons', spec.name);
      registered.daemons.push(spec.name);
    },
    registerTool(tool) {
      guard('registerTool()');
      host.tools.register(id, tool);
      registered.tools.push(tool.name);
    },
    async audit(seam, details = {}) {
      await host.store.audit.append({ at: host.clock.now(), plugin: id, seam, details });
    },
  };

  const rollback = () => {
    sealed = true;
    for (const off of unregister) off();
    host.hooks.removePlugin(id);
    host.daemons.removePlugin(id);
    host.tools.removePlugin(id);
  };

  try {
    const outcome = await raceTimeout(
      attempt(() => definition.register(ctx)),
      host.registerTimeoutMs,
      host.clock,
    );
    if (outcome === TIMED_OUT) {
      throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${id}" did not finish register() within ${host.registerTimeoutMs} ms`, { pluginId: id });
    }
  } catch (err) {
    rollback();
    if (err instanceof KoraError) throw err;
    throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${id}" failed in register(): ${describeError(err)}`, { pluginId: id }, { cause: err });
  }
  sealed = true;
  return registered;
}

async function importDefinition(plugin: DiscoveredPlugin): Promise<PluginDefinition<unknown>> {
  const entry = resolve(plugin.dir, plugin.manifest.entry);
  provideHostRuntime(plugin.dir);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (err) {
    throw new PluginError('KORA_ERR_PLUGIN_IMPORT', `Plugin "${plugin.id}": cannot import its entry ${entry}: ${describeError(err)}`, { pluginId: plugin.id, entry }, { cause: err });
  }
  const def = mod.default as Partial<PluginDefinition<unknown>> | undefined;
  if (!def || typeof def !== 'object' || typeof def.register !== 'function') {
    throw new PluginError('KORA_ERR_PLUGIN_IMPORT', `Plugin "${plugin.id}": ${entry} must default-export definePlugin({ id, register(ctx) }) (or a plain object of that shape)`, {
      pluginId: plugin.id,
      entry,
    });
  }
  if (def.id !== undefined && def.id !== plugin.id) {
    throw new PluginError('KORA_ERR_PLUGIN_IMPORT', `Plugin entry ${entry} says id "${def.id}" but its manifest (${plugin.file}) says "${plugin.id}"; make them equal`, {
      pluginId: plugin.id,
      entry,
    });
  }
  return def as PluginDefinition<unknown>;
}

function validatePluginConfig(definition: PluginDefinition<unknown>, raw: unknown, configFile: string | undefined, id: string): unknown {
  if (!definition.configSchema) return raw ?? {};
  const parsed = definition.configSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: ['plugins', 'config', id, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ConfigError('KORA_ERR_CONFIG_INVALID', configFile, issues, `Invalid config for plugin "${id}" in ${configFile ?? '(no config file)'}:`);
}
