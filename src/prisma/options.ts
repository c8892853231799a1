import type { CacheBackend } from '../cache/backend.js'
import type { ChangeFeed } from './change-feed/change-feed.js'
import type { CacheEvent } from './types.js'
import { seconds } from './cache-option.js'

/**
 * Per-model defaults: `false` never caches the model; an object sets its TTL and whether its reads are cached
 * without a `cache` argument.
 */
export type ModelCacheOptions = false | { ttl?: number; swr?: number; auto?: boolean }

export interface CacheExtensionOptions<Backend extends CacheBackend = CacheBackend> {
  /** Where results go. Default: `new MemoryCache()` (L1 only, in this process). */
  cache?: Backend
  /** Default TTL in seconds for cached reads. Default 60. */
  ttl?: number
  /**
   * Default stale-while-revalidate window in seconds: entries live ttl + swr and are refreshed in the background
   * once past ttl. Default 0.
   */
  swr?: number
  /**
   * Cache reads that pass no `cache` argument. Default false: only reads with a `cache` argument, and reads
   * of models listed in `models` with an object, are cached.
   */
  auto?: boolean
  /** Per-model settings, by model name as in the schema (`User`, not `user`). */
  models?: Record<string, ModelCacheOptions>
  /**
   * The models each view reads, e.g. `{ BookingStatus: ['Booking', 'User'] }`: a view's rows change when those
   * tables do, which no write to the view itself tells. Reads of a view are cached only when it is listed here
   * (then a write to any model listed invalidates them); other views' reads bypass the cache.
   */
  views?: Record<string, readonly string[]>
  /**
   * Coalesce misses across instances: the first instance to miss a key takes a short lock in the shared tier and
   * queries; the others wait (up to waitMs) for its result to appear, then query themselves (the lock holder
   * may have died: the lock expires after lockTtlMs). Default false (misses coalesce within an instance only).
   */
  coalesceAcrossInstances?: boolean | { lockTtlMs?: number; waitMs?: number }
  /**
   * A miss answers the caller as soon as the query returns and L1 holds the result; the write to the shared tier
   * (serialization and the Redis round trip) follows in the background, from a private copy. Default true.
   * false: the read resolves only after L2 has the result too (the cache's own `l2Write` flag decides).
   * Either way the write carries the snapshot taken before the query, so a late write never resurrects data a
   * write invalidated meanwhile. `prisma.$cache.flush()` waits for background writes (tests, shutdown).
   */
  backgroundFill?: boolean
  /**
   * Keeps this client's cached results apart from other clients' on the same backend (tenants, environments,
   * services that must not share entries): prepended to every key. Letters, digits, `_`, `-`, `.`. Tags stay
   * shared, so a write in one namespace still invalidates the others' reads of the same rows (never stale; for
   * fully separate caches give each its own RedisCache `prefix`). Clients that differ in global `omit` or in the
   * extensions beneath the cache are kept apart without it.
   */
  namespace?: string
  /** Called when the cache fails and the query goes on from the database (never for required tiers, which throw). */
  onError?: (error: unknown, context: { model: string | undefined; operation: string }) => void
  /** Called for every cached read (hit or miss, with its source, key, tags and TTL left), invalidation and error. */
  onEvent?: (event: CacheEvent) => void
  /**
   * Invalidate on writes made outside Prisma too, from the database's change stream: `postgresChangeFeed({ ... })`.
   * Started with the extension, stopped by `prisma.$cache.close()`.
   */
  changeFeed?: ChangeFeed
}

export interface ResolvedExtensionOptions {
  cache: CacheBackend | undefined
  ttl: number
  swr: number
  auto: boolean
  models: Map<string, ModelCacheOptions>
  views: Record<string, readonly string[]>
  coalesce: { lockTtlMs: number; waitMs: number } | undefined
  backgroundFill: boolean
  namespace: string | undefined
  onError: CacheExtensionOptions['onError']
  onEvent: CacheExtensionOptions['onEvent']
  changeFeed: ChangeFeed | undefined
  /** Writes invalidate what they changed (true for cacheExtension; withAccelerate's `invalidateOnWrite`). */
  invalidateOnWrite: boolean
}

/**
 * Validates the options given to cacheExtension(), naming the bad field. Model names are checked later, against the
 * schema.
 */
