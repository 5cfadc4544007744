// The hook bus a gateway has one of: plugins register callbacks on catalogued hooks, on hooks
// they defined (`defineHook`, a manifest) and, loosely typed, on any other name; the runtime and
// plugins dispatch them. Registrations live in registry.ts, the kinds' combiners in kinds.ts,
// the shared timeout in watchdog.ts, the dispatch itself in dispatch.ts.
import { ConfigError, HookError, PluginError, UsageError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createSystemClock, type Clock } from '../time/clock.js';
import {
  isKnownHook,
  type DispatchResult,
  type DispatchResultOf,
  type HookCallback,
  type HookKind,
  type HookName,
  type HookPayload,
  type UnknownHookCallback,
} from './catalog.js';
import type { AnyHookHandle, HandleCallback, HookHandle } from './define-hook.js';
import { startDispatch, type DispatchEnv } from './dispatch.js';
import { KINDS, type Validate } from './kinds.js';
import { looksLikeGuard, nearestHook } from './names.js';
import { HookRegistry, UNCLASSIFIED_KIND, type AnyCallback } from './registry.js';
import { Watchdog } from './watchdog.js';

export interface HookBusOptions {
  logger: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Per-callback timeout; default 30 s. */
  timeoutMs?: number;
}

export interface DispatchOptions {
  /** `first` hooks only: a result this rejects is treated as no claim, and the next callback is asked. */
  validate?: Validate;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

/** What dispatching the hook a handle stands for resolves to, by its kind. */
export type HandleResult<H> = H extends HookHandle<infer Payload, infer Result, infer Kind> ? DispatchResultOf<Kind, Payload, Result> : never;
/** The payload of the hook a handle stands for. */
export type HandlePayload<H> = H extends HookHandle<infer Payload, unknown, HookKind> ? Payload : never;

export class HookBus {
  readonly #log: Logger;
  readonly #env: DispatchEnv;
  readonly #registry = new HookRegistry();

  constructor(options: HookBusOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new ConfigError('KORA_ERR_CONFIG_INVALID', undefined, [{ path: 'hooks.timeout', message: `expected a positive number of milliseconds, got ${timeoutMs}` }]);
    }
    this.#log = options.logger;
    this.#env = { log: options.logger, watchdog: new Watchdog(options.clock ?? createSystemClock(), timeoutMs), pool: [] };
  }

  /**
   * Classify a hook outside the catalog (what a manifest declares); `defineHook` handles do this
   * on first use. A catalogued name, an unknown kind, or a second kind for the same name throws.
   */
  define(hook: string, kind: HookKind, pluginId?: string): void {
    this.#registry.define(hook, kind, pluginId);
  }

  /** Register `callback` on a catalogued hook or a defined one; returns a function that removes exactly this registration. */
  register<K extends HookName>(pluginId: string, hook: K, callback: HookCallback<K>): () => void;
  register<H extends AnyHookHandle>(pluginId: string, hook: H, callback: HandleCallback<H>): () => void;
  register(pluginId: string, hook: string | AnyHookHandle, callback: AnyCallback): () => void {
    // A plain-JS plugin can pass any string here: it is treated as registerCustom would.
    return this.#add(pluginId, typeof hook === 'string' ? hook : this.#classify(hook, pluginId), callback);
  }

  /**
   * Register on a hook by any name, loosely typed: a plugin's own hook it did not define with a
   * handle. An unclassified name is dispatched as collect, with a warning; one that looks like a
   * guard (`pre_tool_call…`) throws, since a mistyped guard would let every call through.
   */
  registerCustom(pluginId: string, hook: string, callback: UnknownHookCallback): () => void {
    return this.#add(pluginId, hook, callback);
  }

