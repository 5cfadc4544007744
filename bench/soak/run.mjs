// bench/soak: a real gateway (the `kora` bin, SQLite store, status file) running many one-second
// tasks for a while; samples its CPU and RSS, then checks the ledger and status agree.
// Run: npm run build && node bench/soak/run.mjs [--tasks 200] [--seconds 120]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '200' }, seconds: { type: 'string', default: '120' } } });
const TASKS = Number(values.tasks);
const SECONDS = Number(values.seconds);
const SAMPLE_S = Math.max(5, Math.floor(SECONDS / 8));
const KORA = resolve(import.meta.dirname, '../../packages/runtime/bin/kora.js');

const dir = mkdtempSync(join(tmpdir(), 'kora-soak-'));
const plugin = join(dir, 'home', 'plugins', 'soak');
mkdirSync(plugin, { recursive: true });
writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'kora-plugin-soak', version: '1.0.0', type: 'module', kora: { id: 'soak', entry: './index.js', hostApi: '^1.0.0', daemons: ['soak'] } }));
// Each task waits 2 ms (an async run, with a deadline) and one in fifty fails now and then.
writeFileSync(
  join(plugin, 'index.js'),
  `export default { id: 'soak', register(ctx) {
    const tasks = Array.from({ length: ${TASKS} }, (_, i) => ({ name: 'soak.t' + i, every: '1s', offset: (i * 997) % 1000,
      run: async () => { await new Promise((r) => setTimeout(r, 2)); if (i % 50 === 0 && Math.random() < 0.1) throw new Error('flaky'); } }));
    ctx.registerDaemon({ name: 'soak', start() {}, tasks });
  } };\n`,
);
writeFileSync(join(dir, 'kora.yaml'), 'home: ./home\nplugins:\n  enabled: [kora, soak]\nlog: { level: error }\n');

const child = spawn(process.execPath, [KORA, 'daemon'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, KORA_DEPLOY_ENV: 'soak' }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((res, rej) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('Kora gateway running')) res();
  });
  child.on('exit', (code) => rej(new Error(`kora exited ${code} before running`)));
});

const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime + stime
};
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;

console.log(`soak: ${TASKS} one-second tasks for ${SECONDS} s (node ${process.version})\n`);
console.log('| t (s) | RSS MB | CPU % of a core (since last sample) |');
console.log('|---:|---:|---:|');
let lastCpu = cpuSeconds();
const samples = [];
for (let t = SAMPLE_S; t <= SECONDS; t += SAMPLE_S) {
  await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
  const cpu = cpuSeconds();
  const row = { t, rss: rssMb(), cpuPct: ((cpu - lastCpu) / SAMPLE_S) * 100 };
  lastCpu = cpu;
  samples.push(row);
  console.log(`| ${t} | ${row.rss.toFixed(1)} | ${row.cpuPct.toFixed(1)} |`);
}

const status = JSON.parse(spawnSync(process.execPath, [KORA, 'status', '--json'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8' }).stdout).status;
const tasks = status.daemons.find((d) => d.name === 'soak').tasks;
const sum = (k) => tasks.reduce((n, t) => n + t[k], 0);
child.kill('SIGTERM');
const code = await new Promise((res) => child.on('exit', res));
rmSync(dir, { recursive: true, force: true });

const later = samples.slice(Math.floor(samples.length / 2));
console.log(`\nstatus: ${status.state}; runs ${sum('runs')}, failures ${sum('failures')}, skips ${sum('skips')}, misses ${sum('misses')}; stopped with exit ${code}`);
console.log(`second half: RSS ${Math.min(...later.map((s) => s.rss)).toFixed(1)}–${Math.max(...later.map((s) => s.rss)).toFixed(1)} MB, CPU ${(later.reduce((n, s) => n + s.cpuPct, 0) / later.length).toFixed(1)} % of a core`);
process.exitCode = code === 0 && sum('misses') === 0 ? 0 : 1;
