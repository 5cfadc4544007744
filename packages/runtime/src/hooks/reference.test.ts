// The pooled, timer-sharing dispatcher against a plain reference: a `for … await` loop with a
// Promise.race timeout per call, written from DESIGN §3 without any of the bus's code. Random
// mixes of sync, async, throwing, rejecting, hanging and late callbacks, for every kind, on a
// manual clock: both must call the same callbacks with the same payloads, return the same
// result, settle at the same time, and log the same failures.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/clock.js';
import { captureLogger } from './__fixtures__/capture-logger.js';
import type { HookKind } from './catalog.js';
import { HookBus } from './hook-bus.js';

const TIMEOUT_MS = 100;
const KINDS: readonly HookKind[] = ['first', 'merge', 'waterfall', 'guard', 'observe', 'collect'];

/** What a callback answers; `derive` is worked out from the payload it was given (a waterfall's value so far). */
type Answer = unknown;
const DERIVE = { derive: true } as const;

type Behaviour =
  | { readonly type: 'sync'; readonly answer: Answer }
  | { readonly type: 'throw' }
  | { readonly type: 'thenable'; readonly answer: Answer }
  | { readonly type: 'async'; readonly answer: Answer; readonly delay: number }
  | { readonly type: 'reject'; readonly delay: number }
  | { readonly type: 'hang' }
  | { readonly type: 'late'; readonly answer: Answer; readonly delay: number };

const objectAnswer = fc.record({ x: fc.integer({ min: 0, max: 3 }), y: fc.constantFrom('a', 'b') }, { requiredKeys: [] });
const notAnObject = fc.constantFrom<Answer>('a string', [1, 2], 7);

const ANSWERS: { readonly [K in HookKind]: fc.Arbitrary<Answer> } = {
  first: fc.constantFrom<Answer>(null, undefined, '', 'a', 'b', 'rejected by the validator', 0),
  merge: fc.oneof(fc.constantFrom<Answer>(null, undefined), objectAnswer, notAnObject),
  waterfall: fc.oneof(fc.constantFrom<Answer>(null, undefined, DERIVE, DERIVE), objectAnswer, notAnObject),
  guard: fc.constantFrom<Answer>(null, undefined, { block: false }, { block: true, reason: 'no' }, { block: true }, { block: true, reason: ' ' }, true, {}),
  observe: fc.constantFrom<Answer>(null, undefined, 'ignored', { ignored: true }),
  collect: fc.constantFrom<Answer>(null, undefined, 0, '', 'a', { n: 1 }, false),
};

function behaviour(kind: HookKind): fc.Arbitrary<Behaviour> {
  const answer = ANSWERS[kind];
  const inTime = fc.integer({ min: 0, max: TIMEOUT_MS - 1 });
  return fc.oneof(
    { arbitrary: answer.map((a) => ({ type: 'sync', answer: a }) as const), weight: 3 },
    { arbitrary: answer.map((a) => ({ type: 'thenable', answer: a }) as const), weight: 1 },
    { arbitrary: fc.record({ answer, delay: inTime }).map((r) => ({ type: 'async', ...r }) as const), weight: 3 },
    { arbitrary: fc.constant({ type: 'throw' } as const), weight: 1 },
    { arbitrary: inTime.map((delay) => ({ type: 'reject', delay }) as const), weight: 1 },
    { arbitrary: fc.constant({ type: 'hang' } as const), weight: 1 },
    {
      arbitrary: fc.record({ answer, delay: fc.integer({ min: TIMEOUT_MS + 1, max: 3 * TIMEOUT_MS }) }).map((r) => ({ type: 'late', ...r }) as const),
      weight: 1,
    },
  );
}

interface Scenario {
  readonly kind: HookKind;
  readonly behaviours: readonly Behaviour[];
  readonly validate: boolean;
}

const scenario = fc
  .constantFrom(...KINDS)
  .chain((kind) => fc.record({ kind: fc.constant(kind), behaviours: fc.array(behaviour(kind), { maxLength: 7 }), validate: fc.boolean() }));

interface Payload {
  readonly id: number;
  readonly trail: readonly string[];
}

