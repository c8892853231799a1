/** The types of Accelerate's surface (src/prisma/accelerate.ts), apart so the shared front end can name them. */
import type { CachedPrismaPromise } from './prisma-promise.js'

/** Accelerate's per-query argument (the same type as `@prisma/extension-accelerate`'s `PrismaCacheStrategy`). */
export interface PrismaCacheStrategy {
  readonly cacheStrategy?: {
    /**
     * Seconds after `ttl` during which the cached result is served at once (`cacheStatus: 'swr'`) while one
     * background refresh runs.
     */
    readonly swr?: number
    /** Seconds the cached result is fresh (`cacheStatus: 'ttl'`): no query runs. */
    readonly ttl?: number
    /**
     * Names to invalidate the result by with `prisma.$accelerate.invalidate({ tags })`: at most 5, each 1 to 64
     * letters, digits or underscores (Accelerate's rules). Checked before the query runs.
     */
    readonly tags?: ReadonlyArray<string>
  }
}

/** `withAccelerateInfo()`'s `info`: Accelerate's AccelerateInfo, with values this process can honestly give. */
export interface AccelerateInfo {
  /**
   * `ttl`: a fresh hit (L1 or L2), no query ran; `swr`: a stale hit within the swr window, one refresh runs in the
   * background; `miss`: the query ran (or another caller's identical query answered it); `none`: not cached (no
   * strategy with a ttl or swr, inside an interactive transaction).
   */
  cacheStatus: 'ttl' | 'swr' | 'miss' | 'none'
  /** When the result was read from the database: now for a miss or none, the fill time for a hit. */
  lastModified: Date
  /** Always `'local'`: the cache is this process and your Redis, not a data center. */
  region: string
  /** A random UUID per read, generated here (it identifies the read in your logs; no server knows it). */
  requestId: string
  /** The read's cache key (model, operation and a digest of its arguments), the same for the same query. */
  signature: string
}

/** What Accelerate's `$accelerate.invalidate` takes. */
export type AccelerateInvalidateInput = {
  /** Tags given in `cacheStrategy.tags`: at most 5 per call. */
  tags: ReadonlyArray<string>
}

/** `prisma.$accelerate`. */
export interface AccelerateApi {
  /** Invalidates every cached result carrying one of these tags, on every instance (L2 and the bus). */
  invalidate(input: AccelerateInvalidateInput): Promise<{ requestId: string }>
  /** Invalidates every cached result of this client's schema, on every instance. */
  invalidateAll(): Promise<{ requestId: string }>
}

/**
 * A read's promise: Prisma's, with `withAccelerateInfo()` (and this library's `withCacheInfo()`, which tells the
 * tier). `withAccelerateInfo()` answers a plain Promise: it cannot be passed to a batch `$transaction([...])`.
 */
export type AcceleratePromise<R> = CachedPrismaPromise<R> & {
  withAccelerateInfo(): Promise<{ data: R; info: AccelerateInfo }>
}
