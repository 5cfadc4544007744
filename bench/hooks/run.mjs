// Hook dispatch overhead: HookBus.dispatch over 10 plugins against a hand-written loop making
// the same awaited calls in the same order with the same combination logic. Target: ≤ 1.3×.
// Run from the repository root after a build: `npm run build && node bench/hooks/run.mjs`.
// The bundled build, the same code the `kora` bin runs.
import { createSilentLogger, HookBus } from '../../packages/runtime/dist/internal.js';


const PLUGINS = 10;
const TARGET = 1.3;
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
/**
 * Dispatches per timed batch, and rounds. A round times one batch of the hand-written loop, one of
 * the bus and one more of the loop, back to back, and takes bus / mean(loop): pairing batches that
 * close in time cancels most of the drift a shared machine adds. Reported: medians over rounds.
 */
const BATCH = Number(args.get('batch') ?? 4_000);
const ROUNDS = Number(args.get('rounds') ?? 25);
const WARMUP = Number(args.get('warmup') ?? 5);

const REQUEST = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] };
const RESPONSE = {
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'm',
  content: [{ type: 'text', text: 'hi' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: null, cache_read_input_tokens: null },
};

const pluginIds = Array.from({ length: PLUGINS }, (_, i) => `plugin_${i}`);

/**
 * Per kind: the hook, a payload, what plugin i returns (every callback runs: `first` claims only
 * at the last plugin), and the hand-written combination the bus must match.
 */
const KINDS = [
  {
    kind: 'first',
    hook: 'transform_llm_output',
    payload: { route: 'bench', request: REQUEST, response: RESPONSE },
    result: (i) => (i === PLUGINS - 1 ? 'rewritten' : null),
    hand: async (calls, payload, contexts) => {
      for (let i = 0; i < calls.length; i++) {
        const value = await calls[i](payload, contexts[i]);
        if (value !== null && value !== undefined) return { value, pluginId: contexts[i].pluginId };
      }
      return null;
    },
  },
  {
    // No catalogued hook is a merge: a plugin's own, defined as one.
    kind: 'merge',
    hook: 'bench_settings',
    define: 'merge',
    payload: REQUEST,
    result: (i) => ({ [`k${i}`]: i, model: `m${i}` }),
    hand: async (calls, payload, contexts) => {
      let merged;
      for (let i = 0; i < calls.length; i++) {
        const value = await calls[i](payload, contexts[i]);
        if (value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value)) merged = { ...merged, ...value };
      }
      return merged ?? {};
    },
  },
  {
    // Every other callback changes the request; each is given the request as the previous ones left it.
    kind: 'waterfall',
    hook: 'pre_api_request_mutable',
    payload: REQUEST,
    result: (i) => (i % 2 === 0 ? null : { model: `m${i}`, max_tokens: i }),
    hand: async (calls, payload, contexts) => {
      let request = payload;
      for (let i = 0; i < calls.length; i++) {
        const value = await calls[i](request, contexts[i]);
        if (value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value)) request = { ...request, ...value };
      }
      return request;
    },
  },
  {
    kind: 'guard',
    hook: 'pre_tool_call',
    payload: { tool: 'kora__status', input: {} },
    result: (i) => (i % 2 === 0 ? null : { block: false }),
    hand: async (calls, payload, contexts) => {
      let reasons;
      for (let i = 0; i < calls.length; i++) {
        const value = await calls[i](payload, contexts[i]);
        if (value !== null && value !== undefined && value.block === true) (reasons ??= []).push({ pluginId: contexts[i].pluginId, reason: value.reason });
      }
      return { blocked: reasons !== undefined, reasons: reasons ?? [] };
    },
  },
  {
    kind: 'observe',
    hook: 'post_tool_call',
    payload: { tool: 'kora__status', input: {}, ok: true, durationMs: 1 },
    result: () => undefined,
    hand: async (calls, payload, contexts) => {
      for (let i = 0; i < calls.length; i++) await calls[i](payload, contexts[i]);
    },
  },
  {
    kind: 'collect',
    hook: 'pre_llm_call',
    payload: { route: 'bench', request: REQUEST },
    result: (i) => ({ note: i }),
    hand: async (calls, payload, contexts) => {
      let out;
      for (let i = 0; i < calls.length; i++) {
        const value = await calls[i](payload, contexts[i]);
        if (value !== null && value !== undefined) (out ??= []).push(value);
      }
      return out ?? [];
    },
  },
];

