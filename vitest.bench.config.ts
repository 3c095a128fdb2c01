import { defineConfig } from 'vitest/config';

// Benchmarks compare two things in one run and print ratios; they never assert a duration.
export default defineConfig({
  test: {
    include: ['test/bench/**/*.bench.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
