import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { KoraError, StoreError } from '../errors.js';
import { openStore, type Store } from './index.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-open-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

describe('openStore', () => {
  it('defaults to SQLite at <home>/kora.db, creating the home folder', async () => {
    const nested = path.join(home, 'a', 'b');
    const store = await openStore({ home: nested });
    expect(store.kind).toBe('sqlite');
    expect(store.location).toBe(path.join(nested, 'kora.db'));
    expect(fs.existsSync(store.location)).toBe(true);
    await store.close();
  });

  it('opens a file database in WAL mode, readable by its owner only', async () => {
    const store = await openStore({ home });
    await store.kv('kora').set('k', 1);
    const db = new Database(store.location, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(fs.statSync(store.location).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('resolves a relative sqlite: path against the home and takes an absolute one as is', async () => {
    const relative = await openStore({ home, url: 'sqlite:data/agent.db' });
    expect(relative.location).toBe(path.join(home, 'data', 'agent.db'));
    expect(fs.existsSync(relative.location)).toBe(true);
    await relative.close();

    const absolutePath = path.join(home, 'elsewhere.db');
    const absolute = await openStore({ home: path.join(home, 'unused'), url: `sqlite:${absolutePath}` });
    expect(absolute.location).toBe(absolutePath);
    await absolute.close();
  });

  it('keeps sqlite::memory: in memory: nothing is written to the home', async () => {
    const store = await openStore({ home, url: 'sqlite::memory:' });
    await store.kv('kora').set('k', 1);
    expect(await store.kv('kora').get('k')).toBe(1);
    expect(store.location).toBe('sqlite::memory:');
    await store.close();
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('names host, port and database of a PostgreSQL server it cannot reach, never the password', async () => {
    // A port nothing listens on: taken, then freed.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const err = (await openStore({ home, url: `postgres://kora:hunter2@127.0.0.1:${port}/agents` }).catch((e: unknown) => e)) as KoraError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('KORA_ERR_STORE_UNREACHABLE');
    expect(err.message).toContain(`PostgreSQL at host 127.0.0.1, port ${port}, database agents`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.details).toMatchObject({ host: '127.0.0.1', port, database: 'agents' });
    expect(JSON.stringify(err.details) + err.message).not.toContain('hunter2');
  });

  it('names the database PostgreSQL does not have, never the password', async () => {
    const base = new URL(inject('postgresUrl'));
    base.password = 'hunter2';
    base.pathname = '/kora_no_such_database';
    const err = (await openStore({ home, url: base.toString() }).catch((e: unknown) => e)) as KoraError;
    expect(err.code).toBe('KORA_ERR_STORE_UNREACHABLE');
    expect(err.message).toContain(`port ${base.port || 5432}, database kora_no_such_database`);
    expect(err.message).toMatch(/does not exist/);
    expect(JSON.stringify(err.details) + err.message).not.toContain('hunter2');
  });

  it('names an unknown URL and the forms it accepts', async () => {
    await expect(openStore({ home, url: 'mysql://db/kora' })).rejects.toThrow(/"mysql:\/\/db\/kora".*Accepted forms.*sqlite::memory:/);
  });

  it('reports a file it cannot open as a StoreError with the path', async () => {
    fs.mkdirSync(path.join(home, 'kora.db'));
    await expect(openStore({ home })).rejects.toThrow(new RegExp(`Cannot open the SQLite store at ${path.join(home, 'kora.db')}`));
  });
});

describe('store.close', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore({ home });
  });

  it('can be called twice', async () => {
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('makes every later call reject with a StoreError saying the store is closed', async () => {
    await store.close();
    const calls = [
      store.ledger.claim({ task: 't', daemon: 'd', slot: 1, startedAt: 1, owner: 'o' }),
      store.ledger.recent(),
      store.audit.append({ at: 1, plugin: 'p', seam: 's', details: {} }),
      store.audit.list(),
      store.kv('kora').get('k'),
      store.kv('kora').set('k', 1),
    ];
    for (const call of calls) {
      await expect(call).rejects.toBeInstanceOf(StoreError);
      await expect(call).rejects.toThrow(/is closed/);
    }
  });

  it('lets calls already made finish before the database closes', async () => {
    const claimed = store.ledger.claim({ task: 't', daemon: 'd', slot: 1, startedAt: 1, owner: 'o' });
    const written = store.kv('kora').set('k', 'v');
    await store.close();
    await expect(claimed).resolves.toBe(true);
    await expect(written).resolves.toBeUndefined();

    const reopened = await openStore({ home });
    expect(await reopened.kv('kora').get('k')).toBe('v');
    await reopened.close();
  });
});
