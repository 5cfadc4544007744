// The plugin API: what a plugin's entry module exports and what `register` gets.
import type { ZodType } from 'zod';
import type { DaemonSpec } from '../daemons/types.js';
import type { HookCallback, HookName, UnknownHookCallback } from '../hooks/catalog.js';
import type { IdentityProvider } from '../identity/types.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../services/registry.js';
import type { KeyValueStore } from '../store/types.js';

export interface ToolSpec {
  /** Unique across plugins. */
  name: string;
  description: string;
  /** JSON Schema of the input. */
  inputSchema?: Record<string, unknown>;
  run(input: Record<string, unknown>, context: { signal: AbortSignal }): unknown;
}

export interface PluginPaths {
  /** `$KORA_HOME`. */
  readonly home: string;
  /** A folder of the plugin's own under the home, for files it keeps (created on first use). */
  readonly data: string;
  /** The plugin package's folder (read package data relative to it, never to the working directory). */
  readonly root: string;
}

export interface PluginContext<Config = unknown> {
  readonly pluginId: string;
  /** `plugins.config.<id>`, already validated by the plugin's `configSchema` when it has one. */
  readonly config: Config;
  readonly log: Logger;
  readonly services: Services;
  /** Key-value store namespaced to this plugin. */
  readonly store: KeyValueStore;
  readonly paths: PluginPaths;
  /** The environment the gateway was started with. Read it here, not from `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly deployEnv: string;
  on<K extends HookName>(hook: K, callback: HookCallback<K>): void;
  on(hook: string, callback: UnknownHookCallback): void;
  registerIdentityProvider(provider: IdentityProvider): void;
  registerDaemon(spec: DaemonSpec): void;
  registerTool(tool: ToolSpec): void;
  /** Append to the audit log (secrets in `details` are redacted). */
  audit(seam: string, details?: Record<string, unknown>): Promise<void>;
}

export interface PluginDefinition<Config = unknown> {
  /** Must equal the manifest's `id`. */
  id: string;
  /** Validates `plugins.config.<id>` before `register` runs. */
  configSchema?: ZodType<Config>;
  register(context: PluginContext<Config>): void | Promise<void>;
}

/** Types a plugin definition. It adds nothing at run time: a plain object of the same shape works too. */
export function definePlugin<Config = unknown>(definition: PluginDefinition<Config>): PluginDefinition<Config> {
  return definition;
}
