import { describe, expect, it } from 'vitest';
import { FifoLock } from './watched-dialect.js';

describe('FifoLock (the SQLite connection queue)', () => {
  it('hands the lock to waiters in arrival order, one per release', async () => {
    const lock = new FifoLock();
    const order: number[] = [];
    await lock.acquire();
    const waiters = [1, 2, 3].map((n) => lock.acquire().then(() => order.push(n)));
    expect(lock.waiting).toBe(3);
    lock.release();
    await waiters[0];
    expect(order).toEqual([1]);
    expect(lock.waiting).toBe(2);
    lock.release();
    lock.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    lock.release();
    // Free again: the next acquire does not wait.
    let got = false;
    await lock.acquire().then(() => (got = true));
    expect(got).toBe(true);
  });
});
