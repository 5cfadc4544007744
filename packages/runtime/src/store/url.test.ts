import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStoreUrl, storeUrlProblem } from './url.js';

const home = path.resolve('/srv/kora-home');

describe('resolveStoreUrl', () => {
  it.each([
    [undefined, path.join(home, 'kora.db')],
    ['', path.join(home, 'kora.db')],
    ['  ', path.join(home, 'kora.db')],
    ['sqlite:agent.db', path.join(home, 'agent.db')],
    ['sqlite:../shared/agent.db', path.resolve(home, '../shared/agent.db')],
    ['sqlite:/var/lib/kora/kora.db', '/var/lib/kora/kora.db'],
    ['sqlite:///var/lib/kora/kora.db', '/var/lib/kora/kora.db'],
  ])('maps %j to the file %s', (url, file) => {
    expect(resolveStoreUrl(url, home)).toEqual({ kind: 'sqlite', file, location: file });
  });

  it('maps sqlite::memory: to an in-memory database', () => {
    expect(resolveStoreUrl('sqlite::memory:', home)).toEqual({ kind: 'sqlite', file: null, location: 'sqlite::memory:' });
  });

  it.each(['sqlite:', 'sqlite://host/kora.db', 'file:/tmp/kora.db', 'kora.db', 'mongodb://db'])('rejects %j', (url) => {
    expect(() => resolveStoreUrl(url, home)).toThrow(/Accepted forms/);
  });

  it.each([
    ['postgres://kora:pw@db/kora', { host: 'db', port: 5432, database: 'kora', location: 'postgres://kora:[redacted]@db/kora' }],
    ['postgresql://db:6543/agents?sslmode=require', { host: 'db', port: 6543, database: 'agents', location: 'postgresql://db:6543/agents?sslmode=require' }],
    ['POSTGRES://kora@10.0.0.5', { host: '10.0.0.5', port: 5432, database: 'kora', location: 'POSTGRES://kora@10.0.0.5' }],
    ['postgres://[::1]:5433/k', { host: '::1', port: 5433, database: 'k', location: 'postgres://[::1]:5433/k' }],
  ])('maps %j to a PostgreSQL server, its password kept for the driver only', (url, server) => {
    expect(resolveStoreUrl(url, home)).toEqual({ kind: 'postgres', url, ...server });
  });

  it('says what is wrong with a URL without needing a home, hiding its password', () => {
    expect(storeUrlProblem('mongodb://kora:s3cret@db/kora')).toBe(
      '"mongodb://kora:[redacted]@db/kora" is not a store URL Kora understands. Accepted forms: no store.url (SQLite at $KORA_HOME/kora.db), "sqlite::memory:", "sqlite:/absolute/path.db", "sqlite:relative/path.db" (relative to $KORA_HOME), "postgres://user:password@host:5432/db" (several gateways sharing one PostgreSQL)',
    );
  });

  it.each([undefined, '', 'sqlite:agent.db', 'sqlite::memory:', 'sqlite:///abs.db', 'postgres://db/kora'])('finds nothing wrong with %j', (url) => {
    expect(storeUrlProblem(url)).toBeUndefined();
  });
});
