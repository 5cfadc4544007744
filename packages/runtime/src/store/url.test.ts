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

  it.each(['postgres://kora:pw@db/kora', 'postgresql://db/kora', 'POSTGRES://db/kora'])('rejects %j as not built yet', (url) => {
    expect(() => resolveStoreUrl(url, home)).toThrow(/PostgreSQL support is not built yet/);
  });

  it('says what is wrong with a URL without needing a home, hiding its password', () => {
    expect(storeUrlProblem('mongodb://kora:s3cret@db/kora')).toBe(
      '"mongodb://kora:[redacted]@db/kora" is not a store URL Kora understands. Accepted forms: no store.url (SQLite at $KORA_HOME/kora.db), "sqlite::memory:", "sqlite:/absolute/path.db", "sqlite:relative/path.db" (relative to $KORA_HOME), "postgres://user:password@host/db" (not built yet)',
    );
  });

  it.each([undefined, '', 'sqlite:agent.db', 'sqlite::memory:', 'sqlite:///abs.db', 'postgres://db/kora'])('finds nothing wrong with %j', (url) => {
    expect(storeUrlProblem(url)).toBeUndefined();
  });
});