interface Call {
  readonly pluginId: string;
  readonly payload: string;
}

function materialise(answer: Answer, payload: Payload, pluginId: string): Answer {
  return answer === DERIVE ? { trail: [...payload.trail, pluginId] } : answer;
}

/** The callback a behaviour describes, recording each call and the payload it was given. */
function callbackFor(b: Behaviour, pluginId: string, clock: ManualClock, calls: Call[]): (payload: Payload) => unknown {
  const after = <T>(delay: number, settle: (resolve: (v: T) => void, reject: (e: Error) => void) => void) =>
    new Promise<T>((resolve, reject) => (delay === 0 ? settle(resolve, reject) : clock.setTimeout(() => settle(resolve, reject), delay)));
  return (payload) => {
    calls.push({ pluginId, payload: JSON.stringify(payload) });
    switch (b.type) {
      case 'sync':
        return materialise(b.answer, payload, pluginId);
      case 'throw':
        throw new Error(`${pluginId} threw`);
      case 'thenable':
        return { then: (resolve: (v: unknown) => void) => resolve(materialise(b.answer, payload, pluginId)) };
      case 'async':
      case 'late':
        return after(b.delay, (resolve) => resolve(materialise(b.answer, payload, pluginId)));
      case 'reject':
        return after(b.delay, (_resolve, reject) => reject(new Error(`${pluginId} rejected`)));
      case 'hang':
        return new Promise(() => {});
    }
  };
}

const rejectsSome = (value: unknown) => value !== 'rejected by the validator';

/** A reason the reference cannot spell out (a failure, a timeout, an invalid verdict): any text naming the plugin. */
const namesPlugin = (pluginId: string): unknown => expect.stringContaining(`"${pluginId}"`);

/** The call threw, rejected, or did not answer in time. */
const FAILED = Symbol('failed');

/** DESIGN §3 as a plain loop. */
async function referenceDispatch(
  kind: HookKind,
  callbacks: readonly { pluginId: string; callback: (payload: Payload) => unknown }[],
  payload: Payload,
  clock: ManualClock,
  validate: ((value: unknown) => boolean) | undefined,
): Promise<{ result: unknown; failures: string[] }> {
  let value: Payload = payload;
  let merged: object | undefined;
  const collected: unknown[] = [];
  const reasons: { pluginId: string; reason: unknown }[] = [];
  const failures: string[] = [];
  for (const { pluginId, callback } of callbacks) {
    let answer: unknown;
    let timer: ReturnType<ManualClock['setTimeout']> | undefined;
    try {
      const timeout = new Promise<typeof FAILED>((resolve) => (timer = clock.setTimeout(() => resolve(FAILED), TIMEOUT_MS)));
      answer = await Promise.race([Promise.resolve().then(() => callback(kind === 'waterfall' ? value : payload)), timeout]);
    } catch {
      answer = FAILED;
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
    }
    if (answer === FAILED) {
      failures.push(pluginId);
      if (kind === 'guard') reasons.push({ pluginId, reason: namesPlugin(pluginId) });
      continue;
    }
    if (answer === null || answer === undefined) continue;
    const isObject = typeof answer === 'object' && !Array.isArray(answer);
    switch (kind) {
      case 'first':
        if (validate === undefined || validate(answer)) return { result: { value: answer, pluginId }, failures };
        break;
      case 'merge':
        if (isObject) merged = { ...merged, ...answer };
        break;
      case 'waterfall':
        if (isObject) value = { ...value, ...answer };
        break;
      case 'guard': {
        const { block, reason } = answer as { block?: unknown; reason?: unknown };
        if (block === false) break;
        if (block === true) reasons.push({ pluginId, reason: typeof reason === 'string' && reason.trim() !== '' ? reason : `blocked by plugin "${pluginId}"` });
        else reasons.push({ pluginId, reason: namesPlugin(pluginId) });
        break;
      }
      case 'observe':
        break;
      case 'collect':
        collected.push(answer);
        break;
    }
  }
  const result = { first: null, merge: merged ?? {}, waterfall: value, guard: { blocked: reasons.length > 0, reasons }, observe: undefined, collect: collected }[kind];
  return { result, failures };
}

