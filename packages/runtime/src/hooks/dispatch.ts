// One dispatch of one hook: its callbacks in registration order, each isolated and under the
// watchdog's timeout, their results folded by the hook's kind (kinds.ts). Built for the hot path:
// a sync callback costs no timer and no await, and finished dispatches are pooled.
import { TimeoutError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { HookCallContext } from './catalog.js';
import { Fold, KINDS, type Combiner, type Validate } from './kinds.js';
import type { HookEntry, Registration } from './registry.js';
import type { Waiter, Watchdog } from './watchdog.js';

/** What every dispatch of one bus shares. */
export interface DispatchEnv {
  readonly log: Logger;
  readonly watchdog: Watchdog;
  /** Finished dispatches, reused: see `Dispatch.release`. */
  readonly pool: Dispatch[];
}

/** Enough for the dispatches a gateway has in flight at once; beyond it they are simply collected. */
const MAX_POOLED_DISPATCHES = 16;

/** Run `entry`'s callbacks for `hook`. Never rejects. */
export function startDispatch(env: DispatchEnv, hook: string, entry: HookEntry, payload: unknown, validate: Validate | undefined): Promise<unknown> {
  return (env.pool.pop() ?? new Dispatch(env)).start(hook, entry, payload, validate);
}

/** The AbortController of each context whose signal was read or whose call timed out. */
const controllers = new WeakMap<CallContext, AbortController>();

function controllerOf(context: CallContext): AbortController {
  let controller = controllers.get(context);
  if (controller === undefined) {
    controller = new AbortController();
    controllers.set(context, controller);
  }
  return controller;
}

/**
 * What a callback gets as its context, one per call. The AbortSignal is created only when the
 * callback reads it: most callbacks never do. For the same reason the controller lives in a
 * WeakMap rather than a #private field: in Node 20, an object with class fields costs several
 * times more to create, and one is created per call.
 */
class CallContext implements HookCallContext {
  declare readonly pluginId: string;
  declare readonly hook: string;

  constructor(pluginId: string, hook: string) {
    this.pluginId = pluginId;
    this.hook = hook;
  }

  get signal(): AbortSignal {
    return controllerOf(this).signal;
  }
}

// Methods are plain rather than #private: Node 20's V8 calls #private methods measurably slower
// (state stays in #private fields).

/**
 * A small state machine rather than an async loop. Sync results are folded as they come (no
 * microtask per callback); a promise is followed with `then`, and its settlement carries on from
 * the next callback. When an awaited call times out, the watchdog carries on instead, and the
 * handlers of that call's generation only log a late answer.
 */
export class Dispatch implements Waiter {
  deadline = 0;
  prev: Waiter | null = null;
  next: Waiter | null = null;

  readonly #env: DispatchEnv;
  readonly #fold: Fold;
  #combiner: Combiner = KINDS.collect;
  #registrations: readonly Registration[] = [];
  #index = 0;
  #resolve: ((value: unknown) => void) | undefined;
  #linked = false;
  #waitingOn: Registration | undefined;
  #waitingContext: CallContext | undefined;
  #generation = 0;
  /** The registration whose timeout ended each past generation. */
  #timedOut: Registration[] | undefined;
  /** Shared by the calls of one generation; dropped on timeout so the timed-out call's late answer is ignored. */
  #onFulfilled: ((value: unknown) => void) | undefined;
  #onRejected: ((err: unknown) => void) | undefined;

  constructor(env: DispatchEnv) {
    this.#env = env;
    this.#fold = new Fold(env.log);
  }

  start(hook: string, entry: HookEntry, payload: unknown, validate: Validate | undefined): Promise<unknown> {
    const fold = this.#fold;
    fold.hook = hook;
    fold.payload = payload;
    fold.validate = validate;
    fold.value = undefined;
    fold.reasons = undefined;
    this.#combiner = entry.combiner;
    fold.chained = entry.combiner.chained;
    this.#registrations = entry.registrations;
    this.#index = 0;
    const pending = this.runSync();
    if (pending === undefined) {
      const value = this.#combiner.result(fold);
      this.release();
      return Promise.resolve(value);
    }
    const result = new Promise(captureResolve);
    this.#resolve = captured;
    captured = undefined;
    this.follow(pending);
    return result;
  }

  /** Call callbacks from `#index` on until one returns a promise (returned) or the dispatch is decided. */
  runSync(): PromiseLike<unknown> | undefined {
    const registrations = this.#registrations;
    const fold = this.#fold;
    const combiner = this.#combiner;
    while (this.#index < registrations.length) {
      const registration = registrations[this.#index++]!;
      if (!registration.active) continue;
      const context = new CallContext(registration.pluginId, fold.hook);
      let value: unknown;
      try {
        value = registration.callback(fold.payload, context);
        if (value instanceof Promise || isThenable(value)) {
          this.#waitingOn = registration;
          this.#waitingContext = context;
          this.deadline = this.#env.watchdog.deadline();
          if (!this.#linked) {
            this.#linked = true;
            this.#env.watchdog.link(this);
          }
          return value;
        }
      } catch (err) {
        this.fail(registration, err);
        continue;
      }
      if (value !== null && value !== undefined && combiner.accept(fold, registration.pluginId, value)) break;
    }
    this.finish();
    return undefined;
  }

  follow(pending: PromiseLike<unknown>): void {
    if (this.#onFulfilled === undefined || this.#onRejected === undefined) {
      const generation = this.#generation;
      this.#onFulfilled = (value) => {
        if (generation === this.#generation) this.settled(value, false);
        else this.late(generation, false, value);
      };
      this.#onRejected = (err) => {
        if (generation === this.#generation) this.settled(err, true);
        else this.late(generation, true, err);
      };
    }
    // Adopting a foreign thenable into a native promise gives it at-most-once settlement.
    (pending instanceof Promise ? pending : Promise.resolve(pending)).then(this.#onFulfilled, this.#onRejected);
  }

  settled(value: unknown, failed: boolean): void {
    const registration = this.#waitingOn;
    if (registration === undefined) return;
    this.#waitingOn = undefined;
    this.#waitingContext = undefined;
    if (failed) this.fail(registration, value);
    else if (value !== null && value !== undefined && this.#combiner.accept(this.#fold, registration.pluginId, value)) {
      this.finish();
      return;
    }
    const pending = this.runSync();
    if (pending !== undefined) this.follow(pending);
  }

  /** Called by the watchdog when the awaited call's deadline passed. */
  expire(): void {
    const registration = this.#waitingOn;
    const context = this.#waitingContext;
    if (registration === undefined || context === undefined) return;
    this.#waitingOn = undefined;
    this.#waitingContext = undefined;
    (this.#timedOut ??= []).push(registration);
    this.#generation++;
    this.#onFulfilled = undefined;
    this.#onRejected = undefined;
    const { pluginId } = registration;
    const { hook } = this.#fold;
    const { timeoutMs } = this.#env.watchdog;
    const error = new TimeoutError('KORA_ERR_HOOK_TIMEOUT', `Hook "${hook}" callback of plugin "${pluginId}" timed out after ${timeoutMs}ms`, timeoutMs, { pluginId, hook });
    controllerOf(context).abort(error);
    this.#env.log.error({ pluginId, hook, timeoutMs }, error.message);
    this.#combiner.failed(this.#fold, pluginId, error, true);
    const pending = this.runSync();
    if (pending !== undefined) this.follow(pending);
  }

  late(generation: number, failed: boolean, value: unknown): void {
    const pluginId = this.#timedOut?.[generation]?.pluginId;
    const { hook } = this.#fold;
    const what = failed ? `failed (${describeError(value)})` : 'returned';
    this.#env.log.debug({ pluginId, hook }, `hook "${hook}" callback of plugin "${pluginId}" ${what} after its timeout; ignored`);
  }

  fail(registration: Registration, err: unknown): void {
    const { pluginId } = registration;
    const { hook } = this.#fold;
    this.#env.log.error({ pluginId, hook, err }, `hook "${hook}" callback of plugin "${pluginId}" failed: ${describeError(err)}`);
    this.#combiner.failed(this.#fold, pluginId, err, false);
  }

  /** The dispatch is decided. On the async path this resolves the caller's promise and releases the dispatch: touch nothing after it. */
  finish(): void {
    this.#index = this.#registrations.length;
    if (this.#linked) {
      this.#linked = false;
      this.#env.watchdog.unlink(this);
    }
    const resolve = this.#resolve;
    if (resolve !== undefined) {
      this.#resolve = undefined;
      resolve(this.#combiner.result(this.#fold));
      this.release();
    }
  }

  /**
   * Back to the pool, holding nothing of this dispatch. Safe because every call it awaited has
   * settled, so no promise handler can reach it again; a dispatch that had a timeout still has
   * the handlers of its abandoned call out there, and is left to the garbage collector instead.
   */
  release(): void {
    if (this.#timedOut !== undefined) return;
    const fold = this.#fold;
    this.#registrations = [];
    fold.payload = undefined;
    fold.validate = undefined;
    fold.value = undefined;
    fold.reasons = undefined;
    if (this.#env.pool.length < MAX_POOLED_DISPATCHES) this.#env.pool.push(this);
  }
}

// The executor runs synchronously inside `new Promise`, so one module-level executor can hand the
// resolve function over without allocating a closure per dispatch.
let captured: ((value: unknown) => void) | undefined;
function captureResolve(resolve: (value: unknown) => void): void {
  captured = resolve;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
