import { defineConfig } from 'vitest/config';

// `npm run test:acceptance`: the shared scenarios in ../shared/scenarios, through the built CLI and
// the eslint command. No database: these run check and eslint only.
export default defineConfig({
  test: {
    include: ['test/acceptance/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
