// The hook dispatcher: runs a hook's callbacks in registration order, each isolated and under a
// timeout, and combines their results by the hook's kind (DESIGN §3). Built for the hot path:
// a sync callback costs no timer and no await, and async callbacks share one watchdog timer.
import { ConfigError, PluginError, TimeoutError, UsageError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createSystemClock, type Clock, type TimerHandle } from '../time/clock.js';
import {
  hookKind,
  isKnownHook,
  type DispatchResult,
  type GuardResult,
  type HookCallContext,
  type HookCallback,
  type HookKind,
  type HookName,
  type HookPayload,
  type UnknownHookCallback,
} from './catalog.js';

export interface HookBusOptions {
  logger: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Per-callback timeout; default 30 s. */
  timeoutMs?: number;
}

export interface DispatchOptions {
  /** `first` hooks only: a result this rejects is treated as no claim, and the next callback is asked. */
  validate?: (value: unknown, pluginId: string) => boolean;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

type AnyCallback = (payload: unknown, context: HookCallContext) => unknown;

interface Registration {
  readonly pluginId: string;
  readonly hook: string;
  readonly callback: AnyCallback;
  /** Cleared on removal, so a dispatch already iterating its snapshot skips it. */
  active: boolean;
}

/** A hook's callbacks, copy-on-write: a dispatch iterates the array it started with. */
interface HookEntry {
  readonly kind: HookKind;
  readonly registrations: readonly Registration[];
}

/** What every dispatch of one bus shares. */
interface BusEnv {
  readonly log: Logger;
  readonly watchdog: Watchdog;
  readonly timeoutMs: number;
  /** Finished dispatches, reused: see `Dispatch.#release`. */
  readonly pool: Dispatch[];
}

/** Enough for the dispatches a gateway has in flight at once; beyond it they are simply collected. */
const MAX_POOLED_DISPATCHES = 16;

type BlockReason = GuardResult['reasons'][number];

export class HookBus {
  readonly #log: Logger;
  readonly #env: BusEnv;
  #byHook = new Map<string, HookEntry>();
  /** Every registration in registration order. */
  #all: Registration[] = [];

  constructor(options: HookBusOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new ConfigError('KORA_ERR_CONFIG_INVALID', undefined, [{ path: 'hooks.timeout', message: `expected a positive number of milliseconds, got ${timeoutMs}` }]);
    }
    this.#log = options.logger;
    this.#env = { log: options.logger, watchdog: new Watchdog(options.clock ?? createSystemClock(), timeoutMs), timeoutMs, pool: [] };
  }

  /** Register `callback` on `hook` for `pluginId`; returns a function that removes exactly this registration. */
  register<K extends HookName>(pluginId: string, hook: K, callback: HookCallback<K>): () => void;
  register(pluginId: string, hook: string, callback: UnknownHookCallback): () => void;
  register(pluginId: string, hook: string, callback: AnyCallback): () => void {
    if (typeof hook !== 'string' || hook === '') {
      throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${pluginId}" registered a hook callback without a hook name`, { pluginId });
    }
    if (typeof callback !== 'function') {
      throw new PluginError('KORA_ERR_PLUGIN_REGISTER', `Plugin "${pluginId}" registered hook "${hook}" without a callback function`, { pluginId, hook });
    }
    if (!isKnownHook(hook)) {
      this.#log.warn({ pluginId, hook }, `plugin "${pluginId}" registered hook "${hook}", which is not in the hook catalog; it is dispatched as collect`);
    }
    const registration: Registration = { pluginId, hook, callback, active: true };
    this.#byHook.set(hook, { kind: hookKind(hook), registrations: [...(this.#byHook.get(hook)?.registrations ?? []), registration] });
    this.#all.push(registration);
    return () => this.#remove((r) => r === registration);
  }

