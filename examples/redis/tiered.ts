/**
 * A tiered setup: L1 in this process, L2 in Redis shared by every instance of the service.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/redis/tiered.ts
 *
 * Uses the same SQLite schema as the basic demo (examples/basic/demo.db is recreated here too).
 */
import { readFile, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { Redis } from 'ioredis'
import { PrismaClient } from '../../prisma/generated/sqlite/client.js'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from '../../src/index.js'

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
const file = fileURLToPath(new URL('../basic/tiered-demo.db', import.meta.url))
await rm(file, { force: true })
const sqlite = createClient({ url: `file:${file}` })
await sqlite.executeMultiple(await readFile(fileURLToPath(new URL('../../prisma/sql/sqlite.sql', import.meta.url)), 'utf8'))
sqlite.close()

const redis = new Redis(redisUrl)
const cache = new TieredCache(
  new MemoryCache({ maxSize: 64 * 1024 * 1024 }), // L1: bounded by bytes
  new RedisCache({ client: redis, prefix: 'example:', operationTimeoutMs: 200 }), // L2: shared
  { l1Ttl: 10 }, // L1 never keeps an entry longer than 10 s
)
const base = new PrismaClient({ adapter: new PrismaLibSql({ url: `file:${file}` }) })
const prisma = base.$extends(cacheExtension({ cache, ttl: 60, models: { User: { ttl: 300 }, AuditLog: false } }))

const ada = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
await prisma.user.findUnique({ where: { id: ada.id } }) // User has a model TTL: cached without a cache argument
await prisma.user.findUnique({ where: { id: ada.id } }) // L1 hit

// A second "instance" (new L1, same Redis) gets an L2 hit.
const other = base.$extends(cacheExtension({ cache: new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix: 'example:' })), models: { User: { ttl: 300 } } }))
console.log('from L2 on another instance:', await other.user.findUnique({ where: { id: ada.id } }))
console.log(JSON.stringify(prisma.$cache.stats().cache, null, 2))

await prisma.$disconnect()
redis.disconnect()
