// bench/boot: process start → gateway `running` with the repository's example config, against
// a bare `node -e ''` start measured in the same run under the same environment; and idle RSS.
// Both sides run twice: with this machine's environment, and with what every node process
// pays at start (NODE_EXTRA_CA_CERTS) removed from both. Where the time goes: phases.mjs.
// Run: npm run build && node bench/boot/run.mjs [--runs 15] [--compare <another built checkout>]
// --compare interleaves the same `--dev` boot of another checkout (e.g. an earlier commit,
// `git worktree add /tmp/kora-before <commit>`, installed and built), for a before/after table.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchEnv, median, min, p90, startUpCostsSet } from './env.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    compare: { type: 'string' },
    // The repository's example config by default (every bundled plugin that runs without
    // credentials); `bench/boot/core.yaml` is the gateway with the `kora` plugin alone.
    config: { type: 'string' },
    'target-ratio': { type: 'string' },
    'target-rss': { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const REPO = resolve(import.meta.dirname, '../..');
const COMPARE = values.compare ? resolve(values.compare) : undefined;
const READY = 'Kora gateway running';
const FAILED = 'Kora gateway DEGRADED';
const CONFIG = values.config ? resolve(values.config) : undefined;
// The example config (the HTTP surfaces on): ≤ 10×, ≤ 110 MB; the core alone: ≤ 5×, ≤ 90 MB.
const CORE = CONFIG?.endsWith('core.yaml') ?? false;
const TARGET_RATIO = Number(values['target-ratio'] ?? (CORE ? 5 : 10));
const TARGET_RSS_MB = Number(values['target-rss'] ?? (CORE ? 90 : 110));

/** `node -e ''`, spawn to exit. */
function bare(kind) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', ''], { env: benchEnv(kind), stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t0) / 1e6) : rej(new Error(`node exited ${code}`))));
  });
}

/**
 * `kora daemon` with the example config, spawn to the boot summary. `dev`: `--dev` as
 * `npm start` runs it (pretty logs), in a fresh home (the store is created and migrated);
 * `production`: a deploy env and JSON logs, fresh home; `restart`: `--dev` in a home an earlier
 * run left (the common case for an always-on gateway: no migration to run).
 */
function boot(kind, mode, withRss, repo = REPO) {
  const home = mode === 'restart' ? reusedHome(kind) : mkdtempSync(join(tmpdir(), 'kora-bench-boot-'));
  const args = [join(repo, 'packages/runtime/bin/kora.js'), 'daemon', '--config', CONFIG ?? join(repo, 'kora.yaml'), ...(mode === 'production' ? [] : ['--dev'])];
  // Ports chosen by the kernel: binding one costs the same, and nothing else on the machine can
  // hold it. Outside dev mode the surfaces need their credentials, as in production.
  // An LLM key (never used: the engine calls the API only when asked for a reply), so the
  // example config boots `running`, as it does once an operator set one.
  const ports = { KORA_WEB_PORT: '0', KORA_WEBHOOK_PORT: '0', ANTHROPIC_API_KEY: 'bench-not-a-key' };
  const credentials = mode === 'production' ? { KORA_DEPLOY_ENV: 'bench', KORA_ADMIN_TOKEN: 'bench-admin-token-0123456789', KORA_MCP_BEARER_TOKEN: 'bench-mcp-token-0123456789' } : {};
  const env = benchEnv(kind, { HOME: home, KORA_HOME: home, ...ports, ...credentials });
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ms;
    let cpu;
    const finish = (rss) => {
      child.kill('SIGTERM');
      child.on('exit', (code) => {
        if (mode !== 'restart') rmSync(home, { recursive: true, force: true });
        if (code === 0) res({ ms, rss, cpu });
        else rej(new Error(`kora exited ${code}\n${err}`));
      });
    };
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(FAILED)) return rej(new Error(`kora booted degraded:\n${out}`));
      if (ms !== undefined || !out.includes(READY)) return;
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
      cpu = cpuMs(child.pid);
      if (!withRss) return finish(undefined);
      // Idle RSS: let boot-time garbage settle, then read the kernel's figure.
      setTimeout(() => finish(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024), 1000);
    });
    child.on('exit', (code) => {
      if (ms === undefined) rej(new Error(`kora exited ${code} before "${READY}"\n${out}\n${err}`));
    });
  });
}

/**
 * CPU time the process has used so far, all threads (utime + stime from /proc, in clock ticks
 * of 10 ms): less disturbed than wall time when other work shares the machine; averaged.
 */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const homes = new Map();
function reusedHome(kind) {
  if (!homes.has(kind)) homes.set(kind, mkdtempSync(join(tmpdir(), 'kora-bench-boot-')));
  return homes.get(kind);
}

