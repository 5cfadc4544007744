// One PostgreSQL database per test run (vitest globalSetup): created on the server that runs on
// this machine and CI's (127.0.0.1:5432, user postgres, trust auth; KORA_TEST_POSTGRES_URL
// names another), handed to the tests through `inject('postgresUrl')`, dropped after the run.
// Each store a test opens gets a schema of its own in it (test-stores.test-helper.ts), so test
// files running in parallel never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's database; every store test opens its PostgreSQL stores in a schema of it. */
    postgresUrl: string;
    /** The database the store tests of this project run on (vitest.config.ts). */
    storeKind: 'sqlite' | 'postgres';
  }
}

const SERVER = process.env.KORA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `kora_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (err) {
    const where = new URL(SERVER);
    throw new Error(
      `The store tests run against PostgreSQL too, and none answers at ${where.hostname}:${where.port || 5432} (${(err as Error).message}). ` +
        'Start it (the CI and dev machines run one on 127.0.0.1:5432 with trust auth for user postgres), or set KORA_TEST_POSTGRES_URL.',
    );
  }
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  project.provide('postgresUrl', url.toString());
  return async () => {
    const end = new pg.Client({ connectionString: SERVER });
    await end.connect();
    // FORCE: a test that failed half-way may have left a connection open.
    await end.query(`drop database if exists ${name} with (force)`);
    await end.end();
  };
}
