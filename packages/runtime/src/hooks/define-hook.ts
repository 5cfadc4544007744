// A plugin's own hooks, classified at run time: `defineHook(name, kind)` gives a typed handle the
// bus takes wherever it takes a catalogued name, so a plugin's `first` hook returns what a
// catalogued `first` hook returns, and its payload and result are typed at both ends.
import { HookError } from '../errors.js';
import { isKnownHook, type GuardVerdict, type HookCallContext, type HookKind } from './catalog.js';

declare const hookTypes: unique symbol;

export interface HookHandle<Payload, Result, Kind extends HookKind> {
  readonly name: string;
  readonly kind: Kind;
  /** Never set: carries the payload and result types from `defineHook` to `register` and `dispatch`. */
  readonly [hookTypes]?: (payload: Payload) => Result;
}

/** Any handle, whatever it carries. */
export type AnyHookHandle = HookHandle<never, unknown, HookKind>;

/** Null, undefined or nothing: no answer, for every kind, so a handle's callback may always give it. */
type NoAnswer = null | undefined | void;

/** A callback on the hook `H` stands for: it takes the payload and gives an answer of the result type, or none. */
export type HandleCallback<H> =
  H extends HookHandle<infer Payload, infer Result, HookKind>
    ? (payload: Payload, context: HookCallContext) => Result | NoAnswer | Promise<Result | NoAnswer>
    : never;

const KINDS: readonly HookKind[] = ['first', 'merge', 'waterfall', 'guard', 'observe', 'collect'];

/** Throws unless `name` may be defined as a hook of `kind`: a non-empty name outside the catalog, and a known kind. */
export function checkDefinition(name: unknown, kind: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new HookError('KORA_ERR_HOOK_DEFINE', `A hook definition needs a non-empty name, got ${JSON.stringify(name)}`, { hook: String(name) });
  }
  if (isKnownHook(name)) {
    throw new HookError('KORA_ERR_HOOK_DEFINE', `Hook "${name}" is in the catalog and already has its kind; only a plugin's own hooks can be defined`, { hook: name });
  }
  if (!KINDS.includes(kind as HookKind)) {
    throw new HookError('KORA_ERR_HOOK_DEFINE', `Hook "${name}" defined with kind ${JSON.stringify(kind)}; expected one of ${KINDS.join(', ')}`, { hook: name, kind });
  }
}

/**
 * Define a hook outside the catalog. `Result` is what a callback answers when it has an answer
 * (null, undefined or nothing is always allowed, and means none); `dispatch` returns the kind's
 * combination of those answers, as for a catalogued hook of that kind. A catalogued name is
 * refused here; the same name with two kinds, by the bus that first sees both.
 */
export function defineHook<Payload, Result = unknown>(name: string, kind: 'first'): HookHandle<Payload, Result, 'first'>;
export function defineHook<Payload, Result = Partial<Payload>>(name: string, kind: 'merge'): HookHandle<Payload, Result, 'merge'>;
export function defineHook<Payload, Result extends Partial<Payload> = Partial<Payload>>(name: string, kind: 'waterfall'): HookHandle<Payload, Result, 'waterfall'>;
export function defineHook<Payload, Result extends GuardVerdict = GuardVerdict>(name: string, kind: 'guard'): HookHandle<Payload, Result, 'guard'>;
export function defineHook<Payload, Result = void>(name: string, kind: 'observe'): HookHandle<Payload, Result, 'observe'>;
export function defineHook<Payload, Result = unknown>(name: string, kind: 'collect'): HookHandle<Payload, Result, 'collect'>;
export function defineHook(name: string, kind: HookKind): HookHandle<unknown, unknown, HookKind> {
  checkDefinition(name, kind);
  return Object.freeze({ name, kind });
}
