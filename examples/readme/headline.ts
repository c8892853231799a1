/**
 * The README's first example, type-checked by `npm test` (strict) and compared with the README's text by
 * test/examples/readme.test.ts, so the snippet a user copies compiles. Not run: it needs your database and Redis.
 */
// README: import { PrismaClient } from './generated/prisma/client.js'
import { PrismaClient } from '../../prisma/generated/postgresql/client.js'
// README (from here to the end, as is)
import { PrismaPg } from '@prisma/adapter-pg'
import { Redis } from 'ioredis'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from 'prisma-tiered-cache'

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) }).$extends(
  cacheExtension({
    cache: new TieredCache(new MemoryCache({ maxSize: 64 * 1024 * 1024 }), new RedisCache({ client: redis })),
    ttl: 60, // default TTL (seconds) of cached reads
    models: { User: { ttl: 300 }, AuditLog: false }, // per-model defaults; false = never cache this model
  }),
)

await prisma.user.findUnique({ where: { id: 1 }, cache: { ttl: 60 } }) // key User:id=1
await prisma.post.findMany({ where: { published: true }, include: { author: true }, cache: 30 }) // seconds
await prisma.user.findFirst({ where: { email: 'a@b.c' }, cache: false }) // bypass
await prisma.user.update({ where: { id: 2 }, data: { name: 'B' } }) // evicts User 2, User lists/counts; not User 1
await prisma.$cache.invalidate({ tags: ['User'] })

// Shutdown: background writes and the bus first, then the connections (yours too, with clients: true).
await prisma.$disconnect()
await prisma.$cache.close({ clients: true })
