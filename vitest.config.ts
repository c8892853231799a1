import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The package's own names, resolved to the sources (as tsconfig.json's `paths` do for tsc and tsx).
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^prisma-tiered-cache$/, replacement: source('./src/index.ts') },
      { find: /^prisma-tiered-cache\/cache$/, replacement: source('./src/cache/index.ts') },
      { find: /^prisma-tiered-cache\/prometheus$/, replacement: source('./src/metrics/prometheus.ts') },
      { find: /^prisma-tiered-cache\/test-suite$/, replacement: source('./src/test-suite/index.ts') },
    ],
  },
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
})
