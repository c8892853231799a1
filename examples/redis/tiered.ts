/**
 * A tiered setup: L1 in this process, L2 in Redis shared by every instance of the service.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/redis/tiered.ts
 *
 * Uses the test schema on a fresh SQLite file (examples/redis/tiered.db, or DB_FILE). Shows where each read came
 * from (`withCacheInfo()`): the database, this process's L1, or — for a second instance with an empty L1 — Redis.
 * Exits 1 with a message naming REDIS_URL when Redis cannot be reached.
 */
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { PrismaClient } from '../../prisma/generated/sqlite/client.js'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from 'prisma-tiered-cache'
import { connectRedisOrExit, createSqliteDatabase, databaseFile } from '../support.js'

const redis = await connectRedisOrExit('npx tsx examples/redis/tiered.ts')
const file = databaseFile(new URL('./tiered.db', import.meta.url))
await createSqliteDatabase(file)

// Every key this example writes starts with this prefix; several services can share one Redis with different prefixes.
const prefix = 'example-tiered:'
const cache = new TieredCache(
  new MemoryCache({ maxSize: 64 * 1024 * 1024 }), // L1: bounded by bytes
  new RedisCache({ client: redis, prefix, operationTimeoutMs: 200 }), // L2: shared
  { l1Ttl: 10 }, // L1 never keeps an entry longer than 10 s (there is no bus here: see examples/multi-instance)
)
const base = new PrismaClient({ adapter: new PrismaLibSql({ url: `file:${file}` }) })
const prisma = base.$extends(cacheExtension({ cache, ttl: 60, models: { User: { ttl: 300 }, AuditLog: false } }))
// The database was just created: whatever an earlier run left in Redis under this prefix describes other rows.
await prisma.$cache.clear()

const show = (label: string, info: { source: string; key: string | undefined }) =>
  console.log(`${label.padEnd(52)} source ${info.source.padEnd(3)}  key ${info.key}`)

const ada = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
// User has a model TTL, so its reads are cached without a `cache` argument.
show('this instance, 1st read', (await prisma.user.findUnique({ where: { id: ada.id } }).withCacheInfo()).info)
show('this instance, 2nd read', (await prisma.user.findUnique({ where: { id: ada.id } }).withCacheInfo()).info)

// A miss answers as soon as the query returns; its write to Redis follows in the background (backgroundFill).
// Wait for it here, so that the "other instance" below surely finds the row in Redis.
await prisma.$cache.flush()

// A second "instance": a new L1, the same Redis. Its first read is an L2 hit, which also fills its L1.
const otherCache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix }))
const other = base.$extends(cacheExtension({ cache: otherCache, models: { User: { ttl: 300 } } }))
const fromOther = await other.user.findUnique({ where: { id: ada.id } }).withCacheInfo()
show('another instance (new L1, same Redis), 1st read', fromOther.info)
show('another instance, 2nd read', (await other.user.findUnique({ where: { id: ada.id } }).withCacheInfo()).info)

// A write through either instance invalidates L2 (and that instance's L1).
await other.user.update({ where: { id: ada.id }, data: { name: 'Ada Lovelace' } })
const afterWrite = await other.user.findUnique({ where: { id: ada.id } }).withCacheInfo()
show(`another instance after its write ("${afterWrite.data?.name}")`, afterWrite.info)
// Without a bus nothing tells this instance's L1: it serves the old row until l1Ttl has passed.
const stale = await prisma.user.findUnique({ where: { id: ada.id } }).withCacheInfo()
show(`this instance after that write ("${stale.data?.name}", until l1Ttl)`, stale.info)
console.log('  (a RedisBus would have dropped it from this L1 at once: examples/multi-instance)')

const totals = cache.stats()
console.log(`\nthis instance: ${totals.hits} hits (L1 ${totals.l1Hits}, L2 ${totals.l2Hits}), ${totals.misses} misses`)
console.log('health:', JSON.stringify(await prisma.$cache.health()))

await Promise.all([cache.close(), otherCache.close()])
await prisma.$disconnect()
await redis.quit()
