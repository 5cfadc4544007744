// Several gateways of one agent on one PostgreSQL (DESIGN §6a), as real processes: three
// `kora daemon`s share 200 tasks due every second for a minute; each slot runs exactly once
// fleet-wide and none goes by unrecorded; the leader is SIGKILLed and another takes the lead
// within the lease, its leader-scoped daemon started once; the gateways' connections are
// terminated (pg_terminate_backend, new ones refused meanwhile): degraded with the reason, then
// recovered without a restart. KORA_E2E_FLEET_SECONDS shortens (or lengthens) the load phase.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, killAll, makeProject, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const LOAD_SECONDS = Number(process.env.KORA_E2E_FLEET_SECONDS ?? 60);
const TASKS = 200;
const LEASE_MS = 15_000;

// 200 tasks every second, each run recorded in a plugin table of its own (not the ledger), so a
// slot run twice would show as two rows; and a leader-scoped daemon that records its starts and stops.
const FLEETLOAD = `export default {
  id: 'fleetload',
  migrations: {
    '001_runs': {
      async up(db) {
        await db.schema.createTable('fleetload_runs').addColumn('task', 'text', (c) => c.notNull()).addColumn('slot', 'bigint', (c) => c.notNull()).addColumn('session', 'text', (c) => c.notNull()).execute();
        await db.schema.createTable('fleetload_leader').addColumn('session', 'text', (c) => c.notNull()).addColumn('event', 'text', (c) => c.notNull()).addColumn('at', 'bigint', (c) => c.notNull()).execute();
      },
    },
  },
  register(ctx) {
    const tasks = [];
    for (let i = 0; i < ${TASKS}; i++) {
      tasks.push({ name: 'load.t' + i, every: '1s', run: async (run) => {
        await ctx.db.insertInto('fleetload_runs').values({ task: run.task, slot: run.slot, session: ctx.gateway.sessionId }).execute();
      } });
    }
    ctx.registerDaemon({ name: 'load', start() {}, tasks });
    ctx.registerDaemon({
      name: 'singleton',
      scope: 'leader',
      async start() {
        await ctx.db.insertInto('fleetload_leader').values({ session: ctx.gateway.sessionId, event: 'start', at: Date.now() }).execute();
        console.log('SINGLETON STARTED ' + ctx.gateway.sessionId);
      },
      async stop() {
        await ctx.db.insertInto('fleetload_leader').values({ session: ctx.gateway.sessionId, event: 'stop', at: Date.now() }).execute().catch(() => {});
      },
    });
  },
};`;

interface Status {
  sessionId: string;
  state: string;
  problems: string[];
  fleet: { leader: string | null; leading: boolean } | null;
  /** Once stopped: why, with which code. */
  exit: { code: number; reason: string } | null;
}

