/**
 * Shutdown: `prisma.$cache.close()` lets the process exit by itself, closes what the library opened, and leaves
 * the user's own clients open unless asked.
 */
import { Redis } from 'ioredis'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheExtension, MemoryCache, RedisBus, RedisCache, TieredCache } from '../../src/index.js'
import { startDatabase, type TestDatabase } from '../support/database.js'
import { runCommand } from '../support/processes.js'
import { type RedisService, startRedis } from '../support/redis.js'
import { uniquePrefix } from './stack.js'

const CHILD = fileURLToPath(new URL('./shutdown-process.ts', import.meta.url))

describe('prisma.$cache.close()', () => {
  let redis: RedisService
  let db: TestDatabase
  beforeAll(async () => {
    ;[redis, db] = await Promise.all([startRedis(), startDatabase('postgresql')])
  })
  afterAll(async () => {
    await Promise.all([redis?.stop(), db?.stop()])
  })

  it('a process configured from the environment (its own Redis connection and bus) exits by itself after $disconnect() and close()', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      PRISMA_CACHE_REDIS_URL: redis.url,
      PRISMA_CACHE_PREFIX: uniquePrefix(),
    }
    // A process that does not exit is killed at the timeout, and the test fails on the code below.
    const ran = await runCommand(process.execPath, ['--import', 'tsx', CHILD], { env, timeoutMs: 30_000 })
    const exitedAt = Date.now()
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0)
    const seen = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as { source: string; bus: boolean; closedAt: number }
    // The cache was really in use: a read through Redis with the bus up.
    expect(seen).toMatchObject({ source: 'db', bus: true })
    // Exits within 2 s of close() (process teardown included), not at the 30 s kill.
    expect(exitedAt - seen.closedAt).toBeLessThan(2_000)
  })

  it('closes the connections it opened, and leaves the clients the user passed open unless { clients: true }', async () => {
    const client = new Redis(redis.url)
    const prefix = uniquePrefix()
    const cache = new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), {
      bus: new RedisBus({ client, prefix }),
    })
    const prisma = db.createClient().$extends(cacheExtension({ cache }))
    const user = await prisma.user.create({ data: { email: `close-${prefix}@example.com` } })
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    await prisma.$cache.close()
    // The user's client still works; the bus's own subscriber connection is gone.
    expect(await client.ping()).toBe('PONG')
    expect(cache.bus?.connected).toBe(false)
    await prisma.$cache.close({ clients: true })
    expect(client.status).toBe('end')
    // A bare RedisCache from a URL: its own connection, closed by close().
    const owned = new RedisCache({ url: redis.url, prefix })
    const bare = db.createClient().$extends(cacheExtension({ cache: owned }))
    await bare.user.findUnique({ where: { id: user.id }, cache: 60 })
    await bare.$cache.close()
    expect(owned.client.status).toBe('end')
  })
})