  /** Run `hook`'s callbacks and combine their results by the hook's kind. Never rejects. */
  dispatch<K extends HookName>(hook: K, payload: HookPayload<K>, options?: DispatchOptions): Promise<DispatchResult<K>> {
    return startDispatch(this.#env, this.#byHook.get(hook), hook, payload, options?.validate) as Promise<DispatchResult<K>>;
  }

  /** Dispatch a hook outside the catalog (a plugin's own): collect semantics. */
  dispatchUnknown(hook: string, payload: unknown): Promise<unknown[]> {
    if (isKnownHook(hook)) {
      return Promise.reject(
        new UsageError(`dispatchUnknown("${hook}"): "${hook}" is a catalogued ${hookKind(hook)} hook; use dispatch() so its kind applies`, { hook }),
      );
    }
    return startDispatch(this.#env, this.#byHook.get(hook), hook, payload, undefined) as Promise<unknown[]>;
  }

  /** Remove every callback `pluginId` registered (rollback of a plugin whose `register` failed). */
  removePlugin(pluginId: string): void {
    this.#remove((r) => r.pluginId === pluginId);
  }

  registrations(): ReadonlyArray<{ pluginId: string; hook: string }> {
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
      const rest = (this.#byHook.get(hook)?.registrations ?? []).filter((r) => r.active);
      if (rest.length > 0) this.#byHook.set(hook, { kind: hookKind(hook), registrations: rest });
      else this.#byHook.delete(hook);
    }
  }
}

function startDispatch(env: BusEnv, entry: HookEntry | undefined, hook: string, payload: unknown, validate: DispatchOptions['validate']): Promise<unknown> {
  if (entry === undefined) return Promise.resolve(emptyResult(hookKind(hook)));
  return (env.pool.pop() ?? new Dispatch(env)).start(hook, entry, payload, validate);
}

function emptyResult(kind: HookKind): unknown {
  switch (kind) {
    case 'first':
      return null;
    case 'merge':
      return {};
    case 'guard':
      return { blocked: false, reasons: [] } satisfies GuardResult;
    case 'observe':
      return undefined;
    case 'collect':
      return [];
  }
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

/** A dispatch as the watchdog sees it: linked while it has a call in flight, with that call's deadline. */
interface Waiter {
  deadline: number;
  prev: Waiter | null;
  next: Waiter | null;
  /** The awaited call's deadline passed. */
  expire(): void;
}

/** After this many start times taken from one clock reading, read the clock again. */
const MAX_CACHED_READS = 64;

// Watchdog and Dispatch are internal to this module and on the hot path: their methods are plain
// rather than #private because Node 20's V8 calls #private methods measurably slower (state stays
// in #private fields).

/**
 * Deadlines of in-flight async callbacks, checked by one timer armed lazily for the earliest
 * deadline, instead of a timer and a Promise.race per call. A dispatch is linked once, on its
 * first async call, and unlinked when it finishes; each call only moves its deadline.
 */
class Watchdog {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  /** Times here are ms since this: small integers V8 keeps unboxed, where epoch ms would be heap numbers. */
  readonly #origin: number;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #cachedDeadline = 0;
  #cachedReads = 0;
  #turnEndPending = false;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#origin = clock.now();
  }

  link(waiter: Waiter): void {
    waiter.prev = this.#tail;
    waiter.next = null;
    if (this.#tail) this.#tail.next = waiter;
    else this.#head = waiter;
    this.#tail = waiter;
  }

  unlink(waiter: Waiter): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.#head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.#tail = waiter.prev;
    waiter.prev = null;
    waiter.next = null;
  }

  /**
   * The deadline of a call starting now; the timer is armed to fire no later than it. Reading
   * the clock costs about as much as the call itself, so, like libuv's loop time, one reading
   * serves every call started in the same event-loop turn (at most MAX_CACHED_READS of them): a
   * deadline can come early by what that turn had already spent. A turn ends at the next check
   * phase, hence setImmediate rather than the clock.
   */
  deadline(): number {
    if (this.#cachedReads === 0) this.readClock();
    if (++this.#cachedReads === MAX_CACHED_READS) this.#cachedReads = 0;
    return this.#cachedDeadline;
  }

  readClock(): void {
    const now = this.#clock.now() - this.#origin;
    this.#cachedDeadline = now + this.#timeoutMs;
    if (this.#cachedDeadline < this.#timerAt) this.arm(this.#cachedDeadline, now);
    if (!this.#turnEndPending) {
      this.#turnEndPending = true;
      setImmediate(this.#endTurn);
    }
  }

  readonly #endTurn = (): void => {
    this.#turnEndPending = false;
    this.#cachedReads = 0;
  };

  arm(at: number, now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(this.#fire, at - now);
  }

  // When it fires early (its call settled, later ones have later deadlines) it re-arms for the
  // earliest deadline left, so a steady stream of calls costs one timer per timeout period.
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#cachedReads = 0;
    const now = this.#clock.now() - this.#origin;
    // Every linked dispatch is waiting on a call here: timers run only between turns.
    const due: Waiter[] = [];
    for (let w = this.#head; w !== null; w = w.next) if (w.deadline <= now) due.push(w);
    for (const w of due) w.expire();
    // A full scan, not just the head: a clock stepped backwards can leave deadlines out of order.
    let next = Infinity;
    for (let w = this.#head; w !== null; w = w.next) if (w.deadline < next) next = w.deadline;
    if (next < this.#timerAt) this.arm(next, now);
  };
}

/**
 * One dispatch of one hook: a small state machine rather than an async loop. Sync results are
 * combined as they come (no microtask per callback); a promise is followed with `then`, and its
 * settlement carries on from the next callback. When an awaited call times out, the watchdog
 * carries on instead, and the handlers of that call's generation only log a late answer.
 */
class Dispatch implements Waiter {
  deadline = 0;
  prev: Waiter | null = null;
  next: Waiter | null = null;

  readonly #env: BusEnv;
  #hook = '';
  #kind: HookKind = 'collect';
  #registrations: readonly Registration[] = [];
  #payload: unknown;
  #validate: DispatchOptions['validate'];
  #index = 0;
  /** first: the claim; merge: the merged object; collect: the results. */
  #value: unknown;
  #reasons: BlockReason[] | undefined;
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

  constructor(env: BusEnv) {
    this.#env = env;
  }

  start(hook: string, entry: HookEntry, payload: unknown, validate: DispatchOptions['validate']): Promise<unknown> {
    this.#hook = hook;
    this.#kind = entry.kind;
    this.#registrations = entry.registrations;
    this.#payload = payload;
    this.#validate = validate;
    this.#index = 0;
    this.#value = entry.kind === 'first' ? null : undefined;
    this.#reasons = undefined;
    const pending = this.runSync();
    if (pending === undefined) {
      const value = this.result();
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
    while (this.#index < registrations.length) {
      const registration = registrations[this.#index++]!;
      if (!registration.active) continue;
      const context = new CallContext(registration.pluginId, this.#hook);
      let value: unknown;
      try {
        value = registration.callback(this.#payload, context);
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
      if (this.accept(registration, value)) break;
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
    else if (this.accept(registration, value)) {
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
    const { timeoutMs } = this.#env;
    const error = new TimeoutError('KORA_ERR_HOOK_TIMEOUT', `Hook "${this.#hook}" callback of plugin "${pluginId}" timed out after ${timeoutMs}ms`, timeoutMs, {
      pluginId,
      hook: this.#hook,
    });
    controllerOf(context).abort(error);
    this.#env.log.error({ pluginId, hook: this.#hook, timeoutMs }, error.message);
    if (this.#kind === 'guard') this.block(pluginId, `plugin "${pluginId}" did not answer within ${timeoutMs}ms (a guard that times out blocks)`);
    const pending = this.runSync();
    if (pending !== undefined) this.follow(pending);
  }

  late(generation: number, failed: boolean, value: unknown): void {
    const pluginId = this.#timedOut?.[generation]?.pluginId;
    const what = failed ? `failed (${describeError(value)})` : 'returned';
    this.#env.log.debug({ pluginId, hook: this.#hook }, `hook "${this.#hook}" callback of plugin "${pluginId}" ${what} after its timeout; ignored`);
  }

  fail(registration: Registration, err: unknown): void {
    const { pluginId } = registration;
    this.#env.log.error({ pluginId, hook: this.#hook, err }, `hook "${this.#hook}" callback of plugin "${pluginId}" failed: ${describeError(err)}`);
    if (this.#kind === 'guard') this.block(pluginId, `plugin "${pluginId}" failed while checking (a guard that fails blocks): ${describeError(err)}`);
  }

  /** Combine one result; true when the dispatch is decided (a `first` claim). */
  accept(registration: Registration, value: unknown): boolean {
    switch (this.#kind) {
      case 'first':
        return value !== null && value !== undefined && this.claim(registration, value);
      case 'merge':
        if (value === null || value === undefined) return false;
        if (typeof value !== 'object' || Array.isArray(value)) {
          this.#env.log.warn(
            { pluginId: registration.pluginId, hook: this.#hook },
            `hook "${this.#hook}" callback of plugin "${registration.pluginId}" returned ${Array.isArray(value) ? 'an array' : typeof value}, not an object; ignored`,
          );
          return false;
        }
        // Spread, not Object.assign: an own `__proto__` key is copied as data, never set as the prototype.
        this.#value = { ...(this.#value as object | undefined), ...value };
        return false;
      case 'guard':
        this.verdict(registration.pluginId, value);
        return false;
      case 'observe':
        return false;
      case 'collect':
        if (value !== null && value !== undefined) {
          if (this.#value === undefined) this.#value = [value];
          else (this.#value as unknown[]).push(value);
        }
        return false;
    }
  }

  claim(registration: Registration, value: unknown): boolean {
    const { pluginId } = registration;
    if (this.#validate !== undefined) {
      let valid: boolean;
      try {
        valid = this.#validate(value, pluginId);
      } catch (err) {
        this.#env.log.error({ pluginId, hook: this.#hook, err }, `validating the "${this.#hook}" result of plugin "${pluginId}" failed; treated as no claim`);
        valid = false;
      }
      if (!valid) {
        this.#env.log.debug({ pluginId, hook: this.#hook }, `"${this.#hook}" result of plugin "${pluginId}" rejected by the validator; asking the next callback`);
        return false;
      }
    }
    this.#value = { value, pluginId };
    return true;
  }

  verdict(pluginId: string, value: unknown): void {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      const block = (value as { block?: unknown }).block;
      if (block === false) return;
      if (block === true) {
        const reason = (value as { reason?: unknown }).reason;
        this.block(pluginId, typeof reason === 'string' && reason.trim() !== '' ? reason : `blocked by plugin "${pluginId}"`);
        return;
      }
    }
    // `true`, `false`, `{ allow: true }`…: ambiguous, and a guard fails closed.
    this.#env.log.warn({ pluginId, hook: this.#hook }, `guard "${this.#hook}" of plugin "${pluginId}" returned an invalid verdict; treated as a block`);
    this.block(pluginId, `plugin "${pluginId}" returned an invalid verdict (expected null or { block: boolean, reason?: string }); a guard fails closed`);
  }

  block(pluginId: string, reason: string): void {
    (this.#reasons ??= []).push({ pluginId, reason });
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
      resolve(this.result());
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
    this.#registrations = [];
    this.#payload = undefined;
    this.#validate = undefined;
    this.#value = undefined;
    this.#reasons = undefined;
    if (this.#env.pool.length < MAX_POOLED_DISPATCHES) this.#env.pool.push(this);
  }

  result(): unknown {
    switch (this.#kind) {
      case 'first':
        return this.#value;
      case 'merge':
        return this.#value ?? {};
      case 'guard': {
        const reasons = this.#reasons ?? [];
        return { blocked: reasons.length > 0, reasons } satisfies GuardResult;
      }
      case 'observe':
        return undefined;
      case 'collect':
        return this.#value ?? [];
    }
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
