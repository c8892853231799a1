/**
 * backgroundFill (the default): a miss answers once the query returned and L1 holds the result; the L2 write
 * follows in the background. What must still hold: L2 gets exactly what the database returned (even if the
 * caller mutates its result at once), and a background write that lands after another instance's write is
 * stale, never served.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache, RedisCache, TieredCache } from '../../src/index.js'
import { PROVIDERS } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { eventually } from '../support/eventually.js'
import { WrappedCache } from '../support/wrapped-cache.js'
import { cachedClient, countingClient, uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()

describe.each(PROVIDERS)('backgroundFill on %s', (provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  /** One instance: its own L1, the shared Redis behind a wrapper that can delay L2 calls. */
  const instance = (redis: RedisCache, options: { backgroundFill?: boolean; l2DelayMs?: number } = {}) => {
    const l2 = new WrappedCache(redis)
    l2.delayMs = options.l2DelayMs ?? 0
    const cache = new TieredCache(new MemoryCache(), l2)
    const counting = countingClient(db)
    const { prisma, counter } = cachedClient(
      db,
      cache,
      options.backgroundFill === undefined ? {} : { backgroundFill: options.backgroundFill },
      counting,
    )
    return { prisma, counter, cache, l2 }
  }
  const seedUser = () => db.createClient().user.create({ data: { email: `bg-${provider}@example.com`, name: 'Ada' } })

  it('a miss resolves before the L2 write; flush() waits for it; with backgroundFill: false the read waits', async () => {
    const user = await seedUser()
    const redis = new RedisCache({ client: redisClient(), prefix: uniquePrefix() })
    const a = instance(redis, { l2DelayMs: 40 })
    const key =
      a.prisma.$cache.namespace + a.prisma.$cache.keyFor('User', 'findUnique', { where: { id: user.id } }).toString()
    expect((await a.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('Ada')
    expect(await a.cache.l1.has(key)).toBe(true)
    expect(await redis.has(key)).toBe(false)
    await a.prisma.$cache.flush()
    expect(await redis.has(key)).toBe(true)

    const b = instance(new RedisCache({ client: redisClient(), prefix: uniquePrefix() }), {
      l2DelayMs: 40,
      backgroundFill: false,
    })
    await b.prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    expect(await b.cache.l2.inner.has(key)).toBe(true)
  })

  it('L2 stores what the database returned, even when the caller mutates its result at once', async () => {
    const user = await seedUser()
    const redis = new RedisCache({ client: redisClient(), prefix: uniquePrefix() })
    const a = instance(redis, { l2DelayMs: 20 })
    const result = await a.prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    result!.name = 'MUTATED BY CALLER'
    await a.prisma.$cache.flush()
    const b = instance(redis)
    const fromL2 = await b.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).withCacheInfo()
    expect(fromL2.info.source).toBe('l2')
    expect(fromL2.data?.name).toBe('Ada')
  })

  it("a background write landing after another instance's update is stale: the next reader gets the new row", async () => {
    const user = await seedUser()
    const redis = new RedisCache({ client: redisClient(), prefix: uniquePrefix() })
    const a = instance(redis, { l2DelayMs: 150 })
    const b = instance(redis)
    expect((await a.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('Ada')
    // A's L2 write is still waiting; B's update invalidates in Redis now (B has nothing in flight to wait for).
    await b.prisma.user.update({ where: { id: user.id }, data: { name: 'Grace' } })
    await a.prisma.$cache.flush()
    const c = instance(redis)
    const read = await c.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).withCacheInfo()
    expect(read.data?.name).toBe('Grace')
    expect(read.info.source).toBe('db')
    expect(c.counter.queries).toBe(1)
  })
  it('a reader whose lookup missed before a fill landed, answered after the flight ended, reads that fill: one query', async () => {
    const user = await seedUser()
    const redis = new RedisCache({ client: redisClient(), prefix: uniquePrefix() })
    const a = instance(redis)
    // B's L2 read misses, then is held; meanwhile A queries and fills; then B's answer (a miss) arrives.
    let release!: () => void
    a.l2.gate = new Promise<void>((resolve) => (release = resolve))
    a.l2.log.length = 0
    const late = a.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).withCacheInfo()
    // Once its L2 read has been called, it is held by the gate whatever the machine's load (no fixed sleep).
    await eventually(() => a.l2.log.includes('get'), "the first reader's L2 read")
    a.l2.gate = undefined
    expect((await a.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('Ada')
    release()
    const read = await late
    expect(read.data?.name).toBe('Ada')
    expect(read.info.source).toBe('l1')
    expect(a.counter.queries).toBe(1)
  })

  it('a key missed again soon after its fill (the entry deleted meanwhile) is read from the cache once, then queried', async () => {
    const user = await seedUser()
    const a = instance(new RedisCache({ client: redisClient(), prefix: uniquePrefix() }))
    const args = { where: { id: user.id } }
    await a.prisma.user.findUnique({ ...args, cache: 60 })
    await a.prisma.$cache.flush()
    await a.prisma.$cache.invalidate({ keys: [a.prisma.$cache.keyFor('User', 'findUnique', args)] })
    a.l2.log.length = 0
    const read = await a.prisma.user.findUnique({ ...args, cache: 60 }).withCacheInfo()
    expect(read.info.source).toBe('db')
    expect(a.l2.log.filter((call) => call === 'get')).toHaveLength(1)
    expect(a.counter.queries).toBe(2)
  })
})
