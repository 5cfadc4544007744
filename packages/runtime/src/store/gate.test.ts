import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { StoreGate } from './gate.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('StoreGate', () => {
  it('passes a call through and turns a driver error into a StoreError naming the operation and the database', async () => {
    const gate = new StoreGate('/tmp/x.db');
    expect(await gate.run('kv.get', async () => 42)).toBe(42);
    const failed = gate.run('kv.set', () => Promise.reject(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })));
    await expect(failed).rejects.toBeInstanceOf(StoreError);
    await expect(failed).rejects.toMatchObject({ details: { op: 'kv.set', location: '/tmp/x.db', driverCode: 'SQLITE_IOERR' } });
  });

  it('turns an error thrown before the call returned a promise into a rejection, not a throw', async () => {
    const gate = new StoreGate('/tmp/x.db');
    const call = gate.run('kv.get', () => {
      throw new Error('bad statement');
    });
    await expect(call).rejects.toThrow(/Store operation kv.get failed on \/tmp\/x.db: .*bad statement/);
  });

  it('lets close() wait for every call in flight, settled either way, before releasing', async () => {
    const gate = new StoreGate('/tmp/x.db');
    const a = deferred<number>();
    const b = deferred<number>();
    const first = gate.run('a', () => a.promise);
    const second = gate.run('b', () => b.promise).catch((err: unknown) => err);
    const events: string[] = [];
    const closed = gate.close(async () => {
      events.push('released');
    });
    expect(gate.closed).toBe(true);
    await expect(gate.run('late', async () => 1)).rejects.toThrow(/is closed: late was called after close\(\)/);
    a.resolve(1);
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    b.reject(new Error('gone'));
    await closed;
    expect(events).toEqual(['released']);
    expect(await second).toBeInstanceOf(StoreError);
    expect(gate.close(async () => void events.push('again'))).toBe(closed);
  });

  it('releases at once when nothing is in flight', async () => {
    const gate = new StoreGate('/tmp/x.db');
    await gate.run('a', async () => 1);
    let released = false;
    await gate.close(async () => {
      released = true;
    });
    expect(released).toBe(true);
  });
});
