/**
 * prisma-tiered-cache: what an application writes. The extension and its options, the backends and the bus, keys,
 * tags and patterns, serializers, errors, the change feed. Building a backend of your own: `prisma-tiered-cache/cache`
 * and `prisma-tiered-cache/test-suite`.
 */
export { type CacheApi, type CacheArgs, type CacheHealthOf, cacheExtension, type WarmRead } from './prisma/extension.js'
export type { CachedPrismaPromise } from './prisma/prisma-promise.js'
export type { CacheOption } from './prisma/cache-option.js'
export type { CacheExtensionOptions, ModelCacheOptions } from './prisma/options.js'
export type { CacheEvent, CacheInfo, ModelStats, PrismaCacheStats } from './prisma/prisma-cache.js'
export { CACHE_ENV, cacheOptionsFromEnv } from './prisma/env-options.js'
export { registerPrismaTypes } from './prisma/serializer.js'
export type { ChangeFeed, ChangeFeedStatus, ChangeFeedTarget } from './prisma/change-feed/change-feed.js'
export { postgresChangeFeed, type PostgresChangeFeedOptions } from './prisma/change-feed/postgres-change-feed.js'
export { ChangeFeedSetupError } from './prisma/change-feed/postgres-setup.js'
export type { CacheBackend, CacheEntry, CloseOptions, GetOrSetOptions, SetOptions } from './cache/backend.js'
export { MemoryCache, type MemoryCacheOptions, type MemoryValueMode } from './cache/memory-cache.js'
export { RedisCache, type RedisCacheOptions, type RedisHealth } from './cache/redis-cache.js'
export type { RedisClientLike } from './cache/redis/client.js'
export { TieredCache } from './cache/tiered-cache.js'
export type { TieredCacheOptions } from './cache/tiered-options.js'
export type { HealthStatus, TieredHealth } from './cache/tiered-status.js'
export type { BusStats } from './cache/coherence/bus-link.js'
export type { TieredCacheEvent } from './cache/events.js'
export { NoopCache } from './cache/noop-cache.js'
export { RedisBus, type RedisBusOptions } from './bus/invalidation-bus.js'
export type { InvalidationBus } from './cache/coherence/bus-port.js'
export { CacheKey, type KeyLike } from './cache/key.js'
export { EntityTag, type TagLike } from './cache/tag.js'
export { KeyPattern } from './cache/pattern.js'
export type { CacheStats, LatencySummary } from './cache/stats.js'
export { compressingSerializer } from './cache/compression.js'
export {
  defaultSerializer,
  type MsgpackClass,
  type MsgpackSerializer,
  msgpackSerializer,
} from './cache/msgpack-serializer.js'
export type { Serializer } from './cache/serializer.js'
export {
  createSuperjsonSerializer,
  type SuperjsonSerializer,
  superjsonSerializer,
} from './cache/superjson-serializer.js'
export { CacheTierError, CacheTimeoutError, CacheUnavailableError } from './cache/errors.js'
export { CircuitOpenError, type CircuitState } from './cache/circuit-breaker.js'
