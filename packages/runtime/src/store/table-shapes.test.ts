// The plugin-migration check's fingerprint of every table, read on SQLite in one statement
// (sqliteMigrationDialect.tableShapes, decision 0176): each table's and view's CREATE statement
// as sqlite_master keeps it. The same tables and views as the portable introspector, and a
// change to a table's columns (added, renamed, dropped, the table renamed) changes that table's
// fingerprint, and only its.
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreSchema } from './schema.js';
import { sqliteMigrationDialect } from './sqlite.js';

let db: Kysely<StoreSchema>;
beforeEach(() => {
  db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
});
afterEach(() => db.destroy());

const shapes = () => sqliteMigrationDialect.tableShapes!(db);

describe('sqliteMigrationDialect.tableShapes', () => {
  it('lists the tables and views the introspector does, AUTOINCREMENT tables included, sqlite_* left out', async () => {
    await sql`create table a_rows (id integer primary key autoincrement, name text not null, note text default 'x', n bigint)`.execute(db);
    await sql`create table b_pairs (k text not null, v blob, primary key (k))`.execute(db);
    await sql`create view a_names as select name, note from a_rows`.execute(db);
    await sql`insert into a_rows (name) values ('one')`.execute(db); // creates sqlite_sequence
    const found = await shapes();
    expect([...found.keys()]).toEqual(['a_names', 'a_rows', 'b_pairs']);
    const introspected = await db.introspection.getTables({ withInternalKyselyTables: true });
    expect([...found.keys()]).toEqual(introspected.map((t) => t.name).sort());
  });

  it.each([
    ['a column added', sql`alter table b_pairs add column v text default 'y'`],
    ['a column renamed', sql`alter table b_pairs rename column k to key`],
    ['a column dropped', sql`alter table b_pairs drop column w`],
  ])('changes with %s, and only for that table', async (_what, change) => {
    await sql`create table a_rows (id integer primary key, name text not null)`.execute(db);
    await sql`create table b_pairs (k text not null, w text)`.execute(db);
    const before = await shapes();
    await change.execute(db);
    const after = await shapes();
    expect(after.get('a_rows')).toBe(before.get('a_rows'));
    expect(after.get('b_pairs')).toBeDefined();
    expect(after.get('b_pairs')).not.toBe(before.get('b_pairs'));
  });

  it('shows a table renamed or dropped as gone, and stays the same when only rows change', async () => {
    await sql`create table a_rows (id integer primary key, name text not null)`.execute(db);
    await sql`create table b_pairs (k text not null)`.execute(db);
    const before = await shapes();
    await sql`insert into a_rows (name) values ('one')`.execute(db);
    await sql`create index a_rows_name on a_rows (name)`.execute(db);
    expect(await shapes()).toEqual(before);
    await sql`alter table a_rows rename to c_rows`.execute(db);
    await sql`drop table b_pairs`.execute(db);
    expect([...(await shapes()).keys()]).toEqual(['c_rows']);
  });
});
