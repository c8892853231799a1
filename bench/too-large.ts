/**
 * `npm run bench:too-large`: what a result too large to cache costs. 60,000 posts (~20 MB as rows) read by one
 * `post.findMany({ cache: 60 })` on PostgreSQL, through a TieredCache whose tiers both refuse it (L1 with a byte
 * bound, RedisCache's 4 MiB `maxEntryBytes`), against the same query on the plain client, alternated call by
 * call. The first cached call finds out the result is too large (walking it only up to the bounds); the later
 * ones do not offer it again (the key is remembered as too large). Also reported: the README's shape, whose L1
 * has no byte bound by default (so it keeps the result, and later calls are L1 hits that copy it).
 * Issue 13's target: the cached call ≤ 1.1× the uncached query. Every server it starts, it stops.
 */
import { Redis } from 'ioredis'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from '../src/index.js'
import { startDatabase } from '../test/support/database.js'
import { startRedisServer } from '../test/support/redis.js'

const POSTS = 60_000
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 12)
/** L1's byte bound in the refusing shape: 64 MiB of entries, 16 MiB for one (its default quarter). */
const L1_MAX_SIZE = 64 * 1024 * 1024

const redis = await startRedisServer()
const db = await startDatabase('postgresql')
const client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
const caches: TieredCache[] = []
try {
  const plain = db.createClient()
  const author = await plain.user.create({ data: { email: 'large@example.com', name: 'Large' } })
  // One INSERT ... SELECT: a createMany of 60,000 rows would pass more bind values than PostgreSQL takes.
  await plain.$executeRawUnsafe(
    `INSERT INTO "Post" (title, slug, content, published, views, "publishedAt", "updatedAt", "authorId")
     SELECT 'Post ' || i || ': notes on caching a large result', 'post-' || i, repeat('A post body of some length. ', 5),
            i % 2 = 0, i % 97, now(), now(), $1
     FROM generate_series(1, ${POSTS}) AS i`,
    author.id,
  )
  const rows = await plain.post.findMany()
  const mb = (Buffer.byteLength(JSON.stringify(rows)) / 1e6).toFixed(1)
  console.log(`${rows.length} posts, ${mb} MB as JSON`)

  const shapes = {
    'both tiers refuse (L1 maxSize 64 MiB)': new TieredCache(
      new MemoryCache({ maxSize: L1_MAX_SIZE }),
      new RedisCache({ client, prefix: 'large-refused:' }),
    ),
    "README's shape (L1 keeps it)": new TieredCache(
      new MemoryCache(),
      new RedisCache({ client, prefix: 'large-readme:' }),
    ),
  }
  caches.push(...Object.values(shapes))
  const timed = async (run: () => Promise<unknown>) => {
    const t0 = performance.now()
    await run()
    return performance.now() - t0
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  // Warm the plain client (connection, query plan) before anything is timed.
  for (let i = 0; i < 2; i++) await plain.post.findMany()

  for (const [label, cache] of Object.entries(shapes)) {
    await cache.ready
    const cached = db.createClient().$extends(cacheExtension({ cache }))
    // Its own connection and query plan warmed, uncached, like the plain client's.
    for (let i = 0; i < 2; i++) await cached.post.findMany({ cache: false })
    // Alternated call by call: the plain query, then the cached one. Each round's `where` is new (the same rows:
    // views is never negative), so each round has a first call (a miss that finds the result too large) and a
    // second call of the same key.
    const uncached: number[] = []
    const firsts: number[] = []
    const seconds: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const where = { views: { gte: -1 - round } }
      uncached.push(await timed(() => plain.post.findMany({ where })))
      firsts.push(await timed(() => cached.post.findMany({ where, cache: 60 })))
      uncached.push(await timed(() => plain.post.findMany({ where })))
      seconds.push(await timed(() => cached.post.findMany({ where, cache: 60 })))
    }
    const { info } = await cached.post.findMany({ where: { views: { gte: -1 } }, cache: 60 }).withCacheInfo()
    const stats = cached.$cache.stats().models['Post']
    console.log(`\n${label}`)
    const ratio = (xs: number[]) =>
      `mean ${mean(xs).toFixed(1)} ms, median ${median(xs).toFixed(1)} ms: ` +
      `${(mean(xs) / mean(uncached)).toFixed(2)}× (mean), ${(median(xs) / median(uncached)).toFixed(2)}× (median)`
    console.log(`  uncached findMany: mean ${mean(uncached).toFixed(1)} ms, median ${median(uncached).toFixed(1)} ms`)
    console.log(`  first call of a key:  ${ratio(firsts)}`)
    console.log(`  second call of a key: ${ratio(seconds)}`)
    console.log(
      `  last read: source ${info.source}, reason ${info.reason ?? '-'}; stats: tooLarge ${stats?.tooLarge}, ` +
        `hits ${stats?.hits}, misses ${stats?.misses}`,
    )
  }
} finally {
  for (const cache of caches) await cache.close().catch(() => undefined)
  client.disconnect()
  await db.stop()
  await redis.stop()
}