interface Outcome {
  result: unknown;
  /** Ms from the dispatch's start until it settled. */
  settledAfter: number | undefined;
}

/** Long enough for every callback to answer, time out, or answer late. */
const runFor = (s: Scenario) => (s.behaviours.length + 4) * 3 * TIMEOUT_MS;

async function viaReference(s: Scenario, payload: Payload): Promise<Outcome & { calls: Call[]; failures: string[] }> {
  const clock = new ManualClock();
  const calls: Call[] = [];
  const callbacks = s.behaviours.map((b, i) => ({ pluginId: `p${i}`, callback: callbackFor(b, `p${i}`, clock, calls) }));
  const outcome: Outcome & { failures: string[] } = { result: undefined, settledAfter: undefined, failures: [] };
  void referenceDispatch(s.kind, callbacks, payload, clock, s.validate ? rejectsSome : undefined).then(({ result, failures }) => {
    outcome.result = result;
    outcome.failures = failures;
    outcome.settledAfter = clock.monotonic();
  });
  await clock.advance(runFor(s));
  return { ...outcome, calls };
}

function busFor(s: Scenario) {
  const clock = new ManualClock();
  const log = captureLogger();
  const bus = new HookBus({ logger: log.logger, clock, timeoutMs: TIMEOUT_MS });
  const calls: Call[] = [];
  const hook = `reference_${s.kind}`;
  bus.define(hook, s.kind);
  s.behaviours.forEach((b, i) => bus.registerCustom(`p${i}`, hook, callbackFor(b, `p${i}`, clock, calls) as (payload: unknown) => unknown));
  const dispatch = (payload: Payload, outcome: Outcome) => {
    const startedAt = clock.monotonic();
    void bus.dispatchCustom(hook, payload, s.validate ? { validate: rejectsSome } : {}).then((result) => {
      outcome.result = result;
      outcome.settledAfter = clock.monotonic() - startedAt;
    });
  };
  return { clock, calls, dispatch, failures: () => log.at('error').map((l) => l.pluginId) };
}

const property = { numRuns: 300 };

describe('the hook bus against a plain reference dispatcher', () => {
  it('calls, returns, settles and logs failures as the reference does, for every kind', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const payload: Payload = { id: 0, trail: [] };
        const expected = await viaReference(s, payload);
        const { clock, calls, dispatch, failures } = busFor(s);
        const actual: Outcome = { result: undefined, settledAfter: undefined };
        dispatch(payload, actual);
        await clock.advance(runFor(s));
        expect(calls).toEqual(expected.calls);
        expect(actual.result).toEqual(expected.result);
        expect(actual.settledAfter).toBe(expected.settledAfter);
        expect(failures()).toEqual(expected.failures);
      }),
      property,
    );
  });

  it('gives each of several overlapping dispatches the result it would have alone', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.array(fc.integer({ min: 0, max: 2 * TIMEOUT_MS }), { minLength: 2, maxLength: 4 }), async (s, gaps) => {
        const expected = await viaReference(s, { id: 0, trail: [] });
        const { clock, calls, dispatch } = busFor(s);
        const outcomes = gaps.map((): Outcome => ({ result: undefined, settledAfter: undefined }));
        for (const [id, gap] of gaps.entries()) {
          await clock.advance(gap);
          dispatch({ id, trail: [] }, outcomes[id]!);
        }
        await clock.advance(runFor(s));
        for (const [id, outcome] of outcomes.entries()) {
          const relabel = (value: unknown) => JSON.parse(JSON.stringify(value ?? null).replaceAll('"id":0', `"id":${id}`)) as unknown;
          expect(outcome.settledAfter).toBe(expected.settledAfter);
          expect(outcome.result).toEqual(s.kind === 'waterfall' ? relabel(expected.result) : expected.result);
          const own = calls.filter((c) => (JSON.parse(c.payload) as Payload).id === id).map((c) => c.pluginId);
          expect(own).toEqual(expected.calls.map((c) => c.pluginId));
        }
      }),
      { numRuns: 150 },
    );
  });
});
