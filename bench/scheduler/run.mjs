// Scheduler firing lateness and CPU: 10 000 interval tasks on the real clock, against a
// baseline of one setInterval per task with the same periods and offsets. Targets: p99
// lateness ≤ 5 ms, CPU ≤ baseline.
// Run from the repository root after a build: `npm run build && node bench/scheduler/run.mjs`.
//
// Lateness = when the task's function is invoked − the slot it is for (for the baseline: when
// the callback runs − the ideal time firstSlot + k·period). Phases run one after another in
// this process: baseline, Scheduler with a ledger that does nothing (scheduling alone), and
// Scheduler with the real run ledger (in-memory SQLite, a claim and a complete per run).
import os from 'node:os';
// The bundled build, the same code the `kora` bin runs.
import { createSilentLogger, createSystemClock, openStore, resolveTask, Scheduler } from '../../packages/runtime/dist/internal.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const TASKS = Number(args.get('tasks') ?? 10_000);
/** Seconds per phase: warm-up (not measured), then measured. */
const WARMUP_S = Number(args.get('warmup') ?? 2);
const MEASURE_S = Number(args.get('measure') ?? 6);
const TARGET_P99_MS = 5;

// Periods 1 s…10 s, evenly mixed; offsets uniform within the period (a seeded PRNG, so every
// run schedules the same tasks). Mean fire rate: TASKS × mean(1/period) ≈ 2 930 per second.
let seed = 0x2f6b_1d3c;
const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
const specs = Array.from({ length: TASKS }, (_, i) => {
  const periodMs = (1 + (i % 10)) * 1000;
  return { name: `bench.task_${i}`, periodMs, offsetMs: Math.floor(random() * periodMs) };
});

const wallNow = () => performance.timeOrigin + performance.now();
const samples = new Float64Array(Math.ceil(TASKS * 1.2 * (WARMUP_S + MEASURE_S + 2)));

/** One phase: `start()` schedules everything, `stop()` tears it down; `record(lateness)` is called per firing. */
async function phase(name, setup) {
  let n = 0;
  let measuring = false;
  let fires = 0;
  const record = (lateness) => {
    fires++;
    if (measuring) samples[n++] = lateness;
  };
  const { start, stop } = await setup(record);
  await start();
  await sleep(WARMUP_S * 1000);
  const t0 = wallNow();
  const cpu0 = process.cpuUsage();
  measuring = true;
  await sleep(MEASURE_S * 1000);
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const t1 = wallNow();
  await stop();
  const lateness = samples.subarray(0, n).sort();
  const q = (p) => lateness[Math.min(n - 1, Math.floor(p * n))];
  const expected = specs.reduce((sum, s) => sum + countSlots(s, t0, t1), 0);
  return {
    name,
    fires: n,
    expected,
    p50: q(0.5),
    p99: q(0.99),
    max: lateness[n - 1],
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuPct: ((cpu.user + cpu.system) / 1000 / (t1 - t0)) * 100,
    total: fires,
  };
}

function countSlots({ periodMs, offsetMs }, from, to) {
  const first = Math.ceil((from - offsetMs) / periodMs);
  const last = Math.floor((to - offsetMs) / periodMs);
  return Math.max(0, last - first + 1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function baseline(record) {
  const timers = [];
  return {
    async start() {
      const now = Date.now();
      for (const s of specs) {
        const first = (Math.floor((now - s.offsetMs) / s.periodMs) + 1) * s.periodMs + s.offsetMs;
        let ideal = first;
        timers.push(
          setTimeout(() => {
            const tick = () => {
              record(wallNow() - ideal);
              ideal += s.periodMs;
            };
            tick();
            timers.push(setInterval(tick, s.periodMs));
          }, first - now),
        );
      }
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
    },
  };
}

// A ledger that stores nothing: the scheduler's own cost, without a database.
const TRUE = Promise.resolve(true);
const DONE = Promise.resolve();
const nullLedger = {
  claim: () => TRUE,
  complete: () => DONE,
  note: () => DONE,
  lastSlot: async () => null,
  recent: async () => [],
  interruptStale: async () => 0,
  prune: async () => 0,
};

function withScheduler(ledgerKind) {
  return async (record) => {
    const store = ledgerKind === 'sqlite' ? await openStore({ home: os.tmpdir(), url: 'sqlite::memory:' }) : null;
    const clock = createSystemClock();
    const scheduler = new Scheduler({
      clock,
      ledger: store ? store.ledger : nullLedger,
      logger: createSilentLogger(),
      owner: 'bench',
    });
    const run = (ctx) => record(wallNow() - ctx.slot);
    const now = clock.now();
    const tasks = specs.map((s) => resolveTask({ name: s.name, every: s.periodMs, offset: s.offsetMs, run }, { daemon: 'bench', pluginId: 'bench' }, undefined, {}, now));
    return {
      start: () => scheduler.add('bench', tasks),
      async stop() {
        await scheduler.stop(1000);
        await store?.close();
      },
    };
  };
}

const fmt = (x, digits = 2) => (x === undefined ? '–' : x.toFixed(digits));
console.error(`scheduler bench: ${TASKS} interval tasks (periods 1–10 s, random offsets), ${WARMUP_S}s warm-up + ${MEASURE_S}s measured per phase, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}`);

const results = [];
results.push(await phase('setInterval per task (baseline)', baseline));
results.push(await phase('Scheduler, no-op ledger', withScheduler('null')));
results.push(await phase('Scheduler, SQLite ledger (:memory:)', withScheduler('sqlite')));

const base = results[0];
console.log(`| ${['phase', 'firings (expected)', 'p50 ms', 'p99 ms', 'max ms', 'CPU ms', 'CPU % of a core', 'CPU vs baseline'].join(' | ')} |`);
console.log(`|${' --- |'.repeat(8)}`);
for (const r of results) {
  console.log(
    `| ${[r.name, `${r.fires} (${r.expected})`, fmt(r.p50), fmt(r.p99), fmt(r.max), fmt(r.cpuMs, 0), fmt(r.cpuPct, 1), `${fmt(r.cpuMs / base.cpuMs)}×`].join(' | ')} |`,
  );
}
for (const r of results.slice(1)) {
  const verdicts = [`p99 ${fmt(r.p99)} ms ${r.p99 <= TARGET_P99_MS ? '≤' : '>'} ${TARGET_P99_MS} ms`, `CPU ${fmt(r.cpuMs / base.cpuMs)}× baseline ${r.cpuMs <= base.cpuMs ? '≤' : '>'} 1×`];
  console.log(`\n${r.name}: ${verdicts.join('; ')}`);
}
// The clock's timers are unref'd; nothing else holds the loop, so the process ends here.
