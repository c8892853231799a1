/**
 * An application instance with a change feed, in a process of its own, for the takeover test
 * (test/prisma/change-feed/takeover.test.ts kills it with SIGKILL). Environment: DATABASE_URL, DB_SCHEMA,
 * REDIS_URL, CACHE_PREFIX, FEED_NAME (slot and publication). Sends 'streaming' once it consumes the slot.
 */
import { PrismaPg } from '@prisma/adapter-pg'
import { Redis } from 'ioredis'
import { PrismaClient } from '../../../prisma/generated/postgresql/client.js'
import { cacheExtension, MemoryCache, postgresChangeFeed, RedisCache, TieredCache } from '../../../src/index.js'

const env = (name: string) => process.env[name] ?? ''
const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 1 })
redis.on('error', () => {})
const cache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix: env('CACHE_PREFIX') }))
const feed = postgresChangeFeed({
  connectionString: env('DATABASE_URL'),
  schema: env('DB_SCHEMA'),
  slot: env('FEED_NAME'),
  publication: env('FEED_NAME'),
  retryMs: 100,
})
const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: env('DATABASE_URL'), max: 1 }, { schema: env('DB_SCHEMA') }),
})
base.$extends(cacheExtension({ cache, changeFeed: feed }))

const poll = setInterval(() => {
  if (feed.status().state === 'streaming') {
    clearInterval(poll)
    process.send?.('streaming')
  }
}, 10)
// The test process is gone (its IPC channel closed): do not outlive it.
process.on('disconnect', () => process.exit(0))
