import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { REDACTED } from '../log/redact.js';
import type { Store } from './index.js';
import { openTestStore, rawRows } from './test-stores.test-helper.js';

let home: string;
let store: Store;
beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-audit-'));
  store = await openTestStore({ home });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function rawDetails(): Promise<string[]> {
  return (await rawRows<{ details: string }>(store, 'select details from kora_audit order by id')).map((row) => row.details);
}

describe('audit.append', () => {
  it('redacts secret-keyed values at any depth before they reach the database', async () => {
    await store.audit.append({
      at: 1,
      plugin: 'slack',
      seam: 'tool.call',
      details: { user: 'ada', token: 'xoxb-SECRET-1', request: { headers: { authorization: 'Bearer SECRET-2' }, body: [{ password: 'SECRET-3' }] } },
    });

    const [raw] = await rawDetails();
    expect(raw).toBeDefined();
    expect(raw).not.toMatch(/SECRET/);
    expect(JSON.parse(raw ?? '')).toEqual({
      user: 'ada',
      token: REDACTED,
      request: { headers: { authorization: REDACTED }, body: [{ password: REDACTED }] },
    });
  });

  it('returns increasing ids', async () => {
    const first = await store.audit.append({ at: 1, plugin: 'p', seam: 's', details: {} });
    const second = await store.audit.append({ at: 2, plugin: 'p', seam: 's', details: {} });
    expect(second).toBeGreaterThan(first);
  });

  it('keeps the message of an Error in details', async () => {
    await store.audit.append({ at: 1, plugin: 'p', seam: 's', details: { error: new Error('disk full') } });
    const [entry] = await store.audit.list();
    expect(entry?.details).toEqual({ error: { name: 'Error', message: 'disk full' } });
  });

  it('rejects details that cannot be written as JSON', async () => {
    await expect(store.audit.append({ at: 1, plugin: 'p', seam: 's', details: { n: 1n } })).rejects.toBeInstanceOf(StoreError);
    expect(await rawDetails()).toEqual([]);
  });
});

describe('audit.list', () => {
  beforeEach(async () => {
    await store.audit.append({ at: 10, plugin: 'kora', seam: 'tool.call', details: { n: 1 } });
    await store.audit.append({ at: 20, plugin: 'probes', seam: 'probe.wake_requested', details: { n: 2 } });
    await store.audit.append({ at: 30, plugin: 'kora', seam: 'llm.call', details: { n: 3 } });
    await store.audit.append({ at: 40, plugin: 'kora', seam: 'tool.call', details: { n: 4 } });
  });

  const ns = (entries: { details: Record<string, unknown> }[]) => entries.map((e) => e.details.n);

  it('lists oldest first with ids, times and parsed details', async () => {
    const entries = await store.audit.list();
    expect(ns(entries)).toEqual([1, 2, 3, 4]);
    expect(entries[1]).toEqual({ id: expect.any(Number), at: 20, plugin: 'probes', seam: 'probe.wake_requested', details: { n: 2 } });
  });

  it('filters by seam and by plugin', async () => {
    expect(ns(await store.audit.list({ seam: 'tool.call' }))).toEqual([1, 4]);
    expect(ns(await store.audit.list({ plugin: 'kora' }))).toEqual([1, 3, 4]);
    expect(ns(await store.audit.list({ plugin: 'kora', seam: 'llm.call' }))).toEqual([3]);
  });

  it('tails: each read after the last id seen returns only what was appended since', async () => {
    const firstTwo = await store.audit.list({ limit: 2 });
    expect(ns(firstTwo)).toEqual([1, 2]);
    const rest = await store.audit.list({ afterId: firstTwo.at(-1)?.id });
    expect(ns(rest)).toEqual([3, 4]);

    await store.audit.append({ at: 50, plugin: 'kora', seam: 'tool.call', details: { n: 5 } });
    expect(ns(await store.audit.list({ afterId: rest.at(-1)?.id }))).toEqual([5]);
    expect(ns(await store.audit.list({ seam: 'tool.call', afterId: rest.at(-1)?.id }))).toEqual([5]);
  });

  it('prunes entries older than the cut-off and keeps the rest, tails included', async () => {
    expect(await store.audit.prune({ before: 30 })).toBe(2);
    expect(ns(await store.audit.list())).toEqual([3, 4]);
    expect(await store.audit.prune({ before: 30 })).toBe(0);
    await expect(store.audit.prune({ before: Number.NaN })).rejects.toThrow(/epoch ms/);
  });
});
