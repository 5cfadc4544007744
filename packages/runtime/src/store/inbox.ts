// The durable inbox (DESIGN §7): items from outside kept before their sender is acknowledged,
// deduplicated on (topic, key), and consumed through the claim mechanism the run ledger uses
// (claims.ts). A row is `pending` (due at `available_at`), `claimed` under a lease, `done` (kept
// without its payload, to deduplicate, until pruned) or `dead` (kept with its payload and every
// error until replayed or discarded). Every change of a claimed row goes through the owner
// check, so a gateway that lost an item cannot write over the one that took it over.
import { sql, type CompiledQuery, type Kysely, type Selectable } from 'kysely';
import { InboxError, describeError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { ClaimTable, type ClaimDialect, type ClaimRow } from './claims.js';
import type { StoreGate } from './gate.js';
import { checkCount } from './ledger.js';
import type { InboxTable, StoreSchema } from './schema.js';
import type { ClaimedInboxItem, DeadLetter, Inbox, InboxFailure, InboxMessage, InboxTopicStats } from './types.js';

const TOPIC = /^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;
const MAX_TOPIC_CHARS = 128;
const MAX_KEY_CHARS = 1024;
/** One failure's message is cut to this; the list keeps every failure. */
const MAX_ERROR_CHARS = 4096;
const DEFAULT_DEAD_LIMIT = 100;

export interface InboxOptions {
  clock: Clock;
  /** True when one gateway has the database to itself: see `Inbox.requeueStale`. */
  exclusive: boolean;
  claimDialect: ClaimDialect;
}

type Enqueued = { id: number; duplicate: boolean };

interface PendingEnqueue {
  readonly topic: string;
  readonly key: string;
  readonly payload: string;
  readonly at: number;
  resolve(result: Enqueued): void;
  reject(err: unknown): void;
}

/**
 * What a new row is given, one bound value each: the rest are the same for every new row and go
 * into the statement's text (status) or come from the table's defaults (attempts, replays and
 * errors; owner, lease and finish empty). Binding twelve values a row where five vary made a
 * burst of ten ≈ 10 % slower in a raw better-sqlite3 loop.
 */
const BOUND_COLUMNS = ['topic', 'key', 'payload', 'available_at', 'enqueued_at'] as const;
type BoundColumn = (typeof BOUND_COLUMNS)[number];

const BOUND_VALUE: Readonly<Record<BoundColumn, (item: PendingEnqueue) => unknown>> = {
  topic: (item) => item.topic,
  key: (item) => item.key,
  payload: (item) => item.payload,
  available_at: (item) => item.at,
  enqueued_at: (item) => item.at,
};

/**
 * Bursts up to this many rows keep their compiled insert: a burst is at most one per connection
 * that sent in the same turn of the event loop, so this covers the common sizes, and bounds what
 * is kept (a compiled query holds its node tree, a node per value). Larger ones compile anew.
 */
const KEPT_INSERTS = 32;

/**
 * The enqueue's insert of n rows (`INSERT … ON CONFLICT (topic, key) DO NOTHING RETURNING id,
 * topic, key`), built and compiled by Kysely once per n, then run with each burst's values.
 * Building and compiling it (an immutable node per value, then the SQL) was about a third of an
 * enqueue's JavaScript. Kysely still writes the SQL, so each dialect gets its own; where the
 * values go is read from a compile with a marker in every slot (row by row, the columns in one
 * order), so it is what the compiler made of them.
 */
class CompiledInserts {
  readonly #db: Kysely<StoreSchema>;
  readonly #byCount = new Map<number, { query: CompiledQuery; values: readonly ((item: PendingEnqueue) => unknown)[] }>();

  /** `db`: the store's Kysely; the queries it compiles run on it or on any transaction of it. */
  constructor(db: Kysely<StoreSchema>) {
    this.#db = db;
  }

  /** Insert the rows, none that is there already, on `db` (the store or a transaction of it): those inserted, with their ids. */
  async insert(db: Kysely<StoreSchema>, items: readonly PendingEnqueue[]): Promise<{ id: number | bigint; topic: string; key: string }[]> {
    const { query, values } = this.#byCount.get(items.length) ?? this.#compile(items.length);
    const parameters: unknown[] = [];
    for (const item of items) for (const value of values) parameters.push(value(item));
    const result = await db.executeQuery<{ id: number | bigint; topic: string; key: string }>({ ...query, parameters });
    return result.rows;
  }

  #compile(n: number) {
    const marker = (row: number, column: string) => `kora-inbox-slot:${row}:${column}`;
    const rows = Array.from({ length: n }, (_, i) => ({ ...Object.fromEntries(BOUND_COLUMNS.map((c) => [c, marker(i, c)])), status: sql.lit('pending') }));
    const query = this.#db
      .insertInto('kora_inbox')
      .values(rows as never)
      .onConflict((oc) => oc.columns(['topic', 'key']).doNothing())
      .returning(['id', 'topic', 'key'])
      .compile();
    const columns = query.parameters.slice(0, BOUND_COLUMNS.length).map((value) => /^kora-inbox-slot:0:(\w+)$/.exec(String(value))?.[1] as BoundColumn);
    const expected = rows.flatMap((_, i) => columns.map((c) => marker(i, c)));
    if (query.parameters.length !== expected.length || query.parameters.some((value, k) => value !== expected[k])) {
      throw new Error(`the inbox insert did not compile to its rows' values, row by row (got ${query.parameters.length} parameters for ${n} rows)`);
    }
    const compiled = { query, values: columns.map((c) => BOUND_VALUE[c]) };
    if (n <= KEPT_INSERTS) this.#byCount.set(n, compiled);
    return compiled;
  }
}

