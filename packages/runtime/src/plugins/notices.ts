// Warnings about plugins that do not do what their author or operator most likely meant: a
// manifest naming hooks its plugin never registers (or that do not exist), and a plugin that is
// configured or installed but not in plugins.enabled, named with the command that enables it.
import type { KoraConfig } from '../config/schema.js';
import type { HookKind } from '../hooks/catalog.js';
import { nearestHook } from '../hooks/names.js';
import type { PluginRecord } from './loader.js';

/**
 * For each hook of the manifest's `kora.hooks` that `register()` did not register: the plugin and
 * the hook, and, for a name neither catalogued nor defined, the nearest catalogued one.
 */
export function declaredHookWarnings(id: string, declared: readonly string[], registered: readonly string[], kindOf: (hook: string) => HookKind | undefined): string[] {
  const warnings: string[] = [];
  for (const hook of declared) {
    if (registered.includes(hook)) continue; // an unclassified one was warned about when registered
    if (kindOf(hook) !== undefined) {
      warnings.push(`plugin "${id}": its manifest (kora.hooks) names hook "${hook}", which its register() never registered (a stale manifest, or a hook registered only under some config)`);
      continue;
    }
    const nearest = nearestHook(hook);
    warnings.push(
      `plugin "${id}": its manifest (kora.hooks) names hook "${hook}", which is not in the hook catalog and which its register() never registered${nearest ? `; did you mean "${nearest}"?` : ''}`,
    );
  }
  return warnings;
}

/**
 * Plugins that will not load though someone meant them to: configured under `plugins.config`,
 * or installed (not bundled: those are always there), yet not in `plugins.enabled`. A plugin in
 * `plugins.disabled` was turned off on purpose and is not named.
 */
export interface NotEnabledNotice {
  id: string;
  /** It has a `plugins.config.<id>` section (which `kora config check` warns about with its line). */
  configured: boolean;
  message: string;
}

export function notEnabledNotices(plugins: readonly PluginRecord[], config: KoraConfig): NotEnabledNotice[] {
  const notices: NotEnabledNotice[] = [];
  for (const p of plugins) {
    if (p.state !== 'not_enabled') continue;
    const configured = Object.hasOwn(config.plugins.config, p.id);
    if (!configured && p.source === 'bundled') continue;
    const why = configured ? `has config under plugins.config.${p.id}` : `is installed at ${p.path} (source ${p.source})`;
    notices.push({ id: p.id, configured, message: `plugin "${p.id}" ${why} but is not in plugins.enabled, so it does not load: \`kora plugins enable ${p.id}\` enables it` });
  }
  return notices;
}
