// How each kind of hook combines its callbacks' results (DESIGN §3), as one table: what a
// dispatch with no callbacks returns, how one result is taken in, what a failure means, and what
// the dispatch returns. The dispatcher knows no kind; it folds results through this table.
import { describeError, type TimeoutError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { GuardResult, HookKind } from './catalog.js';

/** `first` hooks only: a result this rejects is no claim, and the next callback is asked. */
export type Validate = (value: unknown, pluginId: string) => boolean;

type BlockReason = GuardResult['reasons'][number];

/** The state one dispatch folds its results into; reused by the pooled dispatch that owns it. */
export class Fold {
  hook = '';
  /** What the next callback is given: the dispatch's payload, or, for a waterfall, the value so far. */
  payload: unknown = undefined;
  /** first: the claim; merge: the merged object; collect: the results. */
  value: unknown = undefined;
  reasons: BlockReason[] | undefined = undefined;
  validate: Validate | undefined = undefined;
  /** The combiner's `chained`, for the dispatch under way. */
  chained = false;
  readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }
}

export interface Combiner {
  /** Each callback is given the value so far (a waterfall) rather than the dispatch's payload. */
  readonly chained: boolean;
  /** What a dispatch with no callbacks returns, fresh each time (a caller may keep or change it). */
  empty(payload: unknown): unknown;
  /**
   * Take in one callback's answer; true when the dispatch is decided and no later callback runs.
   * Never called with null or undefined: for every kind those mean "no answer", and the
   * dispatcher skips them.
   */
  accept(fold: Fold, pluginId: string, value: unknown): boolean;
  /** A callback threw, or timed out (`error` is then the TimeoutError its signal was aborted with). */
  failed(fold: Fold, pluginId: string, error: unknown, timedOut: boolean): void;
  /** What the dispatch returns once every callback had its turn (or one decided it). */
  result(fold: Fold): unknown;
}

const ignore = (): void => {};

/** A merge or waterfall answer must be an object to be merged; anything else is ignored, loudly. */
function isPartial(fold: Fold, pluginId: string, value: unknown): value is object {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
  fold.log.warn(
    { pluginId, hook: fold.hook },
    `hook "${fold.hook}" callback of plugin "${pluginId}" returned ${Array.isArray(value) ? 'an array' : typeof value}, not an object; ignored`,
  );
  return false;
}

// The dispatcher calls `accept` from one place for every kind, and V8 inlines a call there only
// while it sees at most four different functions: kinds that can share one, do.

/** merge and waterfall: shallow-merge an object answer onto the merged value, or onto the value the next callback is given. */
function spread(fold: Fold, pluginId: string, value: unknown): boolean {
  // Spread, not Object.assign: an own `__proto__` key is copied as data, never set as the prototype.
  if (!isPartial(fold, pluginId, value)) return false;
  if (fold.chained) fold.payload = { ...(fold.payload as object), ...value };
  else fold.value = { ...(fold.value as object | undefined), ...value };
  return false;
}

/** collect, and observe, whose result drops what it kept. */
function keep(fold: Fold, _pluginId: string, value: unknown): boolean {
  if (fold.value === undefined) fold.value = [value];
  else (fold.value as unknown[]).push(value);
  return false;
}

function block(fold: Fold, pluginId: string, reason: string): void {
  (fold.reasons ??= []).push({ pluginId, reason });
}

function claim(fold: Fold, pluginId: string, value: unknown): boolean {
  const validate = fold.validate;
  if (validate !== undefined) {
    let valid: boolean;
    try {
      valid = validate(value, pluginId);
    } catch (err) {
      fold.log.error({ pluginId, hook: fold.hook, err }, `validating the "${fold.hook}" result of plugin "${pluginId}" failed; treated as no claim`);
      valid = false;
    }
    if (!valid) {
      fold.log.debug({ pluginId, hook: fold.hook }, `"${fold.hook}" result of plugin "${pluginId}" rejected by the validator; asking the next callback`);
      return false;
    }
  }
  fold.value = { value, pluginId };
  return true;
}

function verdict(fold: Fold, pluginId: string, value: unknown): void {
  if (typeof value === 'object' && value !== null) {
    const { block: blocks, reason } = value as { block?: unknown; reason?: unknown };
    if (blocks === false) return;
    if (blocks === true) {
      block(fold, pluginId, typeof reason === 'string' && reason.trim() !== '' ? reason : `blocked by plugin "${pluginId}"`);
      return;
    }
  }
  // `true`, `false`, `{ allow: true }`…: ambiguous, and a guard fails closed.
  fold.log.warn({ pluginId, hook: fold.hook }, `guard "${fold.hook}" of plugin "${pluginId}" returned an invalid verdict; treated as a block`);
  block(fold, pluginId, `plugin "${pluginId}" returned an invalid verdict (expected null or { block: boolean, reason?: string }); a guard fails closed`);
}

export const KINDS: { readonly [K in HookKind]: Combiner } = {
  first: {
    chained: false,
    empty: () => null,
    accept: claim,
    failed: ignore,
    result: (fold) => fold.value ?? null,
  },
  merge: {
    chained: false,
    empty: () => ({}),
    accept: spread,
    failed: ignore,
    result: (fold) => fold.value ?? {},
  },
  // Rollup's hookReduceArg0: the next callback is given what the previous ones left. A failed
  // callback returned nothing, so the value stays as it was before it.
  waterfall: {
    chained: true,
    empty: (payload) => payload,
    accept: spread,
    failed: ignore,
    result: (fold) => fold.payload,
  },
  guard: {
    chained: false,
    empty: () => ({ blocked: false, reasons: [] }) satisfies GuardResult,
    accept(fold, pluginId, value) {
      verdict(fold, pluginId, value);
      return false;
    },
    failed(fold, pluginId, error, timedOut) {
      block(
        fold,
        pluginId,
        timedOut
          ? `plugin "${pluginId}" did not answer within ${(error as TimeoutError).timeoutMs}ms (a guard that times out blocks)`
          : `plugin "${pluginId}" failed while checking (a guard that fails blocks): ${describeError(error)}`,
      );
    },
    result(fold) {
      const reasons = fold.reasons ?? [];
      return { blocked: reasons.length > 0, reasons } satisfies GuardResult;
    },
  },
  observe: {
    chained: false,
    empty: () => undefined,
    accept: keep,
    failed: ignore,
    result: () => undefined,
  },
  collect: {
    chained: false,
    empty: () => [],
    accept: keep,
    failed: ignore,
    result: (fold) => fold.value ?? [],
  },
};
