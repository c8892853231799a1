/** prisma-tiered-cache: the generic two-tier cache and the Prisma extension built on it. */
export * from './cache/index.js'
export type { CacheOption } from './prisma/cache-option.js'
export { type CacheApi, type CacheArgs, type CacheHealthOf, type CachedPrismaPromise, cacheExtension, type WarmRead } from './prisma/extension.js'
export { CACHE_ENV, cacheOptionsFromEnv } from './prisma/env-options.js'
export type { CacheExtensionOptions, ModelCacheOptions } from './prisma/options.js'
export type { CacheEvent, CacheInfo, ModelStats, PrismaCacheStats } from './prisma/prisma-cache.js'
export { registerPrismaTypes } from './prisma/serializer.js'
export { type BusHandlers, type InvalidationBus, type InvalidationMessage, RedisBus, type RedisBusOptions } from './bus/invalidation-bus.js'