  /** Run `hook`'s callbacks and combine their results by the hook's kind. Never rejects for a catalogued hook. */
  dispatch<K extends HookName>(hook: K, payload: HookPayload<K>, options?: DispatchOptions): Promise<DispatchResult<K>>;
  dispatch<H extends AnyHookHandle>(hook: H, payload: HandlePayload<H>, options?: DispatchOptions): Promise<HandleResult<H>>;
  dispatch(hook: string | AnyHookHandle, payload: unknown, options?: DispatchOptions): Promise<unknown> {
    if (typeof hook !== 'string') {
      try {
        this.#registry.define(hook.name, hook.kind);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      return dispatchByName(this.#env, this.#registry, hook.name, payload, options?.validate);
    }
    return dispatchByName(this.#env, this.#registry, hook, payload, options?.validate);
  }

  /** Dispatch a hook outside the catalog by name: with its defined kind, else as collect. */
  dispatchCustom(hook: string, payload: unknown, options?: DispatchOptions): Promise<unknown> {
    if (isKnownHook(hook)) {
      return Promise.reject(
        new UsageError(`dispatchCustom("${hook}"): "${hook}" is a catalogued ${this.#registry.kindOf(hook)} hook; use dispatch() so its kind applies`, { hook }),
      );
    }
    return dispatchByName(this.#env, this.#registry, hook, payload, options?.validate);
  }

  /** The name `dispatchCustom` had in host API 1.0. */
  dispatchUnknown(hook: string, payload: unknown): Promise<unknown> {
    return this.dispatchCustom(hook, payload);
  }

  /** Remove every callback `pluginId` registered (rollback of a plugin whose `register` failed). */
  removePlugin(pluginId: string): void {
    this.#registry.removePlugin(pluginId);
  }

  /** The kind `hook` dispatches as: catalogued, or defined (defineHook); undefined for any other name. */
  kindOf(hook: string): HookKind | undefined {
    return this.#registry.kindOf(hook);
  }

  registrations(): ReadonlyArray<{ pluginId: string; hook: string }> {
    return this.#registry.list();
  }

  #classify(handle: AnyHookHandle, pluginId: string): string {
    this.#registry.define(handle.name, handle.kind, pluginId);
    return handle.name;
  }

  #add(pluginId: string, hook: string, callback: AnyCallback): () => void {
    if (typeof hook !== 'string' || hook === '') {
      throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${pluginId}" registered a hook callback without a hook name`, { pluginId });
    }
    if (typeof callback !== 'function') {
      throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${pluginId}" registered hook "${hook}" without a callback function`, { pluginId, hook });
    }
    if (this.#registry.kindOf(hook) === undefined) this.#checkUnclassified(hook, pluginId);
    return this.#registry.add(pluginId, hook, callback);
  }

  #checkUnclassified(hook: string, pluginId: string): void {
    const nearest = nearestHook(hook);
    const suggestion = nearest === undefined ? '' : `; did you mean "${nearest}"?`;
    if (looksLikeGuard(hook)) {
      throw new HookError(
        'KORA_ERR_HOOK_UNCLASSIFIED_GUARD',
        `Plugin "${pluginId}" registered hook "${hook}", which looks like a guard but is not in the hook catalog: as collect it would block nothing${suggestion}`,
        { pluginId, hook },
      );
    }
    this.#log.warn(
      { pluginId, hook },
      `plugin "${pluginId}" registered hook "${hook}", which is not in the hook catalog nor defined (defineHook or the manifest); it is dispatched as collect${suggestion}`,
    );
  }
}

// A plain function, not a #private method, on the hot path: Node 20's V8 calls #private methods measurably slower.
function dispatchByName(env: DispatchEnv, registry: HookRegistry, hook: string, payload: unknown, validate: Validate | undefined): Promise<unknown> {
  const entry = registry.entry(hook);
  if (entry !== undefined) return startDispatch(env, hook, entry, payload, validate);
  const kind = registry.kindOf(hook);
  if (kind === undefined && looksLikeGuard(hook)) {
    return Promise.reject(
      new HookError('KORA_ERR_HOOK_UNCLASSIFIED_GUARD', `Hook "${hook}" looks like a guard but is not in the hook catalog: dispatched as collect it would block nothing`, { hook }),
    );
  }
  return Promise.resolve(KINDS[kind ?? UNCLASSIFIED_KIND].empty(payload));
}
