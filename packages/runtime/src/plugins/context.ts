// One plugin's `PluginContext`: every registration it makes is recorded, so a failed or timed-out
// `register` rolls back whole, and every callback it hands over runs attributed to it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PluginError } from '../errors.js';
import type { DaemonRegistry } from '../daemons/registry.js';
import type { DaemonSpec } from '../daemons/types.js';
import type { HookBus } from '../hooks/hook-bus.js';
import { isKnownHook, type HookName } from '../hooks/catalog.js';
import type { AnyHookHandle } from '../hooks/define-hook.js';
import type { Logger } from '../log/logger.js';
import { pluginProvider, type ServiceRegistry } from '../services/registry.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import type { Attribution } from './attribution.js';
import type { ContributionRegistry } from './contributions.js';
import type { Tools } from './tool-pipeline.js';
import type { ToolRegistry } from './tool-registry.js';
import type { GatewayOperations, GatewayView, PluginContext, PluginInbox } from './types.js';

/** What the host lends every plugin context. */
export interface ContextHost {
  hooks: HookBus;
  services: ServiceRegistry;
  daemons: DaemonRegistry;
  tools: ToolRegistry;
  toolPipeline: Tools;
  contributions: ContributionRegistry;
  attribution: Attribution;
  gateway: GatewayView;
  operations: GatewayOperations;
  inbox: PluginInbox;
  store: Store;
  logger: Logger;
  clock: Clock;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  deployEnv: string;
}

export interface PluginIdentity {
  id: string;
  /** The package folder (`ctx.paths.root`). */
  dir: string;
  /** The manifest's declared names; registering others warns. Null: declare nothing (tests). */
  declared: { hooks: readonly string[]; daemons: readonly string[] } | null;
}

export interface Registrations {
  hooks: string[];
  daemons: string[];
  tools: string[];
  contributions: string[];
  identityProvider: boolean;
  /** The periodic tasks of its daemons, with the schedule their spec gives (kora.yaml may override it). */
  tasks: { name: string; daemon: string; schedule: string }[];
  /** The inbox topics its daemons consume. */
  consumers: { topic: string; daemon: string }[];
}

export function emptyRegistrations(): Registrations {
  return { hooks: [], daemons: [], tools: [], contributions: [], identityProvider: false, tasks: [], consumers: [] };
}

/** A task spec's own schedule in words: `every 5m`, `cron 0 3 * * * (Europe/Paris)`. */
function specSchedule(task: { every?: unknown; cron?: unknown; timezone?: unknown }): string {
  if (task.every !== undefined) return `every ${typeof task.every === 'number' ? `${task.every}ms` : String(task.every)}`;
  if (task.cron !== undefined) return `cron ${String(task.cron)}${task.timezone ? ` (${String(task.timezone)})` : ''}`;
  return 'no schedule';
}

export interface PluginScope {
  readonly context: PluginContext<unknown>;
  readonly registered: Registrations;
  /** `register` returned: later registration calls throw. */
  seal(): void;
  /** Undo every registration and provision of this plugin. */
  rollback(): void;
}

