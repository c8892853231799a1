/** Operating knobs: configuration from the environment, warming. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheOptionsFromEnv, MemoryCache, NoopCache, TieredCache } from '../../src/index.js'
import { useDatabase } from '../support/use-database.js'
import { type RedisService, startRedis } from '../support/redis.js'
import { cachedClient, countingClient } from './stack.js'

describe('cacheOptionsFromEnv', () => {
  let redis: RedisService
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => redis?.stop())

  it('builds L1 only, tiered with a bus, or off, from the environment', async () => {
    expect(cacheOptionsFromEnv({}).cache).toBeInstanceOf(MemoryCache)
    expect(cacheOptionsFromEnv({ PRISMA_CACHE_ENABLED: 'false' }).cache).toBeInstanceOf(NoopCache)
    const options = cacheOptionsFromEnv({
      PRISMA_CACHE_REDIS_URL: redis.url,
      PRISMA_CACHE_PREFIX: 'env:',
      PRISMA_CACHE_TTL: '30',
      PRISMA_CACHE_SWR: '5',
      PRISMA_CACHE_AUTO: '1',
      PRISMA_CACHE_L1_TTL: '10',
    })
    const tiered = options.cache as TieredCache
    try {
      expect(tiered).toBeInstanceOf(TieredCache)
      expect(tiered.options.l1Ttl).toBe(10)
      expect(tiered.bus).toBeDefined()
      expect(options).toMatchObject({ ttl: 30, swr: 5, auto: true })
      await tiered.set('k', 1, { ttl: 60 })
      expect((await tiered.l2.get('k'))?.value).toBe(1)
      expect(cacheOptionsFromEnv({ PRISMA_CACHE_TTL: '30' }, { ttl: 99 }).ttl).toBe(99)
      expect(cacheOptionsFromEnv({ PRISMA_CACHE_BACKGROUND_FILL: 'false' }).backgroundFill).toBe(false)
      expect(cacheOptionsFromEnv({}).backgroundFill).toBeUndefined()
    } finally {
      await tiered.close()
    }
  })

  it('reports every invalid variable at once, at start-up', () => {
    expect(() =>
      cacheOptionsFromEnv({
        PRISMA_CACHE_TTL: '-1',
        PRISMA_CACHE_ENABLED: 'maybe',
        PRISMA_CACHE_REDIS_URL: 'http://x',
        PRISMA_CACHE_PREFIX: 'a{b}',
      }),
    ).toThrow(
      /PRISMA_CACHE_ENABLED="maybe": expected true, false, 1 or 0\n {2}PRISMA_CACHE_REDIS_URL="http:\/\/x": expected a redis:\/\/ or rediss:\/\/ URL\n {2}PRISMA_CACHE_PREFIX="a\{b\}".*\n {2}PRISMA_CACHE_TTL="-1": expected a number of seconds > 0/,
    )
  })

  it('accepts only true, false, 1 and 0 for a switch (yes, on, off are errors, not guesses)', () => {
    for (const raw of ['TRUE', '1', 'false', '0'])
      expect(() => cacheOptionsFromEnv({ PRISMA_CACHE_ENABLED: raw })).not.toThrow()
    for (const raw of ['yes', 'on', 'off', 'no', 'ture']) {
      expect(() => cacheOptionsFromEnv({ PRISMA_CACHE_ENABLED: raw }), raw).toThrow(
        `PRISMA_CACHE_ENABLED=${JSON.stringify(raw)}: expected true, false, 1 or 0`,
      )
      expect(() => cacheOptionsFromEnv({ PRISMA_CACHE_BUS: raw }), raw).toThrow(
        `PRISMA_CACHE_BUS=${JSON.stringify(raw)}`,
      )
    }
  })
})

describe('prisma.$cache.warm (SQLite)', () => {
  const db = useDatabase('sqlite')

  it('runs reads with bounded concurrency and stores them; failures are reported, not thrown', async () => {
    const plain = db.createClient()
    const users = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => plain.user.create({ data: { email: `w${n}@example.com` } })),
    )
    const { prisma, counter } = cachedClient(db, new MemoryCache(), {}, countingClient(db))
    const result = await prisma.$cache.warm(
      [
        ...users.map((u) => ({ model: 'User', operation: 'findUnique' as const, args: { where: { id: u.id } } })),
        { model: 'User', operation: 'count' as const, cache: 30 },
        { model: 'Nope', operation: 'findMany' as const },
      ],
      { concurrency: 2 },
    )
    expect(result.warmed).toBe(6)
    expect(result.failed).toHaveLength(1)
    expect(String(result.failed[0]?.error)).toMatch(/unknown model "Nope"/)
    const before = counter.queries
    for (const u of users) await prisma.user.findUnique({ where: { id: u.id }, cache: 60 })
    expect(await prisma.user.count({ cache: 30 })).toBe(5)
    expect(counter.queries).toBe(before)
    await expect(prisma.$cache.warm([], { concurrency: 0 })).rejects.toThrow(/concurrency must be an integer >= 1/)
  })
})
