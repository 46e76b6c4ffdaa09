import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['driver/test/**/*.test.ts', 'hcloud-mock/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    pool: 'forks',
    // The machine has 2 cores; tests spawn plugin processes and Go programs of their own.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