export function createPluginScope(plugin: PluginIdentity, config: unknown, host: ContextHost, options: { hasTables?: boolean } = {}): PluginScope {
  const { id } = plugin;
  const registered = emptyRegistrations();
  const unregister: (() => void)[] = [];
  const log = host.logger.child({ plugin: id });
  const owner = { pluginId: id };
  let sealed = false;
  let dataDir: string | undefined;

  const guard = (what: string) => {
    if (sealed) throw new PluginError('KORA_ERR_PLUGIN_LATE_REGISTRATION', `Plugin "${id}" called ${what} after its register() finished; register everything inside register()`, { pluginId: id });
  };
  const undeclared = (kind: 'hooks' | 'daemons', name: string) => {
    if (plugin.declared && !plugin.declared[kind].includes(name)) {
      log.warn(`plugin ${id} registered ${kind === 'hooks' ? 'hook' : 'daemon'} "${name}" that its manifest (kora.${kind}) does not declare`);
    }
  };
  // One path for catalogued names, handles and custom names: the bus classifies and refuses.
  const onHook = (what: string, hook: string | AnyHookHandle, callback: (payload: never, context: never) => unknown) => {
    guard(what);
    const name = typeof hook === 'string' ? hook : hook?.name;
    if (typeof callback !== 'function') throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${id}" registered hook "${name}" without a callback function`, { pluginId: id });
    undeclared('hooks', name);
    const attributed = host.attribution.bind(owner, callback as (payload: unknown, context: unknown) => unknown) as never;
    unregister.push(typeof hook === 'string' ? host.hooks.registerCustom(id, hook, attributed) : host.hooks.register(id, hook, attributed));
    registered.hooks.push(name);
    if (typeof hook === 'string' && !isKnownHook(hook)) log.debug(`hook ${hook} is not in the catalog; dispatched as collect`);
  };

  let db: PluginContext['db'] | undefined;
  const context: PluginContext<unknown> = {
    pluginId: id,
    config,
    log,
    services: host.services.scoped(pluginProvider(id)),
    store: host.store.kv(id),
    env: host.env,
    deployEnv: host.deployEnv,
    clock: host.clock,
    gateway: host.gateway,
    operations: host.operations,
    tools: host.toolPipeline,
    inbox: host.inbox,
    get db() {
      if (!options.hasTables) {
        throw new PluginError('KORA_ERR_PLUGIN_NO_TABLES', `Plugin "${id}" used ctx.db but declares no migrations: add \`migrations\` to its definition to create its tables (named ${id}_*)`, { pluginId: id });
      }
      db ??= host.store.pluginDb(id);
      return db;
    },
    paths: {
      home: host.home,
      root: plugin.dir,
      get data() {
        dataDir ??= join(host.home, 'data', id);
        mkdirSync(dataDir, { recursive: true });
        return dataDir;
      },
    },
    hooks: {
      dispatch: ((hook: HookName, payload: never) => host.hooks.dispatch(hook, payload)) as PluginContext['hooks']['dispatch'],
      dispatchCustom: (hook, payload) => host.hooks.dispatchCustom(hook, payload),
    },
    on: ((hook: string | AnyHookHandle, callback: never) => onHook('on()', hook, callback)) as PluginContext['on'],
    onCustom: (hook, callback) => onHook('onCustom()', hook, callback),
    registerIdentityProvider(provider) {
      guard('registerIdentityProvider()');
      if (typeof provider !== 'function') throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${id}" registered an identity provider that is not a function`, { pluginId: id });
      undeclared('hooks', 'pre_agent_identity_set');
      unregister.push(host.hooks.register(id, 'pre_agent_identity_set', host.attribution.bind(owner, provider)));
      registered.identityProvider = true;
      if (!registered.hooks.includes('pre_agent_identity_set')) registered.hooks.push('pre_agent_identity_set');
    },
    registerDaemon(spec: DaemonSpec) {
      guard('registerDaemon()');
      host.daemons.register(id, spec);
      undeclared('daemons', spec.name);
      registered.daemons.push(spec.name);
      for (const task of spec.tasks ?? []) registered.tasks.push({ name: task.name, daemon: spec.name, schedule: specSchedule(task) });
      for (const consumer of spec.consumers ?? []) registered.consumers.push({ topic: consumer.topic, daemon: spec.name });
    },
    registerTool(tool) {
      guard('registerTool()');
      host.tools.register(id, tool);
      registered.tools.push(tool.name);
    },
    registerToolSource(source) {
      guard('registerToolSource()');
      host.tools.registerSource(id, source);
      registered.tools.push(`${source.prefix}*`);
    },
    contribute(point, value) {
      guard('contribute()');
      host.contributions.add(id, point, value);
      registered.contributions.push(point);
    },
    async audit(seam, details = {}) {
      await host.store.audit.append({ at: host.clock.now(), plugin: id, seam, details });
    },
  };

  // Lazy members are not enumerable: a plugin logging its whole context must not create its
  // data folder or trip over ctx.db it never declared.
  hideGetter(context, 'db');
  hideGetter(context.paths, 'data');

  return {
    context,
    registered,
    seal: () => {
      sealed = true;
    },
    rollback: () => {
      sealed = true;
      for (const off of unregister) off();
      host.hooks.removePlugin(id);
      host.daemons.removePlugin(id);
      host.tools.removePlugin(id);
      host.contributions.removePlugin(id);
      host.services.withdraw(pluginProvider(id));
    },
  };
}

function hideGetter(target: object, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor) Object.defineProperty(target, key, { ...descriptor, enumerable: false });
}
