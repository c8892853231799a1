/**
 * `prisma-tiered-cache/cache`: the generic cache (knows nothing of Prisma) and what an author of a backend needs:
 * the interface and its capabilities, BaseCache and the checks every backend makes, the staleness rule, keys,
 * tags, patterns, stats, the serializers, the bus. The contract to pass: `prisma-tiered-cache/test-suite`.
 */
// The backend contract, whole: its interfaces, capabilities, NO_LOCK and isNumbered (nothing in backend.ts is internal).
export * from './backend.js'
export { BaseCache, validateSetOptions, validateTtl } from './base-cache.js'
export type { Clock } from './clock.js'
export { cloneValue } from './clone.js'
export { CacheTierError, CacheTimeoutError, CacheUnavailableError, type TierName } from './errors.js'
export { CacheKey, type KeyFieldValue, type KeyLike, keyText } from './key.js'
export { MemoryCache, type MemoryCacheOptions, type MemoryValueMode } from './memory-cache.js'
export { NoopCache } from './noop-cache.js'
export { KeyPattern } from './pattern.js'
export { RedisCache, type RedisCacheOptions, type RedisHealth } from './redis-cache.js'
export type { RedisClientLike, RedisClusterLike, RedisNodeLike } from './redis/client.js'
export { compressingSerializer } from './compression.js'
export {
  defaultSerializer,
  type MsgpackClass,
  type MsgpackSerializer,
  msgpackSerializer,
} from './msgpack-serializer.js'
export type { BinarySerializer, Serialized, Serializer, TextSerializer } from './serializer.js'
export { createSuperjsonSerializer, type SuperjsonSerializer, superjsonSerializer } from './superjson-serializer.js'
export type { TieredCacheEvent } from './events.js'
export { isStale } from './staleness.js'
export { type CacheStats, type LatencySummary, StatsRecorder } from './stats.js'
export { EntityTag, type TagLike, tagTexts } from './tag.js'
export { TieredCache } from './tiered-cache.js'
export type { TieredCacheOptions } from './tiered-options.js'
export type { HealthStatus, TieredCacheStats, TieredHealth, TierHealth } from './tiered-status.js'
export { CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError, type CircuitState } from './circuit-breaker.js'
export type { BusStats } from './coherence/bus-link.js'
export type {
  AckMessage,
  Beat,
  BusHandlers,
  BusMessage,
  BusOrigin,
  InvalidationBus,
  InvalidationMessage,
} from './coherence/bus-port.js'
export { RedisBus, type RedisBusOptions } from './redis/redis-bus.js'
