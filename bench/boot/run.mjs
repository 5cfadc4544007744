// bench/boot: process start → gateway `running` with the repository's example config, against
// a bare `node -e ''` start measured in the same run; and idle RSS after boot.
// Run: npm run build && node bench/boot/run.mjs [--runs 15]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
const REPO = resolve(import.meta.dirname, '../..');
const KORA = join(REPO, 'packages/runtime/bin/kora.js');
const READY = 'Kora gateway running';

function bare() {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t0) / 1e6) : rej(new Error(`node exited ${code}`))));
  });
}

function boot() {
  const home = mkdtempSync(join(tmpdir(), 'kora-bench-boot-'));
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [KORA, 'daemon', '--dev', '--config', join(REPO, 'kora.yaml')], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: home, KORA_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let ms;
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (ms === undefined && out.includes(READY)) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        // Idle RSS: let boot-time garbage settle, then read the kernel's figure.
        setTimeout(() => {
          const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
          child.kill('SIGTERM');
          child.on('exit', (code) => {
            rmSync(home, { recursive: true, force: true });
            if (code === 0) res({ ms, rss });
            else rej(new Error(`kora exited ${code}\n${err}`));
          });
        }, 1000);
      }
    });
    child.on('exit', (code) => {
      if (ms === undefined) rej(new Error(`kora exited ${code} before "${READY}"\n${out}\n${err}`));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];

// Warm the file cache for both, then interleave so drift on the machine hits both alike.
await bare();
await boot();
const bares = [];
const boots = [];
for (let i = 0; i < RUNS; i++) {
  bares.push(await bare());
  boots.push(await boot());
}
const bootMs = boots.map((b) => b.ms);
const rss = boots.map((b) => b.rss);
const ratio = median(bootMs) / median(bares);
console.log(`| measure | median | p90 | target |`);
console.log(`|---|---|---|---|`);
console.log(`| bare \`node -e ''\` start | ${median(bares).toFixed(1)} ms | ${p90(bares).toFixed(1)} ms | floor |`);
console.log(`| \`kora daemon --dev\` start → running | ${median(bootMs).toFixed(1)} ms | ${p90(bootMs).toFixed(1)} ms | ≤ 3× floor |`);
console.log(`| ratio (median / median) | ${ratio.toFixed(2)}× | | ≤ 3.00× ${ratio <= 3 ? '✅' : '❌'} |`);
console.log(`| idle RSS 1 s after boot | ${median(rss).toFixed(1)} MB | ${p90(rss).toFixed(1)} MB | ≤ 90 MB ${p90(rss) <= 90 ? '✅' : '❌'} |`);
console.log(`\n${RUNS} runs each, interleaved; node ${process.version}, ${process.platform} ${process.arch}`);
