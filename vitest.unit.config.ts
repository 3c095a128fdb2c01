import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the tests that need no sandbox, no child process and no network (pure
 * logic, in-process commands up to their plan, the import map), in seconds. `npm test` runs
 * these and all the others. A new test file of that kind belongs in this list.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/core/**/*.test.ts',
      'test/output/**/*.test.ts',
      'test/auth/host.test.ts',
      'test/auth/jwt.test.ts',
      'test/auth/prompt.test.ts',
      'test/auth/store.test.ts',
      'test/logs/checkpoint.test.ts',
      'test/logs/lock.test.ts',
      'test/logs/log-row-dates.test.ts',
      'test/logs/log-window.test.ts',
      'test/listen/backfill.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // In-process tests only: threads start faster than the forks the full suite needs, and
    // sharing one module graph across files saves loading it 25 times.
    pool: 'threads',
    isolate: false,
  },
});
