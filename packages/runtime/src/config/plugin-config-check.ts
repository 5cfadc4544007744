// Warnings for config that nothing will read: `plugins.config.<id>` of a plugin that is not
// found, not enabled, or has no configSchema to check it, and `daemons.<name>` of a daemon no
// loaded plugin registers. They do not stop a gateway (the plugin may be disabled on purpose),
// so `kora config check` prints them and still exits 0. Pure: the caller loads the plugins.
import type { ConfigSource } from '../errors.js';
import type { KoraConfig } from './schema.js';

/** What `kora config check` learnt about one discovered plugin. */
export interface PluginSeen {
  id: string;
  /** Listed in plugins.enabled and not in plugins.disabled. */
  enabled: boolean;
  /** Its definition has a `configSchema` (known only for enabled plugins, which are imported). */
  hasSchema: boolean;
}

export interface ConfigWarning {
  /** Dotted path in the config, e.g. `plugins.config.slack`. */
  path: string;
  line: number | undefined;
  message: string;
}

export function checkPluginConfig(options: {
  config: KoraConfig;
  source?: ConfigSource | undefined;
  /** Every plugin discovery found (enabled or not). */
  plugins: readonly PluginSeen[];
  /** Names of the daemons the loaded plugins registered; omit to skip the `daemons.*` check. */
  daemons?: readonly string[];
}): ConfigWarning[] {
  const { config, source } = options;
  const byId = new Map(options.plugins.map((p) => [p.id, p]));
  const warnings: ConfigWarning[] = [];
  const warn = (path: string, message: string) => warnings.push({ path, line: source?.lineOf(path), message });

  for (const id of Object.keys(config.plugins.config)) {
    const path = `plugins.config.${id}`;
    const plugin = byId.get(id);
    if (!plugin) {
      const found = [...byId.keys()];
      warn(path, `no plugin "${id}" was found in any source, so this config is not used (found: ${found.length ? found.join(', ') : 'none'})`);
    } else if (config.plugins.disabled.includes(id)) {
      warn(path, `plugin "${id}" is in plugins.disabled, so this config is not used`);
    } else if (!plugin.enabled) {
      warn(path, `plugin "${id}" is not in plugins.enabled, so this config is not used: \`kora plugins enable ${id}\` enables it`);
    } else if (!plugin.hasSchema) {
      warn(path, `plugin "${id}" declares no configSchema, so nothing checks this config: a misspelt key is silently ignored`);
    }
  }

  if (options.daemons) {
    const known = options.daemons;
    for (const name of Object.keys(config.daemons)) {
      if (!known.includes(name)) warn(`daemons.${name}`, `no loaded plugin registers a daemon "${name}", so these settings are not used (known: ${known.join(', ') || 'none'})`);
    }
  }
  return warnings;
}