export function resolveExtensionOptions(
  options: CacheExtensionOptions,
  extension = 'cacheExtension',
): ResolvedExtensionOptions {
  const at = (field: string) => `prisma-tiered-cache: ${extension}({ ${field} })`
  if (typeof options !== 'object' || options === null) throw new TypeError(`${at('...')}: options must be an object`)
  const known = new Set(['cache', 'ttl', 'swr', 'auto', 'models', 'views', 'coalesceAcrossInstances', 'backgroundFill'])
  for (const key of ['namespace', 'onError', 'onEvent', 'changeFeed']) known.add(key)
  for (const key of Object.keys(options))
    if (!known.has(key)) throw new TypeError(`${at(key)}: unknown option "${key}" (allowed: ${[...known].join(', ')})`)
  const ttl = seconds(options.ttl ?? 60, at('ttl'))
  const swr = seconds(options.swr ?? 0, at('swr'), true)
  for (const flag of ['auto', 'backgroundFill'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean')
      throw new TypeError(`${at(flag)}: must be a boolean`)
  }
  for (const hook of ['onError', 'onEvent'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function')
      throw new TypeError(`${at(hook)}: must be a function`)
  }
  const cache = options.cache
  if (
    cache !== undefined &&
    (typeof cache !== 'object' ||
      cache === null ||
      typeof cache.get !== 'function' ||
      typeof cache.snapshot !== 'function')
  ) {
    throw new TypeError(`${at('cache')}: must be a CacheBackend (MemoryCache, RedisCache, TieredCache, NoopCache)`)
  }
  const feed = options.changeFeed
  if (
    feed !== undefined &&
    (typeof feed !== 'object' || feed === null || typeof feed.start !== 'function' || typeof feed.close !== 'function')
  ) {
    throw new TypeError(`${at('changeFeed')}: must be a change feed such as postgresChangeFeed({ connectionString })`)
  }
  const models = new Map<string, ModelCacheOptions>()
  for (const [name, value] of Object.entries(options.models ?? {})) {
    if (value === false) models.set(name, false)
    else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value))
        if (!['ttl', 'swr', 'auto'].includes(key))
          throw new TypeError(`${at(`models.${name}.${key}`)}: unknown field (allowed: ttl, swr, auto)`)
      if (value.ttl !== undefined) seconds(value.ttl, at(`models.${name}.ttl`))
      if (value.swr !== undefined) seconds(value.swr, at(`models.${name}.swr`), true)
      if (value.auto !== undefined && typeof value.auto !== 'boolean')
        throw new TypeError(`${at(`models.${name}.auto`)}: must be a boolean`)
      models.set(name, value)
    } else throw new TypeError(`${at(`models.${name}`)}: must be false or { ttl?, swr?, auto? }`)
  }
  const views = options.views ?? {}
  if (typeof views !== 'object' || views === null || Array.isArray(views)) {
    throw new TypeError(`${at('views')}: must be { View: ['Model', ...] }`)
  }
  for (const [view, reads] of Object.entries(views)) {
    const names = Array.isArray(reads) && reads.length > 0 && reads.every((name) => typeof name === 'string')
    if (!names) throw new TypeError(`${at(`views.${view}`)}: must be a non-empty array of model names`)
  }
  const across = options.coalesceAcrossInstances
  let coalesce: ResolvedExtensionOptions['coalesce']
  if (across === true) coalesce = { lockTtlMs: 5000, waitMs: 2000 }
  else if (typeof across === 'object' && across !== null) {
    coalesce = { lockTtlMs: across.lockTtlMs ?? 5000, waitMs: across.waitMs ?? 2000 }
    for (const [field, value] of Object.entries(coalesce)) {
      if (!Number.isFinite(value) || value <= 0)
        throw new RangeError(
          `${at(`coalesceAcrossInstances.${field}`)}: must be a positive number of milliseconds, got ${String(value)}`,
        )
    }
  } else if (across !== undefined && across !== false)
    throw new TypeError(`${at('coalesceAcrossInstances')}: must be a boolean or { lockTtlMs?, waitMs? }`)
  const namespace = options.namespace
  if (namespace !== undefined && (typeof namespace !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(namespace))) {
    throw new TypeError(
      `${at('namespace')}: must be 1 to 64 letters, digits, _, - or ., got ${JSON.stringify(namespace)}`,
    )
  }
  const backgroundFill = options.backgroundFill ?? true
  const auto = options.auto ?? false
  const { onError, onEvent } = options
  return {
    cache,
    ttl,
    swr,
    auto,
    models,
    views,
    coalesce,
    backgroundFill,
    namespace,
    onError,
    onEvent,
    changeFeed: feed,
    invalidateOnWrite: true,
  }
}
