import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The shared scenarios (../shared) run in `npm run test:acceptance` (vitest.acceptance.config.ts).
    exclude: ['test/acceptance/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-postgres.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that talk to PostgreSQL share one server; files run in parallel on separate databases.
    pool: 'forks',
  },
});
