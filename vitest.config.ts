import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes (not worker threads): each test file's servers belong to
    // one Node process whose exit hook and parent-death signal clean them up.
    pool: 'forks',
    // Real services: starting a Redis Cluster or PostgreSQL takes seconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Type checking runs separately (`tsc --noEmit` in `npm test`).
    typecheck: { enabled: false },
  },
});
