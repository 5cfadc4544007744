import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretScrubber } from '../log/scrubber.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { scrubbedStore } from './scrubbed-store.js';

const SECRET = 'sk-test-9f8e7d6c5b4a';
let store: Store | undefined;
let home: string | undefined;
afterEach(async () => {
  await store?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the store the gateway hands out', () => {
  it('scrubs secrets from ledger errors and audit rows on their way in, and leaves the rest of the store reachable', async () => {
    home = mkdtempSync(join(tmpdir(), 'kora-scrubbed-'));
    store = await openStore({ url: 'sqlite::memory:', home });
    const scrubbed = scrubbedStore(store, createSecretScrubber({ env: { KORA_TEST_API_KEY: SECRET } }));
    await scrubbed.ledger.claim({ task: 't', daemon: 'd', slot: 0, startedAt: 0, owner: 'me' });
    await scrubbed.ledger.complete('t', 0, { status: 'failed', finishedAt: 1, durationMs: 1, error: `upstream said no to ${SECRET}` });
    await scrubbed.ledger.note({ task: 't', daemon: 'd', slot: 60_000, status: 'missed', startedAt: null, finishedAt: null, durationMs: null, error: `missed with ${SECRET}`, owner: 'me' });
    await scrubbed.audit.append({ at: 0, plugin: 'p', seam: 's', details: { note: `called with ${SECRET}` } });
    const text = JSON.stringify([await store.ledger.recent(), await store.audit.list()]);
    expect(text).not.toContain(SECRET);
    expect(text).toContain('upstream said no to');
    expect(scrubbed.health()).toEqual({ ok: true });
    expect(scrubbed.ledger.recent).toBe(scrubbed.ledger.recent);
  });
});
