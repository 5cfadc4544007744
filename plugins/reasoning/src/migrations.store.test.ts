// The reasoning plugin's tables on both stores (DESIGN §7: plugin tables run on SQLite and
// PostgreSQL alike): its migrations apply, usage rows are written and read back with numbers
// as numbers, and a conversation's turns keep their order.
import os from 'node:os';
import { createSilentLogger } from '@kora/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import type { Store } from '@kora/runtime';
import { ConversationStore } from './history.js';
import { migrations } from './migrations.js';
import { readUsage, UsageRecorder } from './usage.js';

let store: Store;
beforeEach(async () => {
  store = await openTestStore({ home: os.tmpdir(), url: 'sqlite::memory:' });
});
afterEach(async () => {
  await store.close();
});

describe('reasoning tables', () => {
  it('migrate, and keep usage rows with their tokens and cost as numbers', async () => {
    expect(await store.migratePlugin('reasoning', migrations)).toEqual({ applied: ['001_usage', '002_turns'] });
    const db = store.pluginDb('reasoning');
    const recorder = new UsageRecorder(db, { 'claude-x': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } }, createSilentLogger());
    const usage = { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 50, cache_creation_input_tokens: 0 };
    await recorder.record({ at: 1_767_225_600_000, route: 'ask', conversation: 'c1', model: 'claude-x', usage: usage as never, durationMs: 812.4, outcome: 'ok', errorCode: null });
    const [row] = await readUsage(db);
    expect(row).toMatchObject({ at: 1_767_225_600_000, route: 'ask', conversation: 'c1', model: 'claude-x', input_tokens: 1000, output_tokens: 200, cache_read_tokens: 50, duration_ms: 812, outcome: 'ok', error_code: null });
    expect(row!.cost_usd).toBeCloseTo((1000 * 3 + 200 * 15 + 50 * 0.3) / 1e6, 12);
  });

  it('keep a conversation’s turns in order', async () => {
    await store.migratePlugin('reasoning', migrations);
    const history = new ConversationStore(store.pluginDb('reasoning'), { turns: 10, tokens: 100_000 });
    const first = await history.load('c1');
    expect(first).toEqual({ messages: [], lastSeq: 0 });
    await history.append('c1', first.lastSeq, { at: 1_000, route: 'ask', messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi' }] });
    const second = await history.load('c1');
    expect(second.lastSeq).toBe(1);
    expect(second.messages.map((m) => m.content)).toEqual(['hello', 'hi']);
  });
});