const SERVER = new URL(inject('postgresUrl'));
const database = `kora_e2e_fleet_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: Object.assign(new URL(SERVER), { pathname: '/postgres' }).toString() });
let db: pg.Client;
const storeUrl = Object.assign(new URL(SERVER), { pathname: `/${database}` }).toString();
const projects: Project[] = [];
const running: Running[] = [];

beforeAll(async () => {
  await admin.connect();
  await admin.query(`create database ${database}`);
  db = await connect();
});

// The test's own connection is cut with the gateways' in the outage: it reconnects after.
async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: storeUrl });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

afterAll(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
  await db?.end().catch(() => undefined);
  await admin.query(`alter database ${database} allow_connections true`).catch(() => undefined);
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
});

function gateway(): { project: Project; run: Running } {
  const project = makeProject();
  projects.push(project);
  writeUserPlugin(project, 'fleetload', FLEETLOAD);
  project.writeConfig('plugins:\n  enabled: [kora, fleetload]\ngateway:\n  heartbeatEvery: 1s\n');
  const run = startKora(['daemon'], project, { KORA_DEPLOY_ENV: 'e2e', KORA_STORE_URL: storeUrl, KORA_LOG_LEVEL: 'warn' });
  running.push(run);
  return { project, run };
}

const status = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as Status;
const rows = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as T[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a fleet of three gateways on one PostgreSQL', () => {
  it(
    'runs every slot once, takes over the lead of a killed leader within the lease, and rides out a store outage',
    async () => {
      const fleet = [gateway(), gateway(), gateway()];
      await eventually(() => fleet.every((g) => status(g.project).state === 'running'), 60_000);
      // From the next whole second on, every slot of every task must have exactly one run or row.
      const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
      await sleep(from + LOAD_SECONDS * 1000 - Date.now());

      // The leader: SIGKILL, no goodbye. Another gateway takes the lead once the lease expires.
      const [lease] = await rows<{ owner: string }>('select owner from kora_fleet_leader');
      const leader = fleet.find((g) => status(g.project).sessionId === lease!.owner)!;
      const others = fleet.filter((g) => g !== leader);
      const killedAt = Date.now();
      leader.run.child.kill('SIGKILL');
      await leader.run.exited;
      await eventually(() => others.some((g) => status(g.project).fleet?.leading === true), LEASE_MS + 10_000);
      const [started] = await rows<{ session: string; at: string }>("select session, at from fleetload_leader where event = 'start' and at > $1 order by at", [killedAt]);
      const takeoverMs = Number(started!.at) - killedAt;
      expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 1_000);
      const starts = await rows<{ session: string }>("select session from fleetload_leader where event = 'start' order by at");
      // Once on the first leader, once on the next: never on two at once, never twice.
      expect(starts.map((s) => s.session)).toEqual([lease!.owner, started!.session]);
      expect(started!.session).not.toBe(lease!.owner);

      // The store goes away: every connection of the gateways terminated, new ones refused.
      await admin.query(`alter database ${database} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
      const outageAt = Date.now();
      // Seen within a heartbeat or two when the machine is idle; with the rest of the suite on the
      // same two cores, a gateway running 200 tasks a second can lag its heartbeats by seconds.
      await eventually(() => others.every((g) => status(g.project).state === 'degraded' && status(g.project).problems.some((p) => /cannot be reached/.test(p))), 20_000).catch((err: unknown) => {
        // Say what each gateway reported instead, so a failure shows why.
        const seen = others.map((g) => ({ state: status(g.project).state, problems: status(g.project).problems, exit: status(g.project).exit, log: g.run.stderr().split('\n').slice(-15) }));
        throw new Error(`${String(err)}: ${(Date.now() - outageAt) / 1000} s into the outage, the gateways say ${JSON.stringify(seen)}`);
      });
      const degraded = status(others[0]!.project).problems.find((p) => /cannot be reached/.test(p))!;
      expect(degraded).toMatch(/PostgreSQL at host 127\.0\.0\.1, port \d+, database kora_e2e_fleet_/);
      await sleep(Math.max(0, outageAt + 4_000 - Date.now()));
      await admin.query(`alter database ${database} allow_connections true`);
      await eventually(() => others.every((g) => status(g.project).state === 'running'), 20_000);
      const recoveredMs = Date.now() - outageAt;
      db = await connect();
      await sleep(5_000);
      const until = Math.floor(Date.now() / 1000) * 1000 - 3_000;
      // The window ends at a slot every task has passed: on a loaded machine a gateway's event
      // loop can lag its slots by seconds, and a stop before it gets there would leave slots it
      // was still going to run (and record) out of the ledger. Wait for the row of every task's
      // last slot: a slot that never gets one within the wait is a silent miss, and fails.
      for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
        const [{ n }] = (await rows<{ n: string }>("select count(*) as n from kora_runs where task like 'load.%' and slot = $1", [until])) as [{ n: string }];
        if (Number(n) === TASKS || Date.now() > deadline) break;
      }
      // The killed leader's runs in flight stay `running` until their claims' lease runs out and
      // the new leader's sweep (at each heartbeat) marks them: wait for it, as a fleet would.
      for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
        const [{ n }] = (await rows<{ n: string }>("select count(*) as n from kora_runs where task like 'load.%' and status = 'running' and owner = $1", [lease!.owner])) as [{ n: string }];
        if (Number(n) === 0 || Date.now() > deadline) break;
      }
      for (const g of others) g.run.child.kill('SIGTERM');
      await Promise.all(others.map((g) => g.run.exited));
      // Rows left `running` after the stop, said with whose they are, before the counts below fail on them.
      const stillRunning = await rows<{ task: string; slot: string; owner: string | null; started_at: string | null; lease_until: string | null }>(
        "select task, slot, owner, started_at, lease_until from kora_runs where task like 'load.%' and status = 'running' order by slot limit 10",
      );
      if (stillRunning.length > 0) {
        const who = (owner: string | null) => (owner === lease!.owner ? 'the killed leader' : (others.find((g) => status(g.project).sessionId === owner) ? `a stopped gateway (${owner})` : String(owner)));
        console.log(
          `fleet e2e: rows still running after the stop: ${stillRunning.map((r) => `${r.task} slot ${(Number(r.slot) - from) / 1000} s in, ${who(r.owner)}, lease until ${r.lease_until === null ? 'none' : `${(Number(r.lease_until) - Date.now()) / 1000} s from now`}`).join('; ')}; ` +
            `gateways' last lines: ${JSON.stringify(others.map((g) => g.run.stderr().split('\n').slice(-8)))}`,
        );
      }

      // Zero duplicates: no (task, slot) ran twice, fleet-wide.
      const duplicates = await rows('select task, slot, count(*) as n from fleetload_runs group by task, slot having count(*) > 1 limit 5');
      expect(duplicates).toEqual([]);
      // Zero silent misses: every slot of every task in the window has a ledger row (a run, or a
      // miss, or an interruption, saying why), and a run that says ok really ran, once.
      const slots = (until - from) / 1000 + 1;
      const perTask = await rows<{ task: string; n: string }>("select task, count(*) as n from kora_runs where task like 'load.%' and slot between $1 and $2 group by task", [from, until]);
      expect(perTask).toHaveLength(TASKS);
      const short = perTask.filter((t) => Number(t.n) !== slots);
      if (short.length > 0) {
        // Say which slots have no row (of the first such task), so a failure shows where.
        const have = new Set((await rows<{ slot: string }>('select slot from kora_runs where task = $1 and slot between $2 and $3', [short[0]!.task, from, until])).map((r) => Number(r.slot)));
        const missing = Array.from({ length: slots }, (_, i) => from + i * 1000).filter((slot) => !have.has(slot));
        console.log(`fleet e2e: ${short.length} task(s) short of ${slots} rows; ${short[0]!.task} has none for ${missing.map((m) => `${new Date(m).toISOString()} (${(m - from) / 1000} s in)`).join(', ')}; killed ${(killedAt - from) / 1000} s in, outage ${(outageAt - from) / 1000} s in`);
      }
      expect(short).toEqual([]);
      const byStatus = Object.fromEntries((await rows<{ status: string; n: string }>("select status, count(*) as n from kora_runs where task like 'load.%' and slot between $1 and $2 group by status", [from, until])).map((r) => [r.status, Number(r.n)]));
      expect(byStatus.running ?? 0).toBe(0);
      const [{ n: ran }] = (await rows<{ n: string }>("select count(*) as n from fleetload_runs r join kora_runs k on k.task = r.task and k.slot = r.slot where k.status = 'ok' and r.slot between $1 and $2", [from, until])) as [{ n: string }];
      expect(Number(ran)).toBe(byStatus.ok);
      // The ledger says which gateway ran each slot: all three took their share.
      const owners = await rows<{ owner: string }>("select distinct owner from kora_runs where task like 'load.%' and status = 'ok' and slot between $1 and $2", [from, until]);
      expect(owners).toHaveLength(3);
      console.log(
        `fleet e2e: ${TASKS} tasks × ${slots} slots = ${TASKS * slots} slots over ${LOAD_SECONDS} s of load and the faults; ` +
          `${JSON.stringify(byStatus)}; 0 duplicates; leader taken over ${takeoverMs} ms after the SIGKILL (lease ${LEASE_MS} ms); ` +
          `store outage: degraded, recovered ${recoveredMs} ms after the connections were cut`,
      );
    },
    LOAD_SECONDS * 1000 + 150_000,
  );
});
