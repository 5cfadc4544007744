// The claim mechanism on its own, over an inbox-shaped table (the next user after the ledger):
// items enqueued free, claimed with a lease by competing owners, renewed, released, and taken
// over once their owner's lease has run out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type Generated } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimTable } from './claims.js';

interface ItemsTable {
  id: Generated<number>;
  topic: string;
  key: string;
  status: string;
  owner: string | null;
  lease_until: number | null;
  available_at: number;
  attempts: Generated<number>;
}
interface Db {
  items: ItemsTable;
}

let home: string;
let db: Kysely<Db>;
let items: ClaimTable<Db>;
const free = (now: number) => (eb: Parameters<Parameters<ClaimTable<Db>['claim']>[3]>[0]) => eb.and([eb('status', '=', 'pending'), eb('available_at', '<=', now)]);

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-claims-'));
  db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new Database(path.join(home, 'claims.db')) }) });
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('available_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('items_topic_key', ['topic', 'key'])
    .execute();
  items = new ClaimTable(db, { skipLocked: false }, { table: 'items', held: 'claimed', key: ['id'] });
});
afterEach(async () => {
  await db.destroy();
  fs.rmSync(home, { recursive: true, force: true });
});

async function enqueue(key: string, availableAt = 0): Promise<number> {
  const row = await db
    .insertInto('items')
    .values({ topic: 't', key, status: 'pending', owner: null, lease_until: null, available_at: availableAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const row = (id: number) => db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('ClaimTable.claimNext', () => {
  it('hands each free item to one owner only, oldest first, with the lease it asked for', async () => {
    for (const k of ['a', 'b', 'c', 'd', 'e']) await enqueue(k);
    const [first, second, third] = await Promise.all([
      items.claimNext({ lease: { owner: 'gw-1', until: 1_000 }, now: 0, free: free(0), orderBy: 'id', limit: 2 }),
      items.claimNext({ lease: { owner: 'gw-2', until: 1_000 }, now: 0, free: free(0), orderBy: 'id', limit: 2 }),
      items.claimNext({ lease: { owner: 'gw-3', until: 1_000 }, now: 0, free: free(0), orderBy: 'id', limit: 2 }),
    ]);
    const keys = [...first!, ...second!, ...third!].map((r) => r.key);
    expect(keys.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(first!.map((r) => r.key)).toEqual(['a', 'b']);
    expect(first![0]).toMatchObject({ status: 'claimed', owner: 'gw-1', lease_until: 1_000 });
    expect(await items.claimNext({ lease: { owner: 'gw-4', until: 1_000 }, now: 0, free: free(0), orderBy: 'id', limit: 10 })).toEqual([]);
  });

  it('leaves items that are not free yet (a retry backing off) and takes over items whose lease ran out', async () => {
    const held = await enqueue('held');
    await enqueue('later', 5_000);
    expect(await items.claimNext({ lease: { owner: 'dead', until: 1_000 }, now: 0, free: free(0), orderBy: 'id', limit: 1 })).toHaveLength(1);

    // Lease still valid at 999: nothing to take.
    expect(await items.claimNext({ lease: { owner: 'gw-2', until: 2_000 }, now: 999, free: free(999), orderBy: 'id', limit: 10 })).toEqual([]);
    const taken = await items.claimNext({ lease: { owner: 'gw-2', until: 2_500 }, now: 1_500, free: free(1_500), orderBy: 'id', limit: 10 });
    expect(taken.map((r) => [r.id, r.owner, r.lease_until])).toEqual([[held, 'gw-2', 2_500]]);
  });
});

describe('ClaimTable.claimNew', () => {
  it('inserts a held row once; a second claim of the same key loses whoever asks', async () => {
    const ledger = new ClaimTable(db, { skipLocked: false }, { table: 'items', held: 'claimed', key: ['topic', 'key'] });
    const values = { topic: 'run', key: 'slot-1', available_at: 0, attempts: 1 };
    expect(await ledger.claimNew(values, { owner: 'gw-1', until: 100 })).toBe(true);
    expect(await ledger.claimNew(values, { owner: 'gw-2', until: 100 })).toBe(false);
    expect(await db.selectFrom('items').select(['owner', 'status', 'lease_until']).execute()).toEqual([{ owner: 'gw-1', status: 'claimed', lease_until: 100 }]);
  });
});

describe('ClaimTable.claim', () => {
  it('claims a free row, refuses a held one, and takes a held one over once its lease has ended', async () => {
    const id = await enqueue('x');
    expect(await items.claim({ id }, { owner: 'gw-1', until: 100 }, 0, free(0))).toBe(true);
    expect(await items.claim({ id }, { owner: 'gw-2', until: 200 }, 50, free(50))).toBe(false);
    expect(await items.claim({ id }, { owner: 'gw-2', until: 300 }, 150, free(150))).toBe(true);
    expect(await row(id)).toMatchObject({ owner: 'gw-2', lease_until: 300 });
  });
});

describe('ClaimTable.renew and release', () => {
  it('lets only the owner renew or release; an owner whose claim was taken over can do neither', async () => {
    const id = await enqueue('x');
    await items.claim({ id }, { owner: 'slow', until: 100 }, 0, free(0));
    expect(await items.renew({ id }, { owner: 'slow', until: 200 })).toBe(true);
    expect(await items.renew({ id }, { owner: 'other', until: 900 })).toBe(false);
    expect(await row(id)).toMatchObject({ lease_until: 200 });

    // The slow owner misses its renewal; gw-2 takes over at 250.
    expect(await items.claim({ id }, { owner: 'gw-2', until: 400 }, 250, free(250))).toBe(true);
    expect(await items.renew({ id }, { owner: 'slow', until: 500 })).toBe(false);
    expect(await items.release({ id }, 'slow', { status: 'done' })).toBe(false);
    expect(await row(id)).toMatchObject({ status: 'claimed', owner: 'gw-2', lease_until: 400 });

    expect(await items.release({ id }, 'gw-2', { status: 'done', attempts: 2 })).toBe(true);
    expect(await row(id)).toMatchObject({ status: 'done', owner: 'gw-2', lease_until: null, attempts: 2 });
    expect(await items.renew({ id }, { owner: 'gw-2', until: 900 })).toBe(false);
  });

  it('renews every claim of one owner in one call, and no one else’s', async () => {
    for (const k of ['a', 'b', 'c']) await enqueue(k);
    await items.claimNext({ lease: { owner: 'me', until: 100 }, now: 0, free: free(0), orderBy: 'id', limit: 2 });
    await items.claimNext({ lease: { owner: 'you', until: 100 }, now: 0, free: free(0), orderBy: 'id', limit: 1 });
    expect(await items.renewAll({ owner: 'me', until: 700 })).toBe(2);
    const leases = await db.selectFrom('items').select(['owner', 'lease_until']).orderBy('id').execute();
    expect(leases).toEqual([
      { owner: 'me', lease_until: 700 },
      { owner: 'me', lease_until: 700 },
      { owner: 'you', lease_until: 100 },
    ]);
  });
});

describe('ClaimTable.expire', () => {
  it('ends the claims of expired leases and of owners known gone, never those of the live owner', async () => {
    const ids: Record<string, number> = {};
    for (const k of ['expired', 'fresh', 'previous', 'mine', 'free']) ids[k] = await enqueue(k);
    await items.claim({ id: ids.expired! }, { owner: 'dead', until: 100 }, 0, free(0));
    await items.claim({ id: ids.fresh! }, { owner: 'alive-elsewhere', until: 10_000 }, 0, free(0));
    await items.claim({ id: ids.previous! }, { owner: 'my-last-session', until: 10_000 }, 0, free(0));
    await items.claim({ id: ids.mine! }, { owner: 'me', until: 100 }, 0, free(0));

    const n = await items.expire({ now: 500, owners: { alive: 'me', gone: ['my-last-session'] }, set: { status: 'interrupted' } });
    expect(n).toBe(2);
    const status = Object.fromEntries((await db.selectFrom('items').select(['key', 'status']).execute()).map((r) => [r.key, r.status]));
    expect(status).toEqual({ expired: 'interrupted', fresh: 'claimed', previous: 'interrupted', mine: 'claimed', free: 'pending' });

    expect(await items.expire({ now: 500, owners: { alive: 'me', gone: 'all-others' }, set: { status: 'interrupted' } })).toBe(1);
    expect((await row(ids.fresh!)).status).toBe('interrupted');
    expect((await row(ids.mine!)).status).toBe('claimed');
  });
});
