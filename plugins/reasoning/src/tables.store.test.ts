// The reasoning plugin's tables on the store kind of the vitest project (`sqlite`, `postgres`):
// the plugin's migrations run by the harness on a fresh store, then its real code paths over
// them — usage rows recorded and read back with numbers as numbers, the `usage` service's sums
// by model, route and UTC day, `GET /api/usage` by day, and conversation turns kept in order and
// pruned to their bound. DESIGN §7: every plugin table runs on SQLite and PostgreSQL alike.
import type { HttpRoute, HttpRouteRequest, UsageLedger } from '@kora/runtime';
import { createPluginHarness, createSilentLogger, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import { ConversationStore } from './history.js';
import reasoning from './index.js';
import { TURNS_TABLE } from './migrations.js';
import { readUsage, UsageRecorder } from './usage.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 11, 15, 10); // 2026-12-15 10:00 UTC
const PRICE = { 'claude-x': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, 'claude-y': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 } };

const open: PluginHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function boot(): Promise<PluginHarness> {
  const storeUrl = storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite::memory:';
  const h = await createPluginHarness(reasoning, { storeUrl, clock: new ManualClock(T0), config: { prices: PRICE } });
  open.push(h);
  return h;
}

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0) =>
  ({ input_tokens: input, output_tokens: output, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: cacheWrite }) as never;

async function seed(h: PluginHarness): Promise<UsageRecorder> {
  const recorder = new UsageRecorder(h.store.pluginDb('reasoning'), PRICE, createSilentLogger());
  const call = (at: number, model: string, route: string, u: unknown, outcome: 'ok' | 'error' = 'ok') =>
    recorder.record({ at, route, conversation: 'c1', model, usage: u as never, durationMs: 10.6, outcome, errorCode: outcome === 'ok' ? null : 'KORA_ERR_X' });
  // Yesterday: two calls of claude-x on slack_dm, one of them failed.
  await call(T0 - DAY, 'claude-x', 'slack_dm', usage(1000, 100, 10, 5));
  await call(T0 - DAY + 1, 'claude-x', 'slack_dm', usage(2000, 0), 'error');
  // Today: claude-x on cli and slack_dm, claude-y on cli; a second past midnight counts for today.
  await call(Math.floor(T0 / DAY) * DAY, 'claude-x', 'cli', usage(500, 50));
  await call(T0, 'claude-x', 'slack_dm', usage(3_000_000_000 / 1000, 7));
  await call(T0, 'claude-y', 'cli', usage(100, 10));
  return recorder;
}

function route(h: PluginHarness, path: string): HttpRoute {
  const found = h.contributions.list('http.admin').map((c) => c.value as HttpRoute).find((r) => r.path === path);
  if (!found) throw new Error(`no route ${path}`);
  return found;
}

