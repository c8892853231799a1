/**
 * Where a tier reads the time, in milliseconds: `performance` by default. Tests pass a clock they move, so TTL
 * and retention tests do not sleep (the same shape as lru-cache's `perf` option, which MemoryCache hands it to).
 */
export interface Clock {
  now(): number
}
