// bench/engine: the reasoning engine's cost per turn — every LLM hook dispatched (Kora's own
// hooks: cost ladder, haiku router, the audit row of each call; and an observer on each), the
// tool list, the usage row, the conversation history read and written (SQLite, through the
// plugin harness) — against the bare SDK sending the same requests to the
// same local fake Messages API, in the same process and run, interleaved round by round.
// Run: npm run build && node bench/engine/run.mjs [--turns 300] [--rounds 5]
import Anthropic from '@anthropic-ai/sdk';
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// Warm-up: both sides keep getting faster for the first ≈ 1 000 turns (the floor from ≈ 1.0 to
// ≈ 0.5 ms, JIT and the HTTP client's pools); with 100 turns the rounds were still on that
// slope, the floor's more than the engine's, and the ratio read ≈ 0.4 lower than it is.
const { values } = parseArgs({ options: { turns: { type: 'string', default: '300' }, rounds: { type: 'string', default: '5' }, warmup: { type: 'string', default: '2000' } } });
const TURNS = Number(values.turns);
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const TARGET = 1.5;
const REPO = resolve(import.meta.dirname, '../..');
const HISTORY_TURNS = 20;

// The fake is TypeScript (test/fakes/anthropic.ts): compiled once into node_modules/.cache, from
// where `@kora/runtime/http` resolves as it does for the tests.
const cache = resolve(REPO, 'node_modules/.cache/kora-bench-engine');
mkdirSync(cache, { recursive: true });
await build({ entryPoints: [resolve(REPO, 'test/fakes/anthropic.ts')], outfile: resolve(cache, 'anthropic.mjs'), format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
const { startFakeAnthropic, text } = await import(pathToFileURL(resolve(cache, 'anthropic.mjs')).href);
const { createPluginHarness } = await import('@kora/runtime/testing');
const { definePlugin } = await import('@kora/runtime');
const { default: reasoning } = await import(pathToFileURL(resolve(REPO, 'plugins/reasoning/dist/index.js')).href);
const { default: kora } = await import(pathToFileURL(resolve(REPO, 'plugins/kora/dist/index.js')).href);

const SYSTEM_PROMPT = 'You are Benchbot, an assistant for benchmarks.\nAnswer in one line.';
const SOUL = 'Benchbot is terse.';
const ANSWER = 'A short answer of about the length a chat reply has, twenty words or so, nothing more to it really.';

const api = await startFakeAnthropic();
api.respondWith(() => text(ANSWER, { usage: { input_tokens: 900, output_tokens: 30, cache_read_input_tokens: 600 } }));

const identity = definePlugin({
  id: 'benchbot',
  register: (ctx) => ctx.registerIdentityProvider(() => ({ systemPrompt: SYSTEM_PROMPT, soul: SOUL, metadata: { agent_name: 'benchbot' } })),
});
// An observer (or a no-answer callback) on every hook a turn fires, and two tools to list.
const hooks = definePlugin({
  id: 'observers',
  register(ctx) {
    for (const hook of ['pre_llm_call', 'pre_tool_list_finalized', 'pre_api_request_mutable', 'pre_api_request', 'post_api_request', 'post_llm_call_can_reissue', 'transform_llm_output', 'post_llm_call']) {
      ctx.on(hook, () => undefined);
    }
    ctx.registerTool({ name: 'bench_lookup', description: 'looks things up', inputSchema: { properties: { q: { type: 'string' } } }, run: () => 'x' });
    ctx.registerTool({ name: 'bench_clock', description: 'tells the time', run: () => '12:00' });
  },
});
// Kora's hooks without its identity (benchbot speaks); the turns are on Kora's `cli` route, so
// the cost ladder routes and marks every request and the audit hook writes a row per turn.
// The gateway's own logger at its default level (info, secrets scrubbed), writing nowhere: the
// harness's default keeps every line from debug up in an array, which a gateway never does.
const { createLogger } = await import(pathToFileURL(resolve(REPO, 'packages/runtime/dist/internal.js')).href);
const logger = await createLogger({ level: 'info', destination: { write: () => true } });
const harness = await createPluginHarness([identity, reasoning, kora, hooks], { logger, env: { CLAUDE_CODE_OAUTH_TOKEN: 'bench-token', ANTHROPIC_BASE_URL: api.url, KORA_DISABLE_IDENTITY_PROVIDER: 'true' } });
await harness.resolveIdentity();
const [status] = await harness.startDaemons();
if (status?.state !== 'running') throw new Error(`reasoning_engine did not start: ${status?.error}`);
const engine = harness.services.get('engine');

// The bare side: the same SDK, the same body the engine sends (identity blocks, the two tools,
// a history of up to 20 turns), kept in an array.
const bare = new Anthropic({ baseURL: api.url, authToken: 'bench-token', maxRetries: 0, logLevel: 'off' });
const system = [{ type: 'text', text: SYSTEM_PROMPT }, { type: 'text', text: SOUL, cache_control: { type: 'ephemeral' } }];
const tools = [
  { name: 'bench_lookup', description: 'looks things up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } },
  { name: 'bench_clock', description: 'tells the time', input_schema: { type: 'object' } },
];
let bareHistory = [];
async function bareTurn(n) {
  const user = { role: 'user', content: `message number ${n}: what is the status?` };
  const reply = await bare.messages.create({ model: 'claude-haiku-4-5', max_tokens: 4096, system, tools, messages: [...bareHistory, user] });
  bareHistory = [...bareHistory, user, { role: 'assistant', content: reply.content.filter((b) => b.type === 'text') }].slice(-2 * HISTORY_TURNS);
}
let conversation = 0;
async function engineTurn(n) {
  // The bare side's two tools (Kora's bridged ones are registered too): the same body on the wire.
  await engine.respond({ route: 'cli', conversation: `bench-${conversation}`, tools: ['bench_lookup', 'bench_clock'], messages: [{ role: 'user', content: `message number ${n}: what is the status?` }] });
}

async function timed(turn, count) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await turn(i);
  return Number(process.hrtime.bigint() - t0) / 1e6 / count;
}

await timed(bareTurn, WARMUP);
await timed(engineTurn, WARMUP);
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  // A fresh conversation each round on both sides, so both grow to the same history bound.
  bareHistory = [];
  conversation += 1;
  const b = await timed(bareTurn, TURNS);
  const e = await timed(engineTurn, TURNS);
  rounds.push({ bare: b, engine: e, ratio: e / b });
}
const requests = api.requests.length;
const { n: usageRows } = await harness.store.pluginDb('reasoning').selectFrom('reasoning_usage').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
const auditRows = (await harness.audit({ seam: 'llm.call' })).length;
if (auditRows === 0) throw new Error('Kora\'s audit hook wrote no llm.call row: the bench did not measure it');
await harness.close();
await api.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratio = median(rounds.map((r) => r.ratio));
console.log('| path | ms per turn, rounds 1–' + ROUNDS + ' | median |');
console.log('|---|---|---:|');
console.log(`| bare SDK call (floor) | ${rounds.map((r) => r.bare.toFixed(3)).join(', ')} | ${median(rounds.map((r) => r.bare)).toFixed(3)} |`);
console.log(`| engine.respond: Kora's hooks, audit row, usage row, history | ${rounds.map((r) => r.engine.toFixed(3)).join(', ')} | ${median(rounds.map((r) => r.engine)).toFixed(3)} |`);
console.log(`\nTarget: ≤ ${TARGET}× the bare call per turn: ${ratio.toFixed(2)}× (median of the rounds' ratios) ${ratio <= TARGET ? '✅' : '❌'}`);
console.log(`${TURNS} turns per side per round, ${ROUNDS} interleaved rounds after ${WARMUP} warm-up turns each, history bound ${HISTORY_TURNS} turns; ${requests} requests to the fake, ${usageRows} usage rows, ${auditRows} llm.call audit rows; node ${process.version}, ${process.platform} ${process.arch}`);
if (ratio > TARGET) process.exitCode = 1;
