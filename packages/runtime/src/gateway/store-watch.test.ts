// The gateway's watch on the store: a check every period while healthy; while unhealthy, checks
// retried with backoff from one second up to the period, back to the period once healthy.
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { Store, StoreHealth } from '../store/types.js';
import { ManualClock } from '../time/clock.js';
import { watchStore } from './store-watch.js';

let store: Store;
afterEach(async () => {
  await store.close();
});

describe('watchStore', () => {
  it('checks every period, and retries an unhealthy store after 1 s, 2 s, 4 s, then every period, until it is healthy again', async () => {
    const clock = new ManualClock(0);
    store = await openStore({ home: os.tmpdir(), url: 'sqlite::memory:', clock });
    const checks: number[] = [];
    let down = false;
    const fault: StoreHealth = { ok: false, code: 'KORA_ERR_STORE_UNREACHABLE', reason: 'PostgreSQL at host db, port 5432, database kora cannot be reached', since: 0 };
    // The real store, its check answering as an outage would.
    const watched = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'check') return async () => (checks.push(clock.now()), down ? fault : target.check());
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const stop = watchStore(watched, clock, 5_000, () => undefined);
    await clock.advance(10_000);
    expect(checks).toEqual([5_000, 10_000]);
    down = true;
    await clock.advance(5_000 + 1_000 + 2_000 + 4_000 + 5_000 + 5_000);
    expect(checks.slice(2)).toEqual([15_000, 16_000, 18_000, 22_000, 27_000, 32_000]);
    down = false;
    await clock.advance(5_000 + 5_000);
    expect(checks.slice(8)).toEqual([37_000, 42_000]);
    stop();
    await clock.advance(60_000);
    expect(checks).toHaveLength(10);
  });
});
