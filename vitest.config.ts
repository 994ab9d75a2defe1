import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-postgres.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that talk to PostgreSQL share one server; files run in parallel on separate databases.
    pool: 'forks',
  },
});
