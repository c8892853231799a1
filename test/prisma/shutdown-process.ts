/**
 * A whole application process for test/prisma/shutdown.test.ts: the cache configured from the environment
 * (PRISMA_CACHE_REDIS_URL: the library opens its own Redis connection and bus), one cached read through Redis,
 * then `$disconnect()` and `$cache.close()`. It never calls process.exit: it must end by itself. It prints one
 * JSON line with what it saw, the last thing it does. Environment: DATABASE_URL (PostgreSQL), and the cache's.
 */
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../../prisma/generated/postgresql/client.js'
import { cacheExtension, cacheOptionsFromEnv } from '../../src/index.js'

const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: process.env['DATABASE_URL']!, max: 1 }),
}).$extends(cacheExtension(cacheOptionsFromEnv()))
const user = await prisma.user.create({ data: { email: `shutdown-${process.pid}@example.com`, name: 'Ada' } })
const first = await prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).withCacheInfo()
await prisma.$cache.flush()
// The bus subscribes in the background: wait for it, so that close() has a subscription to end.
let health = await prisma.$cache.health()
for (const deadline = Date.now() + 10_000; !health.bus?.connected && Date.now() < deadline;) {
  await new Promise((resolve) => setTimeout(resolve, 20))
  health = await prisma.$cache.health()
}
await prisma.$disconnect()
await prisma.$cache.close()
console.log(JSON.stringify({ source: first.info.source, bus: health.bus?.connected, closedAt: Date.now() }))
