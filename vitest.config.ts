import { defineConfig } from 'vitest/config';

/**
 * Three tiers a maintainer can run alone (npm run test:unit, test:sandbox, test:e2e):
 * unit is pure and in-process, sandbox is the stand-ins' own contract tests (in
 * packages/sandbox), e2e runs operator processes, so it builds dist/ first.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'sandbox',
          include: ['packages/sandbox/test/**/*.test.ts'],
          exclude: ['packages/sandbox/test/cli/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // The sandbox package's commands (demo, sandbox) run the built operator too.
          include: ['test/e2e/**/*.test.ts', 'packages/sandbox/test/cli/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/build-once.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
