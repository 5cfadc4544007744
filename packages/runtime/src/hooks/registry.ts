// Who registered what on which hook, and the kinds of hooks outside the catalog. A hook's
// callbacks are copy-on-write, so a dispatch iterates the array it started with; a removed
// registration is also flagged, so that dispatch skips it.
import { HookError } from '../errors.js';
import { HOOK_KINDS, isKnownHook, type HookCallContext, type HookKind } from './catalog.js';
import { checkDefinition } from './define-hook.js';
import { KINDS, type Combiner } from './kinds.js';

export type AnyCallback = (payload: unknown, context: HookCallContext) => unknown;

export interface Registration {
  readonly pluginId: string;
  readonly hook: string;
  readonly callback: AnyCallback;
  /** Cleared on removal, so a dispatch already iterating its snapshot skips it. */
  active: boolean;
}

/** A hook's kind, its combiner, and its callbacks, replaced (never changed) when any changes. */
export interface HookEntry {
  readonly kind: HookKind;
  readonly combiner: Combiner;
  readonly registrations: readonly Registration[];
}

function entry(kind: HookKind, registrations: readonly Registration[]): HookEntry {
  return { kind, combiner: KINDS[kind], registrations };
}

/** What an unclassified hook is dispatched as (DESIGN §3). */
export const UNCLASSIFIED_KIND: HookKind = 'collect';

export class HookRegistry {
  #byHook = new Map<string, HookEntry>();
  /** Every registration in registration order. */
  #all: Registration[] = [];
  /** Hooks outside the catalog, classified by a handle or a manifest, with who classified them first. */
  #defined = new Map<string, { readonly kind: HookKind; readonly by: string | undefined }>();

  entry(hook: string): HookEntry | undefined {
    return this.#byHook.get(hook);
  }

  /** The catalogued or defined kind; undefined for an unclassified name. */
  kindOf(hook: string): HookKind | undefined {
    return isKnownHook(hook) ? HOOK_KINDS[hook] : this.#defined.get(hook)?.kind;
  }

  /** Classify a hook outside the catalog. Defining it again with the same kind is a no-op; with another, an error. */
  define(hook: string, kind: HookKind, pluginId?: string): void {
    checkDefinition(hook, kind);
    const existing = this.#defined.get(hook);
    if (existing?.kind === kind) return;
    if (existing !== undefined) {
      const by = existing.by === undefined ? '' : ` by plugin "${existing.by}"`;
      const who = pluginId === undefined ? '' : ` (plugin "${pluginId}")`;
      throw new HookError('KORA_ERR_HOOK_KIND_CONFLICT', `Hook "${hook}" is defined as ${existing.kind}${by}; it cannot also be ${kind}${who}`, {
        hook,
        pluginId,
        kinds: [existing.kind, kind],
      });
    }
    this.#defined.set(hook, { kind, by: pluginId });
    const current = this.#byHook.get(hook);
    if (current !== undefined) this.#byHook.set(hook, entry(kind, current.registrations));
  }

  /** Returns a function that removes exactly this registration. */
  add(pluginId: string, hook: string, callback: AnyCallback): () => void {
    const registration: Registration = { pluginId, hook, callback, active: true };
    const kind = this.kindOf(hook) ?? UNCLASSIFIED_KIND;
    this.#byHook.set(hook, entry(kind, [...(this.#byHook.get(hook)?.registrations ?? []), registration]));
    this.#all.push(registration);
    return () => this.#remove((r) => r === registration);
  }

  removePlugin(pluginId: string): void {
    this.#remove((r) => r.pluginId === pluginId);
  }

  list(): ReadonlyArray<{ pluginId: string; hook: string }> {
    return this.#all.map((r) => ({ pluginId: r.pluginId, hook: r.hook }));
  }

  #remove(match: (r: Registration) => boolean): void {
    const kept: Registration[] = [];
    const touched = new Set<string>();
    for (const r of this.#all) {
      if (match(r)) {
        r.active = false;
        touched.add(r.hook);
      } else {
        kept.push(r);
      }
    }
    if (touched.size === 0) return;
    this.#all = kept;
    for (const hook of touched) {
      const current = this.#byHook.get(hook);
      const rest = (current?.registrations ?? []).filter((r) => r.active);
      if (current !== undefined && rest.length > 0) this.#byHook.set(hook, entry(current.kind, rest));
      else this.#byHook.delete(hook);
    }
  }
}
