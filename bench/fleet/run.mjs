// Fleet claims: how many slots per second three gateway processes sharing one PostgreSQL claim
// (and complete) between them, every (task, slot) asked for by all three as their schedulers do,
// with zero won twice; and what a run's claim + complete costs on PostgreSQL against SQLite, in
// the same run. Target: ≥ 1 000 claimed slots/s fleet-wide, 0 duplicates.
// Run from the repository root after a build: `npm run build && node bench/fleet/run.mjs`
// (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth; KORA_BENCH_POSTGRES_URL names another).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createSilentLogger, openStore } from '../../packages/runtime/dist/internal.js';

const args = new Map(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => a.replace(/^--/, '').split('=')));
const GATEWAYS = Number(args.get('gateways') ?? 3);
const TASKS = Number(args.get('tasks') ?? 200);
const SLOTS = Number(args.get('slots') ?? 50);
/** Claims each gateway has in flight at once (a scheduler fires every task due in one pass). */
const CONCURRENCY = Number(args.get('concurrency') ?? 32);
const SEQUENTIAL_RUNS = Number(args.get('runs') ?? 2000);
const TARGET = 1000;
const SERVER = process.env.KORA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SLOT0 = Date.UTC(2026, 0, 1);

if (process.argv.includes('--worker')) await worker();
else await main();

/** One gateway: claim every (task, slot) in slot order, complete the ones it won; report what it won. */
async function worker() {
  const url = process.argv[process.argv.indexOf('--worker') + 1];
  const owner = `gw-${process.pid}`;
  const store = await openStore({ url, home: os.tmpdir(), logger: createSilentLogger() });
  const won = [];
  process.send({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const work = [];
  for (let s = 0; s < SLOTS; s++) for (let t = 0; t < TASKS; t++) work.push([`bench.t${t}`, SLOT0 + s * 1000]);
  let next = 0;
  const lane = async () => {
    while (next < work.length) {
      const [task, slot] = work[next++];
      if (await store.ledger.claim({ task, daemon: 'bench', slot, startedAt: slot, owner })) {
        await store.ledger.complete(task, slot, { status: 'ok', finishedAt: slot + 1, durationMs: 1, error: null });
        won.push(`${task}@${slot}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const ms = performance.now() - started;
  await store.close();
  process.send({ won, ms });
}

async function main() {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  const database = `kora_bench_${randomBytes(5).toString('hex')}`;
  await admin.query(`create database ${database}`);
  const url = Object.assign(new URL(SERVER), { pathname: `/${database}` }).toString();
  try {
    // Migrate once, so the gateways start on an up-to-date schema.
    await (await openStore({ url, home: os.tmpdir() })).close();
    const fleet = await claimRace(url);
    const cost = await perRunCost(url);
    const ok = fleet.duplicates === 0 && fleet.missing === 0 && fleet.perSecond >= TARGET;
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| gateways (processes), tasks × slots | ${GATEWAYS}, ${TASKS} × ${SLOTS} = ${TASKS * SLOTS} slots, each asked for by every gateway (${CONCURRENCY} claims in flight each) |`);
    console.log(`| claimed slots/s fleet-wide (claim + complete) | **${Math.round(fleet.perSecond)}** (target ≥ ${TARGET}) in ${Math.round(fleet.ms)} ms |`);
    console.log(`| won per gateway | ${fleet.perGateway.join(' / ')} |`);
    console.log(`| duplicates (a slot won twice) / slots won by none | ${fleet.duplicates} / ${fleet.missing} |`);
    console.log(`| one run's claim + complete, SQLite file (sequential, p50 / mean) | ${cost.sqlite.p50.toFixed(0)} µs / ${cost.sqlite.mean.toFixed(0)} µs |`);
    console.log(`| one run's claim + complete, PostgreSQL loopback (sequential, p50 / mean) | ${cost.postgres.p50.toFixed(0)} µs / ${cost.postgres.mean.toFixed(0)} µs |`);
    console.log(`| added cost per run on PostgreSQL | ${(cost.postgres.mean - cost.sqlite.mean).toFixed(0)} µs (mean) |`);
    console.log(`\n${ok ? 'PASS' : 'FAIL'}: ${Math.round(fleet.perSecond)} slots/s, ${fleet.duplicates} duplicates, ${fleet.missing} unclaimed`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

async function claimRace(url) {
  const here = fileURLToPath(import.meta.url);
  const children = Array.from({ length: GATEWAYS }, () => fork(here, ['--worker', url, ...process.argv.slice(2)], { stdio: 'inherit' }));
  const first = (child) => new Promise((resolve, reject) => { child.once('message', resolve); child.once('error', reject); child.once('exit', (code) => code !== 0 && reject(new Error(`worker exited ${code}`))); });
  await Promise.all(children.map(first));
  const results = children.map(first);
  const started = performance.now();
  for (const c of children) c.send({ go: true });
  const reports = await Promise.all(results);
  const ms = performance.now() - started;
  const seen = new Map();
  for (const r of reports) for (const k of r.won) seen.set(k, (seen.get(k) ?? 0) + 1);
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  const total = reports.reduce((n, r) => n + r.won.length, 0);
  return { ms, perSecond: (total / ms) * 1000, perGateway: reports.map((r) => r.won.length), duplicates, missing: TASKS * SLOTS - seen.size };
}

/** Sequential claim + complete on each database: the cost one run pays, without contention. */
async function perRunCost(url) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'kora-bench-fleet-'));
  try {
    const sqlite = await openStore({ home });
    const postgres = await openStore({ url, home });
    const measure = async (store) => {
      const times = [];
      for (let i = 0; i < SEQUENTIAL_RUNS + 200; i++) {
        const slot = SLOT0 + 10_000_000 + i * 1000;
        const t0 = performance.now();
        await store.ledger.claim({ task: 'bench.cost', daemon: 'bench', slot, startedAt: slot, owner: 'gw' });
        await store.ledger.complete('bench.cost', slot, { status: 'ok', finishedAt: slot, durationMs: 0, error: null });
        if (i >= 200) times.push((performance.now() - t0) * 1000);
      }
      times.sort((a, b) => a - b);
      return { p50: times[Math.floor(times.length / 2)], mean: times.reduce((a, b) => a + b, 0) / times.length };
    };
    const result = { sqlite: await measure(sqlite), postgres: await measure(postgres) };
    await Promise.all([sqlite.close(), postgres.close()]);
    return result;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
