/**
 * One application instance in a process of its own, for multi-instance tests: a PrismaClient on PostgreSQL
 * with the cache extension over TieredCache(MemoryCache, RedisCache), configured the README's way (no bus named:
 * the RedisCache opens one). Driven over IPC by test/prisma/multi-process.test.ts. Environment: DATABASE_URL,
 * REDIS_URL, CACHE_PREFIX; AWAIT_PEERS=false for fire-and-forget writes.
 */
import { PrismaPg } from '@prisma/adapter-pg'
import { Redis } from 'ioredis'
import { PrismaClient } from '../../prisma/generated/postgresql/client.js'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from '../../src/index.js'

type Request =
  | { id: number; op: 'ready' }
  | { id: number; op: 'read'; userId: number }
  | { id: number; op: 'write'; userId: number; name: string }
  | { id: number; op: 'stats' }
  | { id: number; op: 'exit' }

const redis = new Redis(process.env['REDIS_URL']!, { maxRetriesPerRequest: 1 })
redis.on('error', () => {})
const prefix = process.env['CACHE_PREFIX']!
const cache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix, operationTimeoutMs: 300 }), {
  awaitPeers: process.env['AWAIT_PEERS'] !== 'false',
})
const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: process.env['DATABASE_URL']!, max: 2 }),
}).$extends(cacheExtension({ cache }))

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'ready': {
      // Ready once L1 may be served: the bus up and its lease held (its own heartbeat heard back).
      await cache.ready
      const deadline = Date.now() + 10_000
      while (!(await cache.health()).l1.trusted && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10))
      return (await cache.health()).l1.trusted
    }
    case 'read':
      return (
        (await prisma.user.findUnique({ where: { id: request.userId }, include: { posts: true }, cache: 60 }))?.name ??
        null
      )
    case 'write':
      await prisma.user.update({ where: { id: request.userId }, data: { name: request.name } })
      return true
    case 'stats':
      return {
        cache: cache.stats().bus,
        l1Hits: cache.stats().l1Hits,
        l2LocalChecks: cache.stats().l2LocalChecks,
        models: prisma.$cache.stats().models,
      }
    case 'exit':
      await cache.close()
      await prisma.$disconnect()
      redis.disconnect()
      setImmediate(() => process.exit(0))
      return true
  }
}

process.on('message', (request: Request) => {
  handle(request).then(
    (result) => process.send?.({ id: request.id, result }),
    (error: unknown) =>
      process.send?.({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  )
})
process.send?.({ id: 0, result: 'started' })
// The test process is gone (its IPC channel closed): do not outlive it.
process.on('disconnect', () => process.exit(0))
