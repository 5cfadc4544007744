// A PostgreSQL connection that dies while the store holds it (checked out of the pool, between
// two statements of one unit of work: a transaction, a claim) is that work's error, never the
// process's: pg emits 'error' on such a client, and the pool listens only to the idle ones.
// Before, a server restart or pg_terminate_backend at the wrong moment ended the gateway with
// an uncaught exception (the fleet e2e test saw both surviving gateways stop in an outage).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSystemClock } from '../time/clock.js';
import type { Store } from './index.js';
import { openTestStore, storeKind, testStoreUrl } from './test-stores.test-helper.js';

let home: string;
let store: Store;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-pg-outage-'));
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
});
afterEach(async () => {
  process.off('uncaughtException', onUncaught);
  await store?.close().catch(() => undefined);
  fs.rmSync(home, { recursive: true, force: true });
});

/** End every other session of the store's database, as a server restart or an operator would. */
async function terminateBackends(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>('select pg_terminate_backend(pid) as ok, pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name = $1', ['kora']);
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe.skipIf(storeKind !== 'postgres')('a PostgreSQL connection ended while the store holds it', () => {
  it('fails the work that held it, not the process, and the store goes on with a new connection', async () => {
    // The store says at debug when a connection it holds is closed under it: the client's own
    // 'error' event, the moment to let the work go on.
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const closedUnderIt = () => lines.some((l) => l.includes('in use was closed'));
    store = await openTestStore({ home, clock: createSystemClock(), logger });
    const url = testStoreUrl(store)!;
    const db = store.pluginDb('outage');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const work = db.connection().execute(async (conn) => {
      await sql`select 1`.execute(conn);
      held();
      // No statement runs while the backend is ended: pg reports it as an 'error' event.
      await released;
      return sql`select 1`.execute(conn);
    });
    await holding;
    expect(await terminateBackends(url)).toBeGreaterThan(0);
    // The server's message reaches the client while the store still holds it (unheard, it is an
    // uncaught exception instead: said by the assertion below).
    await expect.poll(() => closedUnderIt() || uncaught.length > 0, { timeout: 10_000, interval: 10 }).toBe(true);
    expect(uncaught).toEqual([]);
    release();
    await expect(work).rejects.toThrow();
    expect(uncaught).toEqual([]);
    // The pool drops the dead connection; the next statement opens another.
    await expect(sql<{ n: number }>`select 2 as n`.execute(db)).resolves.toMatchObject({ rows: [{ n: 2 }] });
    expect(uncaught).toEqual([]);
  });
});
