/**
 * An app written for Prisma Accelerate's cache (`cacheStrategy`, `withAccelerateInfo()`, `$accelerate.invalidate`),
 * running on prisma-tiered-cache after a one-line change: the import of `withAccelerate`.
 *
 *   npx tsx examples/accelerate/main.ts                                   # the cache in this process (L1 only)
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/accelerate/main.ts  # L1 + Redis shared by every instance + bus
 *
 * Uses the test schema on a fresh SQLite file (examples/accelerate/accelerate.db, or DB_FILE): where Accelerate
 * needed `accelerateUrl`, the client takes a driver adapter and the database URL.
 */
import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { MemoryCache, RedisBus, RedisCache, TieredCache } from 'prisma-tiered-cache'
// Before: import { withAccelerate } from '@prisma/extension-accelerate'
import { withAccelerate } from 'prisma-tiered-cache/accelerate'
import { PrismaClient } from '../../prisma/generated/sqlite/client.js'
import { connectRedisOrExit, createSqliteDatabase, databaseFile } from '../support.js'

const file = databaseFile(new URL('./accelerate.db', import.meta.url))
await createSqliteDatabase(file)
const url = `file:${file}`

// Accelerate kept its cache on Prisma's servers. Here: in this process, or in your Redis when REDIS_URL is set.
const redis = process.env['REDIS_URL'] ? await connectRedisOrExit('npx tsx examples/accelerate/main.ts') : undefined
const prefix = 'example-accelerate:'
const cache = redis
  ? new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix }), {
      bus: new RedisBus({ client: redis, prefix }),
    })
  : new MemoryCache()
const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url }) }).$extends(withAccelerate({ cache }))
// The database was just created: whatever an earlier run left in Redis describes other rows.
await prisma.$accelerate.invalidateAll()
console.log(`cache: ${redis ? 'L1 + Redis + bus' : 'L1 only'}`)

const ada = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
for (let i = 1; i <= 3; i++) {
  await prisma.post.create({ data: { title: `Post ${i}`, slug: `post-${i}`, published: true, authorId: ada.id } })
}

/** The latest posts, cached for 60 s and served stale for 30 s more while one refresh runs, tagged "posts". */
async function latestPosts(label: string) {
  const started = performance.now()
  const { data, info } = await prisma.post
    .findMany({
      where: { published: true },
      orderBy: { id: 'desc' },
      take: 20,
      cacheStrategy: { ttl: 60, swr: 30, tags: ['posts'] },
    })
    .withAccelerateInfo()
  const ms = (performance.now() - started).toFixed(2)
  const newest = JSON.stringify(data[0]?.title)
  const status = `cacheStatus ${info.cacheStatus.padEnd(4)} ${ms.padStart(7)} ms`
  console.log(`${label.padEnd(44)} ${data.length} posts, newest ${newest.padEnd(27)} ${status}`)
  return info
}

const info = await latestPosts('1st read')
console.log(
  `  info: region ${info.region}, requestId ${info.requestId}, lastModified ${info.lastModified.toISOString()}`,
)
console.log(`        signature ${info.signature}`)
await latestPosts('2nd read')

// A write made outside this client (another service, a migration): no cache can see it...
const sqlite = createClient({ url })
await sqlite.execute({
  sql: 'UPDATE "Post" SET "title" = ? WHERE "slug" = ?',
  args: ['Post 3 (edited elsewhere)', 'post-3'],
})
sqlite.close()
await latestPosts('after a write outside Prisma (still cached)')
// ...so the app invalidates by tag, as Accelerate apps do after their writes. Every instance drops it.
const { requestId } = await prisma.$accelerate.invalidate({ tags: ['posts'] })
console.log(`invalidate({ tags: ['posts'] }) -> requestId ${requestId}`)
await latestPosts('after $accelerate.invalidate')

// The one difference from Accelerate: a write through Prisma invalidates what it changed by itself.
await prisma.post.create({ data: { title: 'Post 4', slug: 'post-4', published: true, authorId: ada.id } })
await latestPosts('after prisma.post.create (no invalidate call)')

// swr alone: always answered from the cache once filled, each read refreshing it in the background.
for (const label of ['user count (swr: 60), 1st read', 'user count (swr: 60), 2nd read']) {
  const { data, info } = await prisma.user.count({ cacheStrategy: { swr: 60 } }).withAccelerateInfo()
  console.log(`${label.padEnd(44)} ${data} user${' '.repeat(42)}cacheStatus ${info.cacheStatus}`)
}
// No cacheStrategy: not cached, as with Accelerate.
const { info: none } = await prisma.user.findMany().withAccelerateInfo()
console.log(`${'users, no cacheStrategy'.padEnd(44)} ${' '.repeat(48)}cacheStatus ${none.cacheStatus}`)

await prisma.$disconnect()
await prisma.$cache.close({ clients: true })
console.log('closed: the process exits by itself')
