import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { ManualClock } from '../time/clock.js';
import type { Store } from './index.js';
import { openTestStore, rawRows } from './test-stores.test-helper.js';

let store: Store;
beforeEach(async () => {
  store = await openTestStore({ home: os.tmpdir(), url: 'sqlite::memory:' });
});
afterEach(async () => {
  await store.close();
});

describe('kv values', () => {
  it('round-trips JSON values and returns undefined for a missing key', async () => {
    const kv = store.kv('kora');
    const values = { obj: { a: [1, 'two', { three: true }] }, num: 4.5, str: 'x', nil: null, flag: false, list: [] };
    for (const [k, v] of Object.entries(values)) await kv.set(k, v);
    for (const [k, v] of Object.entries(values)) expect(await kv.get(k)).toEqual(v);
    expect(await kv.get('missing')).toBeUndefined();
  });

  it('overwrites a value and stamps the time of the write', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-kv-'));
    const clock = new ManualClock(1_000);
    const fileStore = await openTestStore({ home, clock });
    try {
      const kv = fileStore.kv('kora');
      await kv.set('cursor', 1);
      clock.jump(500);
      await kv.set('cursor', 2);
      expect(await kv.get('cursor')).toBe(2);
      expect(await rawRows(fileStore, 'select updated_at from kora_kv')).toEqual([{ updated_at: 1_500 }]);
    } finally {
      await fileStore.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('deletes, saying whether there was anything to delete', async () => {
    const kv = store.kv('kora');
    await kv.set('k', 1);
    expect(await kv.delete('k')).toBe(true);
    expect(await kv.delete('k')).toBe(false);
    expect(await kv.get('k')).toBeUndefined();
  });

  it('treats setting undefined as a delete', async () => {
    const kv = store.kv('kora');
    await kv.set('k', 1);
    await kv.set('k', undefined);
    expect(await kv.keys()).toEqual([]);
  });

  it('rejects a value with no JSON form', async () => {
    const kv = store.kv('kora');
    await expect(kv.set('f', () => 1)).rejects.toBeInstanceOf(StoreError);
    await expect(kv.set('b', { n: 1n })).rejects.toThrow(/not JSON-serialisable/);
    expect(await kv.keys()).toEqual([]);
  });
});

describe('kv namespaces', () => {
  it('keeps two namespaces apart: same key, separate values, separate keys and deletes', async () => {
    const slack = store.kv('slack');
    const email = store.kv('email');
    await slack.set('cursor', 'slack-value');
    await email.set('cursor', 'email-value');
    await email.set('only-email', 1);

    expect(await slack.get('cursor')).toBe('slack-value');
    expect(await email.get('cursor')).toBe('email-value');
    expect(await slack.keys()).toEqual(['cursor']);
    expect(await slack.get('only-email')).toBeUndefined();

    expect(await slack.delete('only-email')).toBe(false);
    expect(await slack.delete('cursor')).toBe(true);
    expect(await email.get('cursor')).toBe('email-value');
  });

  it('refuses an empty namespace', () => {
    expect(() => store.kv('')).toThrow(StoreError);
  });
});

describe('kv.keys', () => {
  it('lists all keys, sorted, without a prefix', async () => {
    const kv = store.kv('kora');
    for (const k of ['b', 'a', 'c']) await kv.set(k, 1);
    expect(await kv.keys()).toEqual(['a', 'b', 'c']);
  });

  it('matches a prefix literally: % and _ are not wildcards', async () => {
    const kv = store.kv('kora');
    for (const k of ['100%_done', '100%_x', '100abc', '1000', '100_', '100x_', 'other']) await kv.set(k, 1);
    expect(await kv.keys('100%')).toEqual(['100%_done', '100%_x']);
    expect(await kv.keys('100_')).toEqual(['100_']);
    expect(await kv.keys('%')).toEqual([]);
    expect(await kv.keys('_')).toEqual([]);
  });

  it('matches a prefix case-sensitively, and counts non-ASCII characters right', async () => {
    const kv = store.kv('kora');
    for (const k of ['Alert:1', 'alert:2', 'élan:1', 'élan', 'e', '🦊:1', '🦊x']) await kv.set(k, 1);
    expect(await kv.keys('alert:')).toEqual(['alert:2']);
    expect(await kv.keys('élan:')).toEqual(['élan:1']);
    expect(await kv.keys('🦊:')).toEqual(['🦊:1']);
  });
});
