// Tailing the audit log by cursor when ids do not commit in order, as with PostgreSQL
// sequences: rows are inserted with explicit ids by a second connection to simulate a
// transaction that took id 3 but committed after id 4.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { ManualClock } from '../time/clock.js';
import { fill, unexpired } from './audit-cursor.js';
import { sql } from 'kysely';
import pg from 'pg';
import type { AuditCursor, Store } from './index.js';
import { openTestStore, storeKind, testStoreUrl } from './test-stores.test-helper.js';

const GRACE = 10_000;

let home: string;
let clock: ManualClock;
let store: Store;
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-audit-tail-'));
  clock = new ManualClock(1_000_000);
  store = await openTestStore({ home, clock, auditTailGraceMs: GRACE });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** A row committed by "another transaction" with the id it was given. */
async function commit(id: number, seam = 's'): Promise<void> {
  await sql`insert into kora_audit (id, at, plugin, seam, details) values (${id}, ${clock.now()}, 'p', ${seam}, '{}')`.execute(store.pluginDb('test'));
}

async function tail(cursor?: AuditCursor, options?: { limit?: number; seam?: string }) {
  const { entries, cursor: next } = await store.audit.tail(cursor, options);
  return { ids: entries.map((e) => e.id), cursor: next };
}

describe('audit.tail', () => {
  it('delivers every entry once, in id order, across calls', async () => {
    for (const n of [1, 2, 3]) await store.audit.append({ at: n, plugin: 'p', seam: 's', details: { n } });
    const first = await store.audit.tail();
    expect(first.entries.map((e) => e.details)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(first.cursor).toEqual({ after: 3, gaps: [] });
    await store.audit.append({ at: 4, plugin: 'p', seam: 's', details: { n: 4 } });
    expect((await tail(first.cursor)).ids).toEqual([4]);
    expect((await tail((await tail(first.cursor)).cursor)).ids).toEqual([]);
  });

  it('delivers an entry that commits after a higher id was already read', async () => {
    await commit(1);
    await commit(2);
    await commit(4); // 3 is taken by a transaction still open
    const first = await tail();
    expect(first.ids).toEqual([1, 2, 4]);
    expect(first.cursor).toEqual({ after: 4, gaps: [{ from: 3, to: 3, since: clock.now() }] });

    await clock.advance(GRACE / 2);
    await commit(3);
    await commit(5);
    const second = await tail(first.cursor);
    expect(second.ids).toEqual([3, 5]);
    expect(second.cursor).toEqual({ after: 5, gaps: [] });
    expect((await tail(second.cursor)).ids).toEqual([]);
  });

  it('gives up on a missing id once the grace period has passed: an id rolled back never holds the tail', async () => {
    await commit(1);
    await commit(3);
    const first = await tail();
    expect(first.cursor.gaps).toHaveLength(1);
    await clock.advance(GRACE - 1);
    const kept = await tail(first.cursor);
    expect(kept.cursor.gaps).toHaveLength(1);
    await clock.advance(1);
    const dropped = await tail(kept.cursor);
    expect(dropped.cursor).toEqual({ after: 3, gaps: [] });
    await commit(2); // later than the grace period: documented as not delivered
    expect((await tail(dropped.cursor)).ids).toEqual([]);
  });

  it('pages by limit without losing gaps, and keeps a long run of missing ids as one range', async () => {
    await commit(1);
    await commit(1_000); // 2…999 missing (pruned, or not committed yet)
    await commit(1_001);
    await commit(1_002);
    const page1 = await tail(undefined, { limit: 2 });
    expect(page1.ids).toEqual([1, 1_000]);
    expect(page1.cursor).toEqual({ after: 1_000, gaps: [{ from: 2, to: 999, since: clock.now() }] });
    await commit(500);
    const page2 = await tail(page1.cursor, { limit: 2 });
    expect(page2.ids).toEqual([500, 1_001, 1_002]);
    expect(page2.cursor.gaps).toEqual([
      { from: 2, to: 499, since: clock.now() },
      { from: 501, to: 999, since: clock.now() },
    ]);
  });

  it('tails one seam: ids of other seams are not gaps, and a late entry of that seam still arrives', async () => {
    await commit(1, 'probe.wake_requested');
    await commit(2, 'tool.call');
    await commit(4, 'tool.call');
    const first = await tail(undefined, { seam: 'probe.wake_requested' });
    expect(first.ids).toEqual([1]);
    expect(first.cursor).toEqual({ after: 4, gaps: [{ from: 3, to: 3, since: clock.now() }] });
    await commit(3, 'probe.wake_requested');
    await commit(5, 'tool.call');
    const second = await tail(first.cursor, { seam: 'probe.wake_requested' });
    expect(second.ids).toEqual([3]);
    expect(second.cursor).toEqual({ after: 5, gaps: [] });
  });

  it.runIf(storeKind === 'postgres')('on PostgreSQL, delivers an entry whose transaction took its id first but committed after a later one', async () => {
    const client = new pg.Client({ connectionString: testStoreUrl(store) });
    await client.connect();
    try {
      await store.audit.append({ at: 1, plugin: 'p', seam: 's', details: { n: 1 } });
      await client.query('begin');
      const { rows } = await client.query<{ id: string }>("insert into kora_audit (at, plugin, seam, details) values (2, 'p', 's', '{}') returning id");
      const early = Number(rows[0]!.id);
      const late = await store.audit.append({ at: 3, plugin: 'p', seam: 's', details: { n: 3 } });
      expect(late).toBeGreaterThan(early);
      const first = await tail();
      expect(first.ids).toEqual([early - 1, late]);
      await client.query('commit');
      const second = await tail(first.cursor);
      expect(second.ids).toEqual([early]);
      expect(second.cursor.gaps).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('takes back a cursor that went through JSON (kept in a plugin’s key-value store) and refuses anything else', async () => {
    await commit(1);
    await commit(3);
    const { cursor } = await tail();
    await store.kv('probes').set('cursor', cursor);
    const restored = await store.kv('probes').get<AuditCursor>('cursor');
    await commit(2);
    expect((await tail(restored)).ids).toEqual([2]);
    await expect(store.audit.tail({ after: 'x' } as unknown as AuditCursor)).rejects.toBeInstanceOf(StoreError);
  });
});

describe('audit cursor arithmetic', () => {
  it('splits a gap around the ids that arrived and keeps the time each was first missed', () => {
    expect(fill([{ from: 2, to: 9, since: 5 }], [2, 5, 9])).toEqual([
      { from: 3, to: 4, since: 5 },
      { from: 6, to: 8, since: 5 },
    ]);
    expect(fill([{ from: 2, to: 2, since: 5 }], [7])).toEqual([{ from: 2, to: 2, since: 5 }]);
  });

  it('drops gaps whose grace period has passed', () => {
    expect(unexpired([{ from: 1, to: 1, since: 0 }, { from: 3, to: 3, since: 5 }], 10, 10)).toEqual([{ from: 3, to: 3, since: 5 }]);
  });
});
