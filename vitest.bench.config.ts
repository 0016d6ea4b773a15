import { defineConfig } from 'vitest/config';

/** Benchmarks print figures (npm run bench) and are not part of npm test. */
export default defineConfig({
  test: {
    include: ['test/bench/**/*.bench.ts'],
    testTimeout: 120_000,
  },
});
