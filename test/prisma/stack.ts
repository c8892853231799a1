/**
 * A Prisma client with the cache extension over a real database (and optionally a real Redis L2), plus a
 * counter of the queries that really reach the database (a query extension *below* the cache extension).
 */
import { Redis } from 'ioredis'
import {
  type CacheBackend,
  type CacheExtensionOptions,
  cacheExtension,
  MemoryCache,
  msgpackSerializer,
  RedisCache,
  type Serializer,
  superjsonSerializer,
  TieredCache,
} from '../../src/index.js'
import type { TestDatabase } from '../support/database.js'

export type Tiers = 'memory' | 'memory+redis'
export const TIERS: readonly Tiers[] = ['memory', 'memory+redis']

let prefixes = 0
export const uniquePrefix = () => `px${process.pid}n${++prefixes}:`

export function countingClient(db: TestDatabase) {
  const counter = { queries: 0, operations: [] as string[] }
  const base = db.createClient().$extends({
    query: {
      async $allOperations({ model, operation, args, query }) {
        counter.queries++
        counter.operations.push(`${model ?? ''}.${operation}`)
        return query(args)
      },
    },
  })
  return { base, counter }
}

/** The built-in serializers of the Redis tier: suites about values run with each. */
export const SERIALIZERS: ReadonlyArray<readonly [string, Serializer]> = [
  ['MessagePack', msgpackSerializer],
  ['superjson', superjsonSerializer],
]

export function buildCache(tiers: Tiers, redis: Redis | undefined, serializer?: Serializer): CacheBackend {
  if (tiers === 'memory') return new MemoryCache()
  if (!redis) throw new Error('memory+redis needs a Redis client')
  return new TieredCache(
    new MemoryCache(),
    new RedisCache({ client: redis, prefix: uniquePrefix(), ...(serializer ? { serializer } : {}) }),
    // One instance per cache here (what each write invalidates); the bus between instances has suites of its own.
    { bus: false },
  )
}

export type CountingClient = ReturnType<typeof countingClient>

/**
 * The cache extension over a counting client. Pass `counting` to reuse one (and its connection pool):
 * PostgreSQL refuses connections past max_connections, and every PrismaClient opens a pool.
 */
export function cachedClient(
  db: TestDatabase,
  cache: CacheBackend,
  options: Omit<CacheExtensionOptions, 'cache'> = {},
  counting: CountingClient = countingClient(db),
) {
  const { base, counter } = counting
  const prisma = base.$extends(cacheExtension({ ...options, cache }))
  return { prisma, counter, cache }
}

/** A second instance sharing the same L2 (new L1): an L2 hit on its first read. */
export function secondInstance(first: CacheBackend): CacheBackend {
  if (!(first instanceof TieredCache)) return new MemoryCache()
  return new TieredCache(new MemoryCache(), first.l2, { bus: false })
}

export { Redis }

export { useRedis } from '../support/use-redis.js'
