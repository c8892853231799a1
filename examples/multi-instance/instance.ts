/**
 * One instance of a service, in a process of its own: a PrismaClient on the shared SQLite file, with
 * TieredCache(MemoryCache, RedisCache) and a RedisBus, so that invalidations made by any instance reach this L1.
 * Started by main.ts (`fork`, `node --import tsx`) and driven over IPC. Environment: INSTANCE, DB_FILE, REDIS_URL,
 * CACHE_PREFIX.
 */
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { PrismaClient } from '../../prisma/generated/sqlite/client.js'
import { cacheExtension, MemoryCache, RedisBus, RedisCache, TieredCache } from 'prisma-tiered-cache'
import { connectRedisOrExit } from '../support.js'

export type Request =
  | { id: number; op: 'ready' }
  | { id: number; op: 'read'; userId: number }
  | { id: number; op: 'write'; userId: number; name: string }
  | { id: number; op: 'busStats' }
  | { id: number; op: 'exit' }
export type Reply = { id: number; result?: unknown; error?: string }

const name = process.env['INSTANCE'] ?? '?'
const prefix = process.env['CACHE_PREFIX'] ?? 'example-multi:'
const redis = await connectRedisOrExit('npx tsx examples/multi-instance/main.ts')
// Both instances use the same prefix: the same L2 keys, and the same bus channel (`<prefix>bus`).
const cache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix, operationTimeoutMs: 300 }), {
  bus: new RedisBus({ client: redis, prefix }),
})
const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url: `file:${process.env['DB_FILE']}` }) }).$extends(
  cacheExtension({ cache }),
)

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'ready': {
      // Until its bus has subscribed, an instance does not use its L1 (it could miss invalidations).
      await cache.ready
      const deadline = Date.now() + 10_000
      while (!cache.stats().bus?.connected && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10))
      return cache.stats().bus?.connected === true
    }
    case 'read': {
      const { data, info } = await prisma.user
        .findUnique({ where: { id: request.userId }, select: { id: true, name: true }, cache: 60 })
        .withCacheInfo()
      return { name: data?.name ?? null, source: info.source }
    }
    case 'write':
      await prisma.user.update({ where: { id: request.userId }, data: { name: request.name } })
      return true
    case 'busStats':
      return cache.stats().bus
    case 'exit':
      await cache.close()
      await prisma.$disconnect()
      await redis.quit()
      setImmediate(() => process.exit(0))
      return true
  }
}

process.on('message', (request: Request) => {
  handle(request).then(
    (result) => process.send?.({ id: request.id, result } satisfies Reply),
    (error: unknown) =>
      process.send?.({
        id: request.id,
        error: `instance ${name}: ${error instanceof Error ? error.message : String(error)}`,
      } satisfies Reply),
  )
})
// main.ts is gone (the IPC channel closed): do not outlive it.
process.on('disconnect', () => process.exit(0))
process.send?.({ id: 0, result: 'started' } satisfies Reply)