/**
 * Insert-or-nothing, then read the winner: two statements, but the unique (topic, key) makes the
 * first one the dedup, atomic on any database. The loop covers a row discarded in between.
 */
async function insertOrFind(db: Kysely<StoreSchema>, inserts: CompiledInserts, item: PendingEnqueue): Promise<Enqueued> {
  const { topic, key } = item;
  for (;;) {
    const [inserted] = await inserts.insert(db, [item]);
    if (inserted) return { id: Number(inserted.id), duplicate: false };
    const first = await db.selectFrom('kora_inbox').select('id').where('topic', '=', topic).where('key', '=', key).executeTakeFirst();
    if (first) return { id: Number(first.id), duplicate: true };
  }
}

/** Rows per multi-row insert: 5 parameters each, well under SQLite's and PostgreSQL's limits. */
const BURST_ROWS = 200;
/** A burst this large or larger is committed at the end of the turn that started it (see `#commitSoon`). */
const SMALL_BURST = 16;

/**
 * A burst as multi-row inserts (one statement per 200 items, not one per item), then one read
 * for the items whose (topic, key) was there already. Answers in the burst's order; a key given
 * twice in the burst is a duplicate of its first.
 */
async function insertBurst(db: Kysely<StoreSchema>, inserts: CompiledInserts, batch: readonly PendingEnqueue[]): Promise<Enqueued[]> {
  const pair = (topic: string, key: string) => `${topic}\0${key}`;
  const first = new Map<string, number>();
  batch.forEach((item, i) => {
    if (!first.has(pair(item.topic, item.key))) first.set(pair(item.topic, item.key), i);
  });
  const unique = [...first.values()].map((i) => batch[i]!);
  const inserted = new Map<string, number>();
  for (let at = 0; at < unique.length; at += BURST_ROWS) {
    const got = await inserts.insert(db, unique.slice(at, at + BURST_ROWS));
    for (const r of got) inserted.set(pair(r.topic, r.key), Number(r.id));
  }
  const existing = new Map<string, number>();
  const known = unique.filter((item) => !inserted.has(pair(item.topic, item.key)));
  for (let at = 0; at < known.length; at += BURST_ROWS) {
    const some = known.slice(at, at + BURST_ROWS);
    const rows = await db
      .selectFrom('kora_inbox')
      .select(['id', 'topic', 'key'])
      .where((eb) => eb.or(some.map((item) => eb.and([eb('topic', '=', item.topic), eb('key', '=', item.key)]))))
      .execute();
    for (const r of rows) existing.set(pair(r.topic, r.key), Number(r.id));
  }
  const results: Enqueued[] = [];
  for (const [i, item] of batch.entries()) {
    const p = pair(item.topic, item.key);
    const isFirst = first.get(p) === i;
    const id = inserted.get(p);
    if (id !== undefined) results.push({ id, duplicate: !isFirst });
    else if (existing.has(p)) results.push({ id: existing.get(p)!, duplicate: true });
    // Neither inserted nor there: discarded between the two statements. Once more, on its own.
    else results.push(await insertOrFind(db, inserts, item));
  }
  return results;
}