function callbacks(spec, variant) {
  return pluginIds.map((_, i) => {
    const value = spec.result(i);
    return variant === 'async' ? async () => value : () => value;
  });
}

async function timeBatch(run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) await run();
  return Number(process.hrtime.bigint() - start) / BATCH;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * One bus carrying every kind's hook, as in a gateway (one for the async callbacks, one for the
 * sync ones, since a hook name has one set of callbacks). The hand-written loops are one
 * function per kind, so each stays monomorphic; the bus is one code path for all kinds.
 */
const buses = { async: new HookBus({ logger: createSilentLogger() }), sync: new HookBus({ logger: createSilentLogger() }) };

function setup(spec, variant) {
  const calls = callbacks(spec, variant);
  const bus = buses[variant];
  if (spec.define) bus.define(spec.hook, spec.define);
  pluginIds.forEach((id, i) => bus.registerCustom(id, spec.hook, calls[i]));
  // The hand-written loop gets a ready context per plugin: it pays for nothing the bus does.
  const contexts = pluginIds.map((pluginId) => ({ pluginId, hook: spec.hook, signal: new AbortController().signal }));
  return { spec, variant, viaBus: spec.define ? () => bus.dispatchCustom(spec.hook, spec.payload) : () => bus.dispatch(spec.hook, spec.payload), byHand: () => spec.hand(calls, spec.payload, contexts) };
}

async function measure({ spec, variant, viaBus, byHand }) {
  const busNs = [];
  const handNs = [];
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = await timeBatch(byHand);
    const bus = await timeBatch(viaBus);
    const after = await timeBatch(byHand);
    busNs.push(bus);
    handNs.push(before, after);
    ratios.push((2 * bus) / (before + after));
  }
  return { kind: spec.kind, variant, bus: median(busNs), hand: median(handNs), ratio: median(ratios) };
}

const started = Date.now();
const setups = [];
for (const variant of ['async', 'sync']) for (const spec of KINDS) setups.push(setup(spec, variant));
for (const { spec, variant, viaBus, byHand } of setups) {
  // Same answer from both, or the comparison means nothing.
  const [a, b] = [await viaBus(), await byHand()];
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${spec.kind}/${variant}: bus ${JSON.stringify(a)} != hand ${JSON.stringify(b)}`);
}
// Steady state: every kind is warmed up before any is measured, so no kind is measured
// before or after the others have taught the JIT about them (the order would pick the result).
for (let i = 0; i < WARMUP; i++) {
  for (const { viaBus, byHand } of setups) {
    await timeBatch(viaBus);
    await timeBatch(byHand);
  }
}
const rows = [];
for (const s of setups) rows.push(await measure(s));

console.log(
  `Hook dispatch, ${PLUGINS} plugins with one callback each; ${ROUNDS} rounds of ${BATCH} dispatches, medians (Node ${process.version}, ${process.platform}/${process.arch})\n`,
);
console.log('| kind | callbacks | HookBus ns/dispatch | hand-written ns/dispatch | ratio | target ≤ 1.3× |');
console.log('|---|---|---:|---:|---:|:---:|');
for (const r of rows) {
  console.log(`| ${r.kind} | ${r.variant} | ${r.bus.toFixed(0)} | ${r.hand.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.ratio <= TARGET ? 'met' : '**missed**'} |`);
}
console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = rows.every((r) => r.ratio <= TARGET) ? 0 : 1;
