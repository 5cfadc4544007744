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

/** A merge or waterfall answer must be an object to be merged; anything else is ignored, loudly. */
function isPartial(fold: Fold, pluginId: string, value: unknown): value is object {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
  fold.log.warn(
    { pluginId, hook: fold.hook },
    `hook "${fold.hook}" callback of plugin "${pluginId}" returned ${Array.isArray(value) ? 'an array' : typeof value}, not an object; ignored`,
  );
  return false;
}

function block(fold: Fold, pluginId: string, reason: string): void {
  (fold.reasons ??= []).push({ pluginId, reason });
}

// Four classes for six kinds, and classes rather than object literals: the dispatcher calls
// `accept` from one place for every kind, and V8 inlines that call only while the combiners it
// sees there have at most four different classes, each with its method on the prototype.

/** first: the first answer the call site's validator accepts decides the dispatch. */
class FirstAnswer implements Combiner {
  readonly chained = false;

  empty(): unknown {
    return null;
  }

  accept(fold: Fold, pluginId: string, value: unknown): boolean {
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

  failed(): void {}

  result(fold: Fold): unknown {
    return fold.value ?? null;
  }
}

/**
 * merge and waterfall: object answers shallow-merged. A merge merges them into one result and
 * gives every callback the payload; a waterfall (Rollup's hookReduceArg0) merges each onto the
 * value the next callback is given, and returns it. A failed callback answered nothing, so the
 * value stays as it was before it.
 */
class ShallowMerge implements Combiner {
  readonly chained: boolean;

  constructor(chained: boolean) {
    this.chained = chained;
  }

  empty(payload: unknown): unknown {
    return this.chained ? payload : {};
  }

  accept(fold: Fold, pluginId: string, value: unknown): boolean {
    // Spread, not Object.assign: an own `__proto__` key is copied as data, never set as the prototype.
    if (!isPartial(fold, pluginId, value)) return false;
    if (this.chained) fold.payload = { ...(fold.payload as object), ...value };
    else fold.value = { ...(fold.value as object | undefined), ...value };
    return false;
  }

  failed(): void {}

  result(fold: Fold): unknown {
    return this.chained ? fold.payload : (fold.value ?? {});
  }
}

/** guard: every verdict counts, any block blocks, and a failure or an invalid verdict is a block (fail closed). */
class Verdicts implements Combiner {
  readonly chained = false;

  empty(): unknown {
    return { blocked: false, reasons: [] } satisfies GuardResult;
  }

  accept(fold: Fold, pluginId: string, value: unknown): boolean {
    if (typeof value === 'object' && value !== null) {
      const { block: blocks, reason } = value as { block?: unknown; reason?: unknown };
      if (blocks === false) return false;
      if (blocks === true) {
        block(fold, pluginId, typeof reason === 'string' && reason.trim() !== '' ? reason : `blocked by plugin "${pluginId}"`);
        return false;
      }
    }
    // `true`, `false`, `{ allow: true }`…: ambiguous, and a guard fails closed.
    fold.log.warn({ pluginId, hook: fold.hook }, `guard "${fold.hook}" of plugin "${pluginId}" returned an invalid verdict; treated as a block`);
    block(fold, pluginId, `plugin "${pluginId}" returned an invalid verdict (expected null or { block: boolean, reason?: string }); a guard fails closed`);
    return false;
  }

  failed(fold: Fold, pluginId: string, error: unknown, timedOut: boolean): void {
    block(
      fold,
      pluginId,
      timedOut
        ? `plugin "${pluginId}" did not answer within ${(error as TimeoutError).timeoutMs}ms (a guard that times out blocks)`
        : `plugin "${pluginId}" failed while checking (a guard that fails blocks): ${describeError(error)}`,
    );
  }

  result(fold: Fold): unknown {
    const reasons = fold.reasons ?? [];
    return { blocked: reasons.length > 0, reasons } satisfies GuardResult;
  }
}

/** collect: the answers, in order; observe: the same run, with nothing kept or returned. */
class Answers implements Combiner {
  readonly chained = false;
  readonly #returned: boolean;

  constructor(returned: boolean) {
    this.#returned = returned;
  }

  empty(): unknown {
    return this.#returned ? [] : undefined;
  }

  accept(fold: Fold, _pluginId: string, value: unknown): boolean {
    if (!this.#returned) return false;
    if (fold.value === undefined) fold.value = [value];
    else (fold.value as unknown[]).push(value);
    return false;
  }

  failed(): void {}

  result(fold: Fold): unknown {
    return this.#returned ? (fold.value ?? []) : undefined;
  }
}

export const KINDS: { readonly [K in HookKind]: Combiner } = {
  first: new FirstAnswer(),
  merge: new ShallowMerge(false),
  waterfall: new ShallowMerge(true),
  guard: new Verdicts(),
  observe: new Answers(false),
  collect: new Answers(true),
};
