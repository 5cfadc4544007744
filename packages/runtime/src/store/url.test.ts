import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStoreUrl } from './url.js';

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
});
