/**
 * The public surface, pinned: what each entry point exports (values at run time, and every name its index
 * declares, types included). A change here is a change of the published API: make it on purpose.
 * - `prisma-tiered-cache`: what an application writes;
 * - `prisma-tiered-cache/cache`: the generic cache and what an author of a backend needs;
 * - `prisma-tiered-cache/test-suite`: the backend contract.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import * as cache from '../../src/cache/index.js'
import * as root from '../../src/index.js'
import * as prometheus from '../../src/metrics/prometheus.js'
import * as testSuite from '../../src/test-suite/index.js'

const ROOT_VALUES = [
  'CACHE_ENV',
  'CacheKey',
  'CacheTierError',
  'CacheTimeoutError',
  'CacheUnavailableError',
  'ChangeFeedSetupError',
  'CircuitOpenError',
  'EntityTag',
  'KeyPattern',
  'MemoryCache',
  'NoopCache',
  'RedisBus',
  'RedisCache',
  'TieredCache',
  'cacheExtension',
  'cacheOptionsFromEnv',
  'compressingSerializer',
  'createSuperjsonSerializer',
  'defaultSerializer',
  'msgpackSerializer',
  'postgresChangeFeed',
  'registerPrismaTypes',
  'superjsonSerializer',
]
const ROOT_TYPES = [
  'BusStats',
  'CacheApi',
  'CacheArgs',
  'CacheBackend',
  'CacheEntry',
  'CacheEvent',
  'CacheExtensionOptions',
  'CacheHealthOf',
  'CacheInfo',
  'CacheOption',
  'CacheStats',
  'CachedPrismaPromise',
  'ChangeFeed',
  'ChangeFeedStatus',
  'ChangeFeedTarget',
  'CircuitState',
  'CloseOptions',
  'GetOrSetOptions',
  'HealthStatus',
  'InvalidationBus',
  'KeyLike',
  'LatencySummary',
  'MemoryCacheOptions',
  'MemoryValueMode',
  'ModelCacheOptions',
  'ModelStats',
  'MsgpackClass',
  'MsgpackSerializer',
  'PostgresChangeFeedOptions',
  'PrismaCacheStats',
  'RedisBusOptions',
  'RedisCacheOptions',
  'RedisClientLike',
  'RedisHealth',
  'Serializer',
  'SetOptions',
  'SuperjsonSerializer',
  'TagLike',
  'TieredCacheEvent',
  'TieredCacheOptions',
  'TieredHealth',
  'WarmRead',
]
const CACHE_VALUES = [
  'BaseCache',
  'CacheKey',
  'CacheTierError',
  'CacheTimeoutError',
  'CacheUnavailableError',
  'CircuitBreaker',
  'CircuitOpenError',
  'EntityTag',
  'IN_PROCESS_CAPABILITIES',
  'KeyPattern',
  'MemoryCache',
  'NO_LOCK',
  'NoopCache',
  'RedisBus',
  'RedisCache',
  'StatsRecorder',
  'TieredCache',
  'cloneValue',
  'compressingSerializer',
  'createSuperjsonSerializer',
  'defaultSerializer',
  'isNumbered',
  'isStale',
  'keyText',
  'msgpackSerializer',
  'superjsonSerializer',
  'tagTexts',
  'validateSetOptions',
  'validateTtl',
]
const CACHE_TYPES = [
  'AckMessage',
  'BackendHealth',
  'Beat',
  'BinarySerializer',
  'BusHandlers',
  'BusMessage',
  'BusOrigin',
  'BusStats',
  'CacheBackend',
  'CacheCapabilities',
  'CacheEntry',
  'CacheLock',
  'CacheSnapshot',
  'CacheStats',
  'CircuitBreakerOptions',
  'CircuitState',
  'Clock',
  'CloseOptions',
  'EncodedValue',
  'GetOrSetOptions',
  'HealthStatus',
  'InvalidationBus',
  'InvalidationMessage',
  'KeyFieldValue',
  'KeyLike',
  'LatencySummary',
  'Lookup',
  'LookupOptions',
  'MemoryCacheOptions',
  'MemoryValueMode',
  'MsgpackClass',
  'MsgpackSerializer',
  'NumberedInvalidations',
  'Peeked',
  'RedisBusOptions',
  'RedisCacheOptions',
  'RedisClientLike',
  'RedisClusterLike',
  'RedisHealth',
  'RedisNodeLike',
  'Serialized',
  'Serializer',
  'SetManyItem',
  'SetOptions',
  'SuperjsonSerializer',
  'TagLike',
  'TextSerializer',
  'TierHealth',
  'TierName',
  'TieredCacheEvent',
  'TieredCacheOptions',
  'TieredCacheStats',
  'TieredHealth',
]

/**
 * Every name an index file declares in its `export { ... }` / `export type { ... }` lists (types included), and
 * every name a module it re-exports whole (`export * from`) declares.
 */
async function declared(path: string): Promise<string[]> {
  const url = new URL(path, import.meta.url)
  const text = await readFile(url, 'utf8')
  const listed = [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((part) => part.trim().replace(/^type\s+/, ''))
      .filter((part) => part.length > 0),
  )
  const whole = await Promise.all(
    [...text.matchAll(/export \* from '(\.[^']+)\.js'/g)].map(async (m) => {
      const module = await readFile(new URL(`${m[1]}.ts`, url), 'utf8')
      return [...module.matchAll(/^export (?:interface|type|const|function|class) (\w+)/gm)].map((d) => d[1]!)
    }),
  )
  return [...listed, ...whole.flat()].sort()
}

const sorted = (names: string[]) => [...names].sort()

describe('the public surface', () => {
  it('prisma-tiered-cache: what an application writes (no helpers)', async () => {
    expect(Object.keys(root).sort()).toEqual(sorted(ROOT_VALUES))
    expect(await declared('../../src/index.ts')).toEqual(sorted([...ROOT_VALUES, ...ROOT_TYPES]))
    for (const helper of ['cloneValue', 'NO_LOCK', 'isNumbered', 'BaseCache', 'CircuitBreaker', 'isStale'])
      expect(Object.keys(root)).not.toContain(helper)
  })

  it("prisma-tiered-cache/cache: the generic cache and a backend author's kit (RedisBus included)", async () => {
    expect(Object.keys(cache).sort()).toEqual(sorted(CACHE_VALUES))
    expect(await declared('../../src/cache/index.ts')).toEqual(sorted([...CACHE_VALUES, ...CACHE_TYPES]))
  })

  it('prisma-tiered-cache/test-suite and /prometheus', async () => {
    expect(Object.keys(testSuite).sort()).toEqual(['backendTestSuite', 'richValue'])
    expect(Object.keys(prometheus).sort()).toEqual(['registerPrometheusMetrics'])
  })

  it('the root is a subset of /cache for everything they share (one class per name)', () => {
    for (const [name, value] of Object.entries(root))
      if (name in cache) expect(value).toBe((cache as Record<string, unknown>)[name])
  })
})
