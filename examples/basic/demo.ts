/**
 * The embedded default: a SQLite file, the cache in this process (L1 only), nothing to install or start.
 *
 *   npm run demo
 *
 * Creates examples/basic/demo.db (or the file DB_FILE names), seeds it, runs reads and writes through the cached
 * client, and prints where each answer came from, with timings and the cache's stats.
 */
import { readFile, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { PrismaClient } from '../../prisma/generated/sqlite/client.js'
import { cacheExtension } from 'prisma-tiered-cache'

const file = process.env['DB_FILE'] || fileURLToPath(new URL('./demo.db', import.meta.url))
const ddl = fileURLToPath(new URL('../../prisma/sql/sqlite.sql', import.meta.url))

await rm(file, { force: true })
const sqlite = createClient({ url: `file:${file}` })
await sqlite.executeMultiple(await readFile(ddl, 'utf8'))
sqlite.close()

const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url: `file:${file}` }) }).$extends(cacheExtension())

// Seed: 50 users with 3 posts each.
for (let i = 1; i <= 50; i++) {
  await prisma.user.create({
    data: {
      email: `user${i}@example.com`,
      name: `User ${i}`,
      posts: { create: [1, 2, 3].map((n) => ({ title: `Post ${n} of user ${i}`, slug: `p${n}`, published: n !== 3 })) },
    },
  })
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const before = prisma.$cache.stats().cache
  const started = performance.now()
  const result = await run()
  const ms = performance.now() - started
  const after = prisma.$cache.stats().cache
  const source = after.hits > before.hits ? 'cache' : 'database'
  console.log(`${label.padEnd(58)} ${ms.toFixed(3).padStart(8)} ms  from ${source}`)
  return result
}

const userWithPosts = () => prisma.user.findUnique({ where: { id: 7 }, include: { posts: true }, cache: { ttl: 60 } })
const published = () =>
  prisma.post.findMany({ where: { published: true }, include: { author: true }, take: 20, cache: 30 })

console.log('\nReads (the second of each is served from the in-process cache):')
await timed('findUnique User 7 with posts', userWithPosts)
await timed('findUnique User 7 with posts (again)', userWithPosts)
await timed('findMany published posts with authors', published)
await timed('findMany published posts with authors (again)', published)
await timed('count users', () => prisma.user.count({ cache: 60 }))
await timed('count users (again)', () => prisma.user.count({ cache: 60 }))

console.log('\nA write invalidates exactly what it changed:')
await timed('update User 7 name', () => prisma.user.update({ where: { id: 7 }, data: { name: 'Renamed' } }))
const fresh = await timed('findUnique User 7 with posts (after the write)', userWithPosts)
console.log(`  -> name is now "${fresh?.name}"`)
await timed('findUnique User 8 (first read)', () => prisma.user.findUnique({ where: { id: 8 }, cache: 60 }))
await timed('update User 9 (another row)', () => prisma.user.update({ where: { id: 9 }, data: { name: 'Nine' } }))
await timed('findUnique User 8 (still cached: User 9 changed, not 8)', () =>
  prisma.user.findUnique({ where: { id: 8 }, cache: 60 }),
)
await timed('count users (after the writes)', () => prisma.user.count({ cache: 60 }))

const { cache, models } = prisma.$cache.stats()
console.log(
  `\nCache: ${cache.hits} hits, ${cache.misses} misses, ${cache.writes} writes, ${cache.invalidations} invalidations`,
)
console.log(
  `L1 read latency: p50 ${(cache.readLatency.p50Ms * 1000).toFixed(1)} µs, p99 ${(cache.readLatency.p99Ms * 1000).toFixed(1)} µs`,
)
for (const [model, s] of Object.entries(models))
  console.log(`  ${model.padEnd(8)} hits ${s.hits}  misses ${s.misses}  invalidated by writes ${s.invalidations}`)
console.log(`\nDatabase file: ${file}`)
await prisma.$disconnect()
