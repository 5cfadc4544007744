import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxItem } from '../daemons/types.js';
import { createSilentLogger } from '../log/logger.js';
import { Attribution } from '../plugins/attribution.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ManualClock, flushMicrotasks } from '../time/clock.js';
import { ConsumerRunner } from './consumer-runner.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const open: { store: Store; runner: ConsumerRunner; home: string }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.runner.stop(0);
    await o.store.close();
    rmSync(o.home, { recursive: true, force: true });
  }
});

async function world(options: { leaseMs?: number } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'kora-consumers-'));
  const clock = new ManualClock(T0);
  const store = await openStore({ home, clock });
  const attribution = new Attribution();
  const runner = new ConsumerRunner({ inbox: store.inbox, clock, logger: createSilentLogger(), owner: 'gw-1', attribution, pollEveryMs: 1000, ...options });
  open.push({ store, runner, home });
  return { clock, store, runner, attribution };
}

describe('the consumer runner', () => {
  it('delivers enqueued items to the consumer of their topic, in order, and marks them done', async () => {
    const { clock, store, runner } = await world();
    const seen: string[] = [];
    await store.inbox.enqueue({ topic: 'test.events', key: 'a', payload: { n: 1 } });
    await store.inbox.enqueue({ topic: 'test.events', key: 'b', payload: { n: 2 } });
    runner.add('d1', 'p1', [{ topic: 'test.events', handle: (item: InboxItem) => void seen.push(item.key) }]);
    await clock.advance(10);
    await flushMicrotasks();
    expect(seen).toEqual(['a', 'b']);
    expect((await store.inbox.stats())['test.events'] ?? { pending: 0, inFlight: 0, dead: 0 }).toMatchObject({ pending: 0, inFlight: 0, dead: 0 });
  });

  it('retries a failing item with backoff, keeps every error, and dead-letters it after its attempts', async () => {
    const { clock, store, runner } = await world();
    let calls = 0;
    await store.inbox.enqueue({ topic: 'test.flaky', key: 'x', payload: {} });
    runner.add('d1', 'p1', [{ topic: 'test.flaky', attempts: 3, backoff: '1s', handle: () => Promise.reject(new Error(`upstream 500 #${++calls}`)) }]);
    await clock.advance(10);
    expect(calls).toBe(1);
    await clock.advance(1000); // first retry after 1 s
    expect(calls).toBe(2);
    await clock.advance(1500);
    expect(calls).toBe(2); // the second retry waits 2 s
    await clock.advance(1000);
    expect(calls).toBe(3);
    const [dead] = await store.inbox.dead();
    expect(dead).toMatchObject({ key: 'x', attempts: 3 });
    expect(dead?.errors.map((e) => e.error)).toEqual(['upstream 500 #1', 'upstream 500 #2', 'upstream 500 #3']);
  });

  it('runs a handler attributed to its daemon, and aborts it when its lease ends', async () => {
    const { clock, store, runner, attribution } = await world({ leaseMs: 5000 });
    let owner: unknown;
    let abortedWith: unknown;
    await store.inbox.enqueue({ topic: 'test.slow', key: 's', payload: {} });
    runner.add('slowd', 'slowp', [
      {
        topic: 'test.slow',
        attempts: 1,
        handle: (_item, { signal }) =>
          new Promise<void>(() => {
            owner = attribution.current();
            signal.addEventListener('abort', () => (abortedWith = signal.reason));
          }),
      },
    ]);
    await clock.advance(10);
    expect(owner).toEqual({ pluginId: 'slowp', daemon: 'slowd' });
    await clock.advance(5000);
    expect(abortedWith).toMatchObject({ code: 'KORA_ERR_CONSUMER_TIMEOUT' });
    expect((await store.inbox.dead())[0]?.errors[0]?.error).toMatch(/did not finish item \d+ within its lease/);
  });

  it('stops claiming for a removed daemon, and refuses a second consumer of a topic', async () => {
    const { clock, store, runner } = await world();
    const seen: string[] = [];
    runner.add('d1', 'p1', [{ topic: 'test.events', handle: (item) => void seen.push(item.key) }]);
    expect(() => runner.add('d2', 'p2', [{ topic: 'test.events', handle: () => {} }])).toThrow(expect.objectContaining({ code: 'KORA_ERR_CONSUMER_DUPLICATE' }) as Error);
    await runner.remove('d1', 0);
    await store.inbox.enqueue({ topic: 'test.events', key: 'late', payload: {} });
    runner.wake();
    await clock.advance(5000);
    expect(seen).toEqual([]);
    expect((await store.inbox.stats())['test.events']).toMatchObject({ pending: 1 });
  });
});
