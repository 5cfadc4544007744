import { defineConfig } from 'vitest/config';

// The store's tests run twice, on SQLite and on PostgreSQL (DESIGN §7: same behaviour), through
// `storeKind` (packages/runtime/src/store/test-stores.test-helper.ts); everything else once.
const STORE_TESTS = ['packages/runtime/src/store/**/*.test.ts', 'packages/runtime/src/fleet/**/*.test.ts', 'plugins/*/src/**/*.store.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One PostgreSQL database for the run, dropped after it.
    globalSetup: ['test/postgres/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['packages/*/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          provide: { storeKind: 'sqlite' },
        },
      },
      {
        extends: true,
        test: { name: 'postgres', include: STORE_TESTS, provide: { storeKind: 'postgres' } },
      },
    ],
  },
});
