// The plugin-migration check's fingerprint of every table, read on SQLite in one statement
// (sqliteMigrationDialect.tableShapes, decision 0143), is the one the portable introspector gives:
// the same tables and views, the same columns, and a change to a column shows in both.
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { columnsFingerprint } from './migrations.js';
import type { StoreSchema } from './schema.js';
import { sqliteMigrationDialect } from './sqlite.js';

let db: Kysely<StoreSchema>;
beforeEach(() => {
  db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
});
afterEach(() => db.destroy());

async function introspected(): Promise<Map<string, string>> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  return new Map(tables.map((t) => [t.name, columnsFingerprint(t.columns)]));
}

describe('sqliteMigrationDialect.tableShapes', () => {
  it('gives the introspector’s fingerprints, views and AUTOINCREMENT tables included, sqlite_* left out', async () => {
    await sql`create table a_rows (id integer primary key autoincrement, name text not null, note text default 'x', n bigint)`.execute(db);
    await sql`create table b_pairs (k text not null, v blob, primary key (k))`.execute(db);
    await sql`create view a_names as select name, note from a_rows`.execute(db);
    await sql`insert into a_rows (name) values ('one')`.execute(db); // creates sqlite_sequence
    const shapes = await sqliteMigrationDialect.tableShapes!(db);
    expect([...shapes.keys()]).toEqual(['a_names', 'a_rows', 'b_pairs']);
    expect(shapes).toEqual(await introspected());
  });

  it('changes when a column is added, and only for that table', async () => {
    await sql`create table a_rows (id integer primary key, name text not null)`.execute(db);
    await sql`create table b_pairs (k text not null)`.execute(db);
    const before = await sqliteMigrationDialect.tableShapes!(db);
    await sql`alter table b_pairs add column v text default 'y'`.execute(db);
    const after = await sqliteMigrationDialect.tableShapes!(db);
    expect(after.get('a_rows')).toBe(before.get('a_rows'));
    expect(after.get('b_pairs')).not.toBe(before.get('b_pairs'));
    expect(after).toEqual(await introspected());
  });
});