const kinds = ['machine', 'clean'];
const modes = ['dev', 'production', 'restart'];
const LABELS = {
  dev: '`kora daemon --dev` start → running (fresh home)',
  production: '`kora daemon`, deploy env set, JSON logs (fresh home)',
  restart: '`kora daemon --dev` start → running (home of an earlier run)',
};
const results = Object.fromEntries(kinds.map((k) => [k, { bare: [], dev: [], production: [], restart: [], rss: [], cpu: [], compare: [], compareCpu: [] }]));

// Warm the file cache for every variant, then interleave so drift on the machine hits all alike.
for (const kind of kinds) {
  await bare(kind);
  for (const mode of modes) await boot(kind, mode, false);
  if (COMPARE) await boot(kind, 'dev', false, COMPARE);
}
for (let i = 0; i < RUNS; i++) {
  for (const kind of kinds) {
    const r = results[kind];
    r.bare.push(await bare(kind));
    for (const mode of modes) {
      const b = await boot(kind, mode, mode === 'dev');
      r[mode].push(b.ms);
      if (b.rss !== undefined) r.rss.push(b.rss);
      if (mode === 'dev') r.cpu.push(b.cpu);
    }
    if (COMPARE) {
      const b = await boot(kind, 'dev', false, COMPARE);
      r.compare.push(b.ms);
      r.compareCpu.push(b.cpu);
    }
  }
}

const fmt = (xs) => `${median(xs).toFixed(1)} ms`;
const ratio = (kind, mode) => median(results[kind][mode]) / median(results[kind].bare);
const dropped = startUpCostsSet();
// Medians, and the fastest run: on a shared machine the fastest is the one least disturbed.
console.log(`| measure | machine env: median | fastest | clean env: median | fastest |`);
console.log(`|---|---:|---:|---:|---:|`);
console.log(`| bare \`node -e ''\` start (floor) | ${kinds.map((k) => `${fmt(results[k].bare)} | ${min(results[k].bare).toFixed(1)} ms`).join(' | ')} |`);
for (const mode of modes) {
  console.log(`| ${LABELS[mode]} | ${kinds.map((k) => `${fmt(results[k][mode])} | ${min(results[k][mode]).toFixed(1)} ms`).join(' | ')} |`);
}
const fastest = (kind, mode) => min(results[kind][mode]) / min(results[kind].bare);
for (const mode of modes) console.log(`| ratio ${mode} | ${kinds.map((k) => `**${ratio(k, mode).toFixed(2)}×** | ${fastest(k, mode).toFixed(2)}×`).join(' | ')} |`);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`| CPU time of a \`--dev\` boot, all threads (mean) | ${kinds.map((k) => `${mean(results[k].cpu).toFixed(0)} ms | `).join(' | ')} |`);
console.log(`| idle RSS 1 s after a \`--dev\` boot (median, p90) | ${kinds.map((k) => `${median(results[k].rss).toFixed(1)} MB | ${p90(results[k].rss).toFixed(1)} MB`).join(' | ')} |`);

if (COMPARE) {
  console.log(`| ${COMPARE}: \`kora daemon --dev\` (fresh home) | ${kinds.map((k) => `${fmt(results[k].compare)} | ${min(results[k].compare).toFixed(1)} ms`).join(' | ')} |`);
  console.log(`| ${COMPARE}: ratio dev | ${kinds.map((k) => `**${ratio(k, 'compare').toFixed(2)}×** | ${fastest(k, 'compare').toFixed(2)}×`).join(' | ')} |`);
  console.log(`| ${COMPARE}: CPU time of a \`--dev\` boot (mean) | ${kinds.map((k) => `${mean(results[k].compareCpu).toFixed(0)} ms | `).join(' | ')} |`);
}

const met = ratio('clean', 'dev') <= TARGET_RATIO && p90(results.clean.rss) <= TARGET_RSS_MB;
console.log(
  `\nTargets (clean env, \`--dev\`): start → running ≤ ${TARGET_RATIO}× the floor: ${ratio('clean', 'dev').toFixed(2)}× ${ratio('clean', 'dev') <= TARGET_RATIO ? '✅' : '❌'}; ` +
    `idle RSS ≤ ${TARGET_RSS_MB} MB: ${p90(results.clean.rss).toFixed(1)} MB (p90) ${p90(results.clean.rss) <= TARGET_RSS_MB ? '✅' : '❌'}`,
);
console.log(`config: ${CONFIG ?? join(REPO, 'kora.yaml')}`);
console.log(
  `${RUNS} runs of each, interleaved; "machine": this machine's environment${dropped.length ? ` (sets ${dropped.join(', ')})` : ''}; ` +
    `"clean": the same without ${dropped.length ? dropped.join(', ') : 'NODE_EXTRA_CA_CERTS (not set here: both are the same)'}; node ${process.version}, ${process.platform} ${process.arch}`,
);
for (const home of homes.values()) rmSync(home, { recursive: true, force: true });
if (!met) process.exitCode = 1;