export class SqlInbox implements Inbox {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #options: InboxOptions;
  readonly #claims: ClaimTable<StoreSchema>;
  readonly #inserts: CompiledInserts;
  /** Enqueues waiting for the next group commit. */
  #batch: PendingEnqueue[] | undefined;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate, options: InboxOptions) {
    this.#db = db;
    this.#gate = gate;
    this.#options = options;
    this.#claims = new ClaimTable(db, options.claimDialect, { table: 'kora_inbox', held: 'claimed', key: ['id'] });
    this.#inserts = new CompiledInserts(db);
  }

  enqueue(message: InboxMessage, now?: number): Promise<{ id: number; duplicate: boolean }> {
    return this.#gate.run('inbox.enqueue', () => {
      const { topic, key } = message;
      checkTopic(topic);
      checkKey(topic, key);
      const payload = serialise(topic, key, message.payload);
      const at = now ?? this.#options.clock.now();
      // Group commit: enqueues that arrive in the same turn of the event loop (a burst of
      // webhooks on several connections) share one commit, so a commit is paid per burst,
      // not per item. Each caller still resolves only once its item is committed.
      return new Promise<Enqueued>((resolve, reject) => {
        if (!this.#batch) {
          this.#batch = [];
          setImmediate(this.#commitSoon);
        }
        this.#batch.push({ topic, key, payload, at, resolve, reject });
      });
    });
  }

  /**
   * At the end of the turn that started a burst: a small burst waits one more turn, so that the
   * requests already read by then join it (decision 0175). Most of a small burst's cost is its
   * commit (≈ 30 µs in SQLite, against ≈ 5 µs a row), and under steady load the connections
   * otherwise fall into two half-size bursts that pay it twice. One turn at most: an item waits
   * for what has already arrived, never for a timer.
   */
  readonly #commitSoon = (): void => {
    if (this.#batch !== undefined && this.#batch.length < SMALL_BURST) setImmediate(() => void this.#flush());
    else void this.#flush();
  };

  async #flush(): Promise<void> {
    const batch = this.#batch ?? [];
    this.#batch = undefined;
    try {
      // One insert statement is atomic on its own: a burst that fits in one (nearly all) needs
      // no BEGIN and COMMIT around it (two statements more through the driver for each burst).
      // A larger one is one transaction, so that it is kept whole or not at all.
      const results =
        batch.length === 1
          ? [await insertOrFind(this.#db, this.#inserts, batch[0]!)]
          : batch.length <= BURST_ROWS
            ? await insertBurst(this.#db, this.#inserts, batch)
            : await this.#db.transaction().execute((trx) => insertBurst(trx, this.#inserts, batch));
      batch.forEach((item, i) => item.resolve(results[i]!));
    } catch (err) {
      // The whole burst failed (the store is busy, full or gone): no item of it was kept, and
      // every caller hears so, to refuse its sender, who retries.
      for (const item of batch) item.reject(err);
    }
  }

  claim(options: { topics: readonly string[]; owner: string; leaseMs: number; now: number; limit?: number }): Promise<ClaimedInboxItem[]> {
    return this.#gate.run('inbox.claim', async () => {
      const topics = [...options.topics];
      if (topics.length === 0) throw new InboxError('KORA_ERR_INBOX_INVALID', 'inbox.claim needs at least one topic', {});
      topics.forEach(checkTopic);
      checkOwner(options.owner);
      const leaseMs = checkCount('inbox.claim leaseMs', options.leaseMs);
      const limit = checkCount('inbox.claim limit', options.limit ?? 1);
      const { now } = options;
      // On PostgreSQL the picking subquery takes FOR UPDATE SKIP LOCKED (ClaimTable, by dialect):
      // gateways claiming at once get disjoint items and never wait on each other's.
      const rows = await this.#claims.claimNext({
        lease: { owner: options.owner, until: now + leaseMs },
        now,
        free: (eb) => eb.and([eb('status', '=', 'pending'), eb('available_at', '<=', now)]),
        scope: (eb) => eb('topic', 'in', topics),
        set: { attempts: sql`attempts + 1` },
        orderBy: 'id',
        limit,
      });
      // RETURNING gives no order of its own.
      return rows.map(toClaimed).sort((a, b) => a.id - b.id);
    });
  }

  renew(ids: readonly number[], owner: string, until: number): Promise<number[]> {
    return this.#gate.run('inbox.renew', async () => {
      checkOwner(owner);
      const held: number[] = [];
      for (const id of ids) if (await this.#claims.renew({ id }, { owner, until })) held.push(id);
      return held;
    });
  }

  complete(id: number, owner: string): Promise<boolean> {
    return this.#gate.run('inbox.complete', () =>
      // The payload goes: a done row is only there to deduplicate, and need not keep what it carried.
      this.#claims.release({ id }, owner, { status: 'done', payload: null, finished_at: this.#options.clock.now() }),
    );
  }

  fail(id: number, owner: string, outcome: { error: string; retryAt: number } | { error: string; dead: true }): Promise<boolean> {
    return this.#gate.run('inbox.fail', async () => {
      const retryAt = 'retryAt' in outcome ? outcome.retryAt : undefined;
      if (retryAt !== undefined && !Number.isFinite(retryAt)) throw new InboxError('KORA_ERR_INBOX_INVALID', `inbox.fail retryAt must be an epoch ms, got ${String(retryAt)}`, { id });
      // Read, then write under the owner check: only the holder appends, so no failure is lost
      // to a concurrent write, and a holder that lost the claim writes nothing.
      const row = await this.#db.selectFrom('kora_inbox').select(['attempts', 'errors']).where('id', '=', id).where('status', '=', 'claimed').where('owner', '=', owner).executeTakeFirst();
      if (!row) return false;
      const now = this.#options.clock.now();
      const failure: InboxFailure = { at: now, attempt: Number(row.attempts), error: cut(String(outcome.error)) };
      const errors = JSON.stringify([...parseErrors(row.errors), failure]);
      const set = retryAt === undefined ? { status: 'dead', errors, finished_at: now } : { status: 'pending', errors, available_at: retryAt };
      return this.#claims.release({ id }, owner, set);
    });
  }

  dead(query: { topic?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    return this.#gate.run('inbox.dead', async () => {
      const limit = checkCount('inbox.dead limit', query.limit ?? DEFAULT_DEAD_LIMIT);
      let q = this.#db.selectFrom('kora_inbox').selectAll().where('status', '=', 'dead');
      if (query.topic !== undefined) q = q.where('topic', '=', query.topic);
      const rows = await q.orderBy('finished_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toDeadLetter);
    });
  }

  replay(id: number, now?: number): Promise<boolean> {
    return this.#gate.run('inbox.replay', async () => {
      const at = now ?? this.#options.clock.now();
      // Attempts restart: a replay is the operator saying "try again, in full", after fixing the cause.
      const { numUpdatedRows } = await this.#db
        .updateTable('kora_inbox')
        .set((eb) => ({ status: 'pending', available_at: at, attempts: 0, replays: eb('replays', '+', 1), finished_at: null, owner: null, lease_until: null }))
        .where('id', '=', id)
        .where('status', '=', 'dead')
        .executeTakeFirst();
      return numUpdatedRows > 0n;
    });
  }

  discard(id: number): Promise<boolean> {
    return this.#gate.run('inbox.discard', async () => {
      const { numDeletedRows } = await this.#db.deleteFrom('kora_inbox').where('id', '=', id).where('status', '=', 'dead').executeTakeFirst();
      return numDeletedRows > 0n;
    });
  }

  stats(): Promise<Record<string, InboxTopicStats>> {
    return this.#gate.run('inbox.stats', async () => {
      const rows = await this.#db
        .selectFrom('kora_inbox')
        .select((eb) => ['topic', 'status', eb.fn.countAll<number>().as('n')])
        .where('status', 'in', ['pending', 'claimed', 'dead'])
        .groupBy(['topic', 'status'])
        .orderBy('topic')
        .execute();
      const stats: Record<string, InboxTopicStats> = {};
      for (const row of rows) {
        const topic = (stats[row.topic] ??= { pending: 0, inFlight: 0, dead: 0 });
        const n = Number(row.n);
        if (row.status === 'pending') topic.pending = n;
        else if (row.status === 'claimed') topic.inFlight = n;
        else topic.dead = n;
      }
      return stats;
    });
  }

  requeueStale(owner: { not: string; previous?: readonly string[]; now?: number }): Promise<number> {
    return this.#gate.run('inbox.requeueStale', () => {
      const now = owner.now ?? this.#options.clock.now();
      return this.#claims.expire({
        now,
        owners: { alive: owner.not, gone: this.#options.exclusive ? 'all-others' : (owner.previous ?? []) },
        set: { status: 'pending', available_at: now },
      });
    });
  }

  prune(policy: { now: number; maxAgeMs?: number; maxDonePerTopic?: number }): Promise<number> {
    return this.#gate.run('inbox.prune', async () => {
      // Only done rows: pending and claimed ones are work, dead ones wait for the operator.
      let deleted = 0n;
      if (policy.maxAgeMs !== undefined) {
        const byAge = await this.#db
          .deleteFrom('kora_inbox')
          .where('status', '=', 'done')
          .where('finished_at', '<', policy.now - checkCount('inbox.prune maxAgeMs', policy.maxAgeMs, 0))
          .executeTakeFirst();
        deleted += byAge.numDeletedRows;
      }
      if (policy.maxDonePerTopic !== undefined) {
        const keep = checkCount('inbox.prune maxDonePerTopic', policy.maxDonePerTopic, 0);
        const ranked = this.#db
          .selectFrom('kora_inbox')
          .select((eb) => ['id', eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('topic').orderBy('finished_at', 'desc').orderBy('id', 'desc')).as('rank')])
          .where('status', '=', 'done')
          .as('ranked');
        const byCount = await this.#db
          .deleteFrom('kora_inbox')
          .where('id', 'in', (eb) => eb.selectFrom(ranked).select('ranked.id').where('ranked.rank', '>', keep))
          .executeTakeFirst();
        deleted += byCount.numDeletedRows;
      }
      return Number(deleted);
    });
  }
}

