import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests talk to real sockets on a shared, noisy machine: generous limits, never timing asserts.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