describe(`reasoning tables on ${storeKind}`, () => {
  it('record usage rows and read them back, oldest first, with tokens, cost and time as numbers', async () => {
    const h = await boot();
    await seed(h);
    const rows = await readUsage(h.store.pluginDb('reasoning'));
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.at)).toEqual([T0 - DAY, T0 - DAY + 1, Math.floor(T0 / DAY) * DAY, T0, T0]);
    for (const r of rows) {
      for (const v of [r.at, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens, r.cost_usd, r.duration_ms]) expect(typeof v).toBe('number');
    }
    expect(rows[0]).toMatchObject({ model: 'claude-x', route: 'slack_dm', conversation: 'c1', input_tokens: 1000, output_tokens: 100, cache_read_tokens: 10, cache_write_tokens: 5, duration_ms: 11, outcome: 'ok', error_code: null });
    expect(rows[0]!.cost_usd).toBeCloseTo((1000 * 3 + 100 * 15 + 10 * 0.3 + 5 * 3.75) / 1e6, 12);
    expect(rows[1]).toMatchObject({ outcome: 'error', error_code: 'KORA_ERR_X' });
    // Two calls at the same millisecond keep their call order (the id breaks the tie).
    expect(rows.slice(3).map((r) => r.model)).toEqual(['claude-x', 'claude-y']);
    expect((await readUsage(h.store.pluginDb('reasoning'), { since: T0 })).map((r) => r.model)).toEqual(['claude-x', 'claude-y']);
  });

  it('sum usage by model and route, and by UTC day, through the `usage` service', async () => {
    const h = await boot();
    await seed(h);
    const ledger = h.services.get('usage') as UsageLedger;
    const sort = <T extends { model: string; route: string; day: string | null }>(rows: readonly T[]) =>
      [...rows].sort((a, b) => `${a.day}${a.model}${a.route}`.localeCompare(`${b.day}${b.model}${b.route}`));

    const all = sort(await ledger.totals({ since: T0 - 2 * DAY, until: T0 + 1 }));
    expect(all).toEqual([
      { model: 'claude-x', route: 'cli', day: null, calls: 1, failed: 0, inputTokens: 500, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: expect.closeTo((500 * 3 + 50 * 15) / 1e6, 12) },
      { model: 'claude-x', route: 'slack_dm', day: null, calls: 3, failed: 1, inputTokens: 3_003_000, outputTokens: 107, cacheReadTokens: 10, cacheWriteTokens: 5, costUsd: expect.any(Number) },
      { model: 'claude-y', route: 'cli', day: null, calls: 1, failed: 0, inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: expect.closeTo((100 * 1 + 10 * 5) / 1e6, 12) },
    ]);
    const byDay = sort(await ledger.totals({ since: T0 - 2 * DAY, until: T0 + 1, byDay: true }));
    expect(byDay.map((r) => [r.day, r.model, r.route, r.calls, r.failed, r.inputTokens])).toEqual([
      ['2026-12-14', 'claude-x', 'slack_dm', 2, 1, 3000],
      ['2026-12-15', 'claude-x', 'cli', 1, 0, 500],
      ['2026-12-15', 'claude-x', 'slack_dm', 1, 0, 3_000_000],
      ['2026-12-15', 'claude-y', 'cli', 1, 0, 100],
    ]);
    for (const r of byDay) for (const v of [r.calls, r.failed, r.inputTokens, r.outputTokens, r.costUsd]) expect(typeof v).toBe('number');
    // `until` is exclusive, `since` inclusive.
    expect(await ledger.totals({ since: T0 + 1, until: T0 + 2 })).toEqual([]);
    expect((await ledger.totals({ since: T0, until: T0 + 1 })).map((r) => r.calls).reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('answer GET /api/usage with the days summed per model, oldest first, and a total', async () => {
    const h = await boot();
    await seed(h);
    const request = { method: 'GET', path: '/api/usage', params: {}, query: { days: '2' }, headers: {}, body: undefined, principal: 'admin', raw: {} } as unknown as HttpRouteRequest;
    const answer = (await route(h, '/api/usage').handle(request)) as { status: number; body: { rows: { day: string; model: string; calls: number; failed: number; inputTokens: number }[]; total: { calls: number; costUsd: number } } };
    expect(answer.status).toBe(200);
    expect(answer.body.rows.map((r) => [r.day, r.model, r.calls, r.failed, r.inputTokens])).toEqual([
      ['2026-12-14', 'claude-x', 2, 1, 3000],
      ['2026-12-15', 'claude-x', 2, 0, 3_000_500],
      ['2026-12-15', 'claude-y', 1, 0, 100],
    ]);
    expect(answer.body.total.calls).toBe(5);
    expect(typeof answer.body.total.costUsd).toBe('number');
  });

  it('keep conversation turns in order, each conversation its own, pruned to the turn bound', async () => {
    const h = await boot();
    const db = h.store.pluginDb('reasoning');
    const history = new ConversationStore(db, { turns: 3, tokens: 100_000 });
    for (let i = 1; i <= 8; i++) {
      const { lastSeq } = await history.load('c1');
      expect(lastSeq).toBe(i - 1);
      await history.append('c1', lastSeq, { at: T0 + i, route: 'slack_dm', messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] });
    }
    await history.append('c2', 0, { at: T0, route: 'cli', messages: [{ role: 'user', content: 'other' }] });
    const c1 = await history.load('c1');
    expect(c1.lastSeq).toBe(8);
    expect(c1.messages.map((m) => m.content)).toEqual(['q6', 'a6', 'q7', 'a7', 'q8', 'a8']);
    expect((await history.load('c2')).messages.map((m) => m.content)).toEqual(['other']);
    // The eighth turn pruned c1 to its newest three; c2 untouched.
    const kept = await db.selectFrom(TURNS_TABLE).select(['conversation', 'seq']).orderBy('conversation').orderBy('seq').execute();
    expect(kept.map((r) => [r.conversation, Number(r.seq)])).toEqual([['c1', 6], ['c1', 7], ['c1', 8], ['c2', 1]]);
    // A second writer of the same turn hits the primary key, on either database.
    await expect(history.append('c1', 7, { at: T0, route: 'cli', messages: [] })).rejects.toThrow();
  });

  it('keep the turns and usage rows of a conversation id longer than its column (an email thread of a long Message-ID)', async () => {
    const h = await boot();
    const db = h.store.pluginDb('reasoning');
    // An email conversation is `email:<the thread's first Message-ID>`, and a Message-ID may run to ~1000 characters.
    const long = `email:<${'x'.repeat(900)}@example.com>`;
    const sameStart = `email:<${'x'.repeat(900)}@example.org>`;
    const history = new ConversationStore(db, { turns: 10, tokens: 100_000 });
    await history.append(long, 0, { at: T0, route: 'email_inbound', messages: [{ role: 'user', content: 'first' }] });
    await history.append(long, 1, { at: T0, route: 'email_inbound', messages: [{ role: 'user', content: 'second' }] });
    await history.append(sameStart, 0, { at: T0, route: 'email_inbound', messages: [{ role: 'user', content: 'other thread' }] });
    expect(await history.load(long)).toEqual({ lastSeq: 2, messages: [{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }] });
    expect((await history.load(sameStart)).messages.map((m) => m.content)).toEqual(['other thread']);

    const logs: unknown[] = [];
    const log = { ...createSilentLogger(), error: (...args: unknown[]) => void logs.push(args) } as unknown as ReturnType<typeof createSilentLogger>;
    const recorder = new UsageRecorder(db, PRICE, log);
    await recorder.record({ at: T0, route: 'email_inbound', conversation: long, model: 'claude-x', usage: usage(10, 1), durationMs: 1, outcome: 'ok', errorCode: null });
    expect(logs).toEqual([]);
    const [row] = await readUsage(db);
    expect(row?.conversation?.length).toBeLessThanOrEqual(512);
    expect(row?.conversation?.startsWith(long.slice(0, 400))).toBe(true);
  });
});