function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length > MAX_TOPIC_CHARS || !TOPIC.test(topic)) {
    throw new InboxError(
      'KORA_ERR_INBOX_INVALID',
      `An inbox topic is lower-case words joined by dots (e.g. slack.events), at most ${MAX_TOPIC_CHARS} characters; got ${describeValue(topic)}`,
      { topic: typeof topic === 'string' ? topic.slice(0, MAX_TOPIC_CHARS) : typeof topic },
    );
  }
}

function checkKey(topic: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_CHARS) {
    throw new InboxError('KORA_ERR_INBOX_INVALID', `An inbox key (topic ${topic}) must be a non-empty string of at most ${MAX_KEY_CHARS} characters; got ${describeValue(key)}`, { topic });
  }
}

function checkOwner(owner: unknown): void {
  if (typeof owner !== 'string' || owner === '') throw new InboxError('KORA_ERR_INBOX_INVALID', `An inbox claim's owner must be a non-empty string (the gateway's session id); got ${describeValue(owner)}`, {});
}

// Names the kind and size, never the value: a key or topic may be whatever a sender put there.
function describeValue(value: unknown): string {
  if (typeof value === 'string') return value === '' ? 'an empty string' : `a string of ${value.length} characters`;
  return value === null ? 'null' : `a ${typeof value}`;
}

