/** Per-query cache info (withCacheInfo), onEvent, health. */
import { beforeEach, describe, expect, it } from 'vitest'
import { type CacheEvent, MemoryCache, RedisBus, RedisCache, TieredCache } from '../../src/index.js'
import { useDatabase } from '../support/use-database.js'
import { cachedClient, countingClient, secondInstance, uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()

describe('observability (SQLite)', () => {
  const db = useDatabase('sqlite')
  beforeEach(async () => db.reset())

  it("a result over both tiers' bounds: counted in $cache.stats(), a miss with reason tooLarge, not offered again", async () => {
    const plain = db.createClient()
    for (let i = 0; i < 40; i++)
      await plain.user.create({ data: { email: `big${i}@example.com`, name: 'x'.repeat(200) } })
    const events: CacheEvent[] = []
    const l1 = new MemoryCache({ maxSize: 16_000 }) // entries up to 4,000 (estimated) bytes
    const l2 = new RedisCache({ client: redisClient(), prefix: uniquePrefix(), maxEntryBytes: 4_000 })
    const cache = new TieredCache(l1, l2, { bus: false })
    const { prisma } = cachedClient(db, cache, { onEvent: (event) => events.push(event) }, countingClient(db))
    const first = await prisma.user.findMany({ cache: 60 }).withCacheInfo()
    expect(first.data).toHaveLength(40)
    expect(first.info).toMatchObject({ source: 'db', reason: 'tooLarge', ttlLeftMs: undefined })
    expect(events.at(-1)).toMatchObject({ type: 'miss', model: 'User', reason: 'tooLarge' })
    expect(prisma.$cache.stats().models['User']?.tooLarge).toBe(1)
    expect([l1.stats().rejectedTooLarge, l2.stats().rejectedTooLarge]).toEqual([1, 1])
    // Remembered: the next miss does not offer it to the tiers again (no copy, no serialization).
    const second = await prisma.user.findMany({ cache: 60 }).withCacheInfo()
    expect(second.info).toMatchObject({ source: 'db', reason: 'tooLarge' })
    expect(prisma.$cache.stats().models['User']?.tooLarge).toBe(2)
    expect([l1.stats().rejectedTooLarge, l2.stats().rejectedTooLarge]).toEqual([1, 1])
    // One that fits is cached as before, without a reason.
    const small = await prisma.user.findMany({ take: 2, cache: 60 }).withCacheInfo()
    expect(small.info.reason).toBeUndefined()
    expect(small.info.ttlLeftMs).toBe(60_000)
    expect((await prisma.user.findMany({ take: 2, cache: 60 }).withCacheInfo()).info.source).toBe('l1')
    await cache.close()
  })

  it('withCacheInfo tells db, l1, l2, stale and bypass, with the key, tags and TTL left', async () => {
    const user = await db.createClient().user.create({ data: { email: 'info@example.com', name: 'i' } })
    const events: CacheEvent[] = []
    const cache = new TieredCache(
      new MemoryCache(),
      new RedisCache({ client: redisClient(), prefix: uniquePrefix() }),
      { bus: false },
    )
    const { prisma } = cachedClient(db, cache, { onEvent: (event) => events.push(event) }, countingClient(db))
    const args = { where: { id: user.id } }
    const first = await prisma.user.findUnique({ ...args, cache: 60 }).withCacheInfo()
    expect(first.data?.name).toBe('i')
    expect(first.info).toMatchObject({ source: 'db', key: `User:id=${user.id}`, ttlLeftMs: 60_000 })
    expect([...first.info.tags].sort()).toEqual(['User', `User:id=${user.id}`])
    const second = await prisma.user.findUnique({ ...args, cache: 60 }).withCacheInfo()
    expect(second.info.source).toBe('l1')
    expect(second.info.ttlLeftMs).toBeLessThanOrEqual(60_000)
    await prisma.$cache.flush()
    const other = cachedClient(db, secondInstance(cache), {}, countingClient(db)).prisma
    expect((await other.user.findUnique({ ...args, cache: 60 }).withCacheInfo()).info.source).toBe('l2')
    expect((await prisma.user.findUnique({ ...args, cache: false }).withCacheInfo()).info).toEqual({
      source: 'bypass',
      key: undefined,
      tags: [],
      ttlLeftMs: undefined,
    })
    await prisma.user.findMany({ cache: { ttl: 0.05, swr: 10 } })
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect((await prisma.user.findMany({ cache: { ttl: 0.05, swr: 10 } }).withCacheInfo()).info.source).toBe('stale')
    // The plain await still gives the data, and the same promise answers both.
    const promise = prisma.user.count({ cache: 60 })
    expect(await promise).toBe(1)
    expect((await promise.withCacheInfo()).data).toBe(1)
    await prisma.user.update({ where: { id: user.id }, data: { name: 'j' } })
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['miss', 'hit', 'invalidate']))
    const invalidation = events.find((e) => e.type === 'invalidate')
    expect(invalidation?.type === 'invalidate' && invalidation.tags).toEqual(
      expect.arrayContaining(['User:*', `User:id=${user.id}`]),
    )
  })

  it('health reports each tier, the bus and the circuit breaker', async () => {
    const prefix = uniquePrefix()
    const cache = new TieredCache(new MemoryCache(), new RedisCache({ client: redisClient(), prefix }), {
      bus: new RedisBus({ client: redisClient(), prefix }),
    })
    try {
      const { prisma } = cachedClient(db, cache, {}, countingClient(db))
      const deadline = Date.now() + 5000
      while (!cache.stats().bus?.connected && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10))
      expect(await prisma.$cache.health()).toMatchObject({
        ok: true,
        l1: { ok: true, trusted: true },
        l2: { ok: true, name: 'redis', circuit: 'closed', pendingInvalidations: 0 },
        bus: { connected: true },
      })
      const memoryOnly = cachedClient(db, new MemoryCache(), {}, countingClient(db)).prisma
      expect(await memoryOnly.$cache.health()).toEqual({ ok: true })
    } finally {
      await cache.close()
    }
  })
})
