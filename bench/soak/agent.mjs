// bench/soak/agent.mjs: the always-on cost of the whole example agent (issue 13). The real
// `kora daemon` with the repository's kora.yaml (every bundled plugin that runs without
// credentials; an LLM key that is never used, so the engine runs), no traffic:
//   idle  — every task at its default period for --seconds (default 600): CPU of a core on
//           average (utime + stime of the process over the window) ≤ 1 %, RSS flat and ≤ 120 MB;
//   fast  — every task of every daemon at `every: 1s` for --fast-seconds (default 120), then a
//           clean stop: each task's ledger holds one row per slot from its first to its last
//           (no slot missed, no row lost) and no `missed` row.
// Run: npm run build && node bench/soak/agent.mjs [--seconds 600] [--fast-seconds 120] [--only idle|fast]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    'fast-seconds': { type: 'string', default: '120' },
    only: { type: 'string' },
  },
});
const REPO = resolve(import.meta.dirname, '../..');
const KORA = join(REPO, 'packages/runtime/bin/kora.js');
const Database = createRequire(join(REPO, 'packages/runtime/package.json'))('better-sqlite3');
const TARGET_CPU_PCT = 1;
const TARGET_RSS_MB = 120;
/** RSS "flat": the last quarter's mean within this of the second quarter's (the first is warm-up). */
const FLAT_MB = 8;

const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The example config without its `home:` (the bench's own home comes from KORA_HOME) plus `extra` YAML. */
function config(dir, extra = '') {
  const example = readFileSync(join(REPO, 'kora.yaml'), 'utf8').replace(/^home:.*$/m, '');
  const file = join(dir, 'kora.yaml');
  writeFileSync(file, `${example}\n${extra}`);
  return file;
}

async function startGateway(dir, file) {
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    KORA_HOME: join(dir, 'home'),
    KORA_DEPLOY_ENV: 'soak',
    KORA_WEB_PORT: '0',
    KORA_WEBHOOK_PORT: '0',
    ANTHROPIC_API_KEY: 'soak-not-a-key',
    KORA_ADMIN_TOKEN: 'soak-admin-token-0123456789',
    KORA_MCP_BEARER_TOKEN: 'soak-mcp-token-0123456789',
    KORA_LOG_LEVEL: 'warn',
  };
  if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [KORA, 'daemon', '--config', file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  await new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Kora gateway running')) res();
      if (out.includes('Kora gateway DEGRADED')) rej(new Error(`the example agent booted degraded:\n${out}`));
    });
    child.on('exit', (code) => rej(new Error(`kora exited ${code} before running:\n${out}`)));
  });
  return { child, output: () => out };
}

/** The status file once it says `running` (it is written just after the boot summary). */
async function runningStatus(dir) {
  for (let i = 0; i < 100; i++) {
    try {
      const status = JSON.parse(readFileSync(join(dir, 'home', 'run', 'status.json'), 'utf8'));
      if (status.state === 'running' && status.daemons.some((d) => d.tasks.length > 0)) return status;
    } catch {
      // being written: read again
    }
    await sleep(50);
  }
  throw new Error('the status file never said running');
}

async function stop(child) {
  const exited = new Promise((res) => child.on('exit', (code) => res(code)));
  child.kill('SIGTERM');
  return exited;
}