function serialise(topic: string, key: string, payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    throw new InboxError('KORA_ERR_INBOX_PAYLOAD', `The payload of inbox item ${topic} is not JSON-serialisable: ${describeError(err)}`, { topic, key }, { cause: err });
  }
  if (json === undefined) throw new InboxError('KORA_ERR_INBOX_PAYLOAD', `The payload of inbox item ${topic} is not JSON-serialisable: a ${typeof payload} has no JSON form`, { topic, key });
  return json;
}

function cut(error: string): string {
  return error.length <= MAX_ERROR_CHARS ? error : `${error.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

function parseErrors(text: string): InboxFailure[] {
  return JSON.parse(text) as InboxFailure[];
}

// Drivers may hand back 64-bit integers as bigint or string (PostgreSQL's `bigint`); items carry numbers.
function toClaimed(row: ClaimRow): ClaimedInboxItem {
  const r = row as unknown as Selectable<InboxTable>;
  return { id: Number(r.id), topic: r.topic, key: r.key, payload: JSON.parse(r.payload ?? 'null') as unknown, attempt: Number(r.attempts), enqueuedAt: Number(r.enqueued_at) };
}

function toDeadLetter(r: Selectable<InboxTable>): DeadLetter {
  return {
    id: Number(r.id),
    topic: r.topic,
    key: r.key,
    payload: JSON.parse(r.payload ?? 'null') as unknown,
    attempts: Number(r.attempts),
    replays: Number(r.replays),
    errors: parseErrors(r.errors),
    enqueuedAt: Number(r.enqueued_at),
    deadAt: Number(r.finished_at),
  };
}