const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function idle(seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'kora-soak-agent-'));
  try {
    const { child } = await startGateway(dir, config(dir));
    const status = await runningStatus(dir);
    console.log(`idle: the example agent (${status.daemons.length} daemons, ${status.daemons.reduce((n, d) => n + d.tasks.length, 0)} tasks at their default periods), no traffic, ${seconds} s`);
    const sampleS = Math.max(5, Math.floor(seconds / 20));
    const cpu0 = cpuSeconds(child.pid);
    const t0 = Date.now();
    const rss = [];
    console.log('\n| t (s) | RSS MB | CPU % of a core (since start) |\n|---:|---:|---:|');
    for (let t = sampleS; t <= seconds; t += sampleS) {
      await sleep(t0 + t * 1000 - Date.now());
      const r = rssMb(child.pid);
      rss.push(r);
      const pct = ((cpuSeconds(child.pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
      console.log(`| ${t} | ${r.toFixed(1)} | ${pct.toFixed(2)} |`);
    }
    const cpuPct = ((cpuSeconds(child.pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
    const q = Math.max(1, Math.floor(rss.length / 4));
    const second = mean(rss.slice(q, 2 * q));
    const last = mean(rss.slice(-q));
    const peak = Math.max(...rss);
    const code = await stop(child);
    const ok = cpuPct <= TARGET_CPU_PCT && peak <= TARGET_RSS_MB && last - second <= FLAT_MB && code === 0;
    console.log(`\nCPU ${cpuPct.toFixed(2)} % of a core on average (target ≤ ${TARGET_CPU_PCT} %); RSS peak ${peak.toFixed(1)} MB (≤ ${TARGET_RSS_MB}), last quarter ${last.toFixed(1)} vs second ${second.toFixed(1)} MB (flat: within ${FLAT_MB}); exit ${code}: ${ok ? 'met' : 'MISSED'}`);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fast(seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'kora-soak-agent-'));
  try {
    // Which tasks the example agent has: from a first boot's status, in a home of its own (its
    // ledger rows would make the measured boot record, rightly, the slots it was down as missed).
    const probe = mkdtempSync(join(tmpdir(), 'kora-soak-agent-'));
    let booted;
    try {
      const first = await startGateway(probe, config(probe));
      booted = await runningStatus(probe);
      await stop(first.child);
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
    const tasks = booted.daemons.flatMap((d) => d.tasks.map((t) => ({ daemon: d.name, task: t.name })));
    const byDaemon = new Map();
    for (const { daemon, task } of tasks) byDaemon.set(daemon, [...(byDaemon.get(daemon) ?? []), task]);
    // The example's own `daemons:` block, extended with every task at 1 s (offset 0: a task
    // offset off its own period, such as email.replies_prune's 4h, is not valid at 1 s).
    const example = readFileSync(join(REPO, 'kora.yaml'), 'utf8');
    const overrides = [...byDaemon].map(([daemon, names]) => `  ${daemon}:\n    tasks:\n${names.map((n) => `      ${n}: { every: 1s, offset: 0s }`).join('\n')}`).join('\n');
    const file = join(dir, 'kora.yaml');
    const fatalOverride = /reasoning_engine:\s*\{\s*fatal:\s*false\s*\}/.test(example);
    writeFileSync(
      file,
      example
        .replace(/^home:.*$/m, '')
        .replace(/^daemons:\n(?:[ #].*\n|\n)*/m, '')
        .concat(`\ndaemons:\n${overrides}${fatalOverride && !byDaemon.has('reasoning_engine') ? '\n  reasoning_engine: { fatal: false }' : ''}\n`),
    );
    console.log(`fast: ${tasks.length} tasks of ${byDaemon.size} daemons every 1 s for ${seconds} s`);
    const started = Date.now();
    const { child, output } = await startGateway(dir, file);
    await sleep(seconds * 1000);
    const code = await stop(child);
    const db = new Database(join(dir, 'home', 'kora.db'), { readonly: true });
    let ok = code === 0;
    console.log('\n| task | slots | ok | failed | skipped | missed | gaps |\n|---|---:|---:|---:|---:|---:|---:|');
    for (const { task } of tasks) {
      const rows = db.prepare('select slot, status from kora_runs where task = ? and slot >= ? order by slot').all(task, started);
      const count = (s) => rows.filter((r) => r.status === s).length;
      let gaps = 0;
      for (let i = 1; i < rows.length; i++) gaps += Math.round((Number(rows[i].slot) - Number(rows[i - 1].slot)) / 1000) - 1;
      const missed = count('missed');
      const running = count('running');
      const bad = gaps > 0 || missed > 0 || running > 0 || rows.length < seconds - 5;
      if (bad) ok = false;
      console.log(`| ${task} | ${rows.length} | ${count('ok')} | ${count('failed')} | ${count('skipped_overlap')} | ${missed} | ${gaps}${bad ? ' ✗' : ''} |`);
    }
    db.close();
    if (!ok) console.log(`\nexit ${code}; gateway output:\n${output().slice(-4000)}`);
    console.log(`\nevery slot has its row and none is missed: ${ok ? 'met' : 'MISSED'}`);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench/soak/agent (node ${process.version}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`);
const results = [];
if (values.only !== 'fast') results.push(await idle(Number(values.seconds)));
if (values.only !== 'idle') results.push(await fast(Number(values['fast-seconds'])));
process.exitCode = results.every(Boolean) ? 0 : 1;
