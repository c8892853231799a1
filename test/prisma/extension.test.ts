import { beforeEach, describe, expect, it } from 'vitest'
import { CacheTierError, EntityTag, MemoryCache, NoopCache, RedisCache, TieredCache } from '../../src/index.js'
import { PROVIDERS, Prisma, type Provider } from '../support/database.js'
import { eventually } from '../support/eventually.js'
import { useDatabase } from '../support/use-database.js'
import { startRedisServer } from '../support/redis.js'
import { buildCache, cachedClient, secondInstance, TIERS, type Tiers, uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()

describe.each(PROVIDERS)('cacheExtension on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  async function seed() {
    const plain = db.createClient()
    const ada = await plain.user.create({
      data: {
        email: 'ada@example.com',
        name: 'Ada',
        balance: new Prisma.Decimal('12.34'),
        karma: 9007199254740993n,
        settings: { theme: 'dark' },
        avatar: new Uint8Array([1, 2, 3]),
      },
    })
    const bob = await plain.user.create({ data: { email: 'bob@example.com', name: 'Bob', invitedById: ada.id } })
    const post = await plain.post.create({
      data: {
        title: 'Hello',
        slug: 'hello',
        authorId: ada.id,
        price: new Prisma.Decimal('9.99'),
        tags: { create: [{ name: 'intro' }] },
      },
    })
    await plain.post.create({ data: { title: 'Second', slug: 'second', authorId: bob.id, published: true } })
    const org = await plain.organization.create({ data: { name: 'Acme' } })
    await plain.membership.create({ data: { userId: ada.id, orgId: org.id } })
    return { ada, bob, post, org }
  }

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    const redisFor = () => (tiers === 'memory+redis' ? redisClient() : undefined)

    it('serves every read operation from the cache on the second call, with results equal to the uncached ones', async () => {
      const { ada, org } = await seed()
      const { prisma, counter } = cachedClient(db, buildCache(tiers, redisFor()))
      const plain = db.createClient()
      const reads = {
        findUnique: () => prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }),
        findUniqueInclude: () =>
          prisma.user.findUnique({
            where: { id: ada.id },
            include: { posts: { include: { tags: true } }, profile: true, _count: true },
            cache: 60,
          }),
        findUniqueOrThrow: () => prisma.user.findUniqueOrThrow({ where: { email: 'ada@example.com' }, cache: 60 }),
        compoundId: () =>
          prisma.membership.findUnique({ where: { userId_orgId: { userId: ada.id, orgId: org.id } }, cache: 60 }),
        compoundUnique: () =>
          prisma.post.findUnique({
            where: { authorId_slug: { authorId: ada.id, slug: 'hello' } },
            select: { id: true, title: true, price: true },
            cache: 60,
          }),
        findFirst: () => prisma.post.findFirst({ where: { published: true }, cache: 60 }),
        findFirstOrThrow: () => prisma.post.findFirstOrThrow({ where: { author: { name: 'Ada' } }, cache: 60 }),
        findMany: () => prisma.post.findMany({ orderBy: { id: 'asc' }, include: { author: true }, cache: { ttl: 30 } }),
        count: () => prisma.user.count({ where: { posts: { some: { published: true } } }, cache: 60 }),
        aggregate: () =>
          prisma.user.aggregate({ _sum: { balance: true, karma: true }, _max: { createdAt: true }, cache: 60 }),
        groupBy: () =>
          prisma.post.groupBy({ by: ['authorId'], _count: { _all: true }, orderBy: { authorId: 'asc' }, cache: 60 }),
      }
      const expected = {
        findUnique: await plain.user.findUnique({ where: { id: ada.id } }),
        findUniqueInclude: await plain.user.findUnique({
          where: { id: ada.id },
          include: { posts: { include: { tags: true } }, profile: true, _count: true },
        }),
        findUniqueOrThrow: await plain.user.findUniqueOrThrow({ where: { email: 'ada@example.com' } }),
        compoundId: await plain.membership.findUnique({ where: { userId_orgId: { userId: ada.id, orgId: org.id } } }),
        compoundUnique: await plain.post.findUnique({
          where: { authorId_slug: { authorId: ada.id, slug: 'hello' } },
          select: { id: true, title: true, price: true },
        }),
        findFirst: await plain.post.findFirst({ where: { published: true } }),
        findFirstOrThrow: await plain.post.findFirstOrThrow({ where: { author: { name: 'Ada' } } }),
        findMany: await plain.post.findMany({ orderBy: { id: 'asc' }, include: { author: true } }),
        count: await plain.user.count({ where: { posts: { some: { published: true } } } }),
        aggregate: await plain.user.aggregate({ _sum: { balance: true, karma: true }, _max: { createdAt: true } }),
        groupBy: await plain.post.groupBy({ by: ['authorId'], _count: { _all: true }, orderBy: { authorId: 'asc' } }),
      }
      for (const [name, read] of Object.entries(reads)) {
        const before = counter.queries
        const first = await read()
        const second = await read()
        expect(first, name).toEqual(expected[name as keyof typeof expected])
        expect(second, name).toEqual(first)
        expect(counter.queries - before, `${name}: one database query for two reads`).toBe(1)
      }
      const hit = await reads.findUnique()
      expect(hit?.balance).toBeInstanceOf(Prisma.Decimal)
      expect(typeof hit?.karma).toBe('bigint')
      expect(hit?.avatar).toBeInstanceOf(Uint8Array)
      expect(hit?.createdAt).toBeInstanceOf(Date)
    })

    it('an L2 hit on another instance returns the same values with the same types', async () => {
      if (tiers === 'memory') return
      const { ada } = await seed()
      const first = cachedClient(db, buildCache(tiers, redisFor()))
      const args = { where: { id: ada.id }, include: { posts: true } } as const
      const fromDb = await first.prisma.user.findUnique({ ...args, cache: 60 })
      await first.prisma.$cache.flush() // the L2 write of a miss runs in the background (backgroundFill)
      const second = cachedClient(db, secondInstance(first.cache))
      const fromL2 = await second.prisma.user.findUnique({ ...args, cache: 60 })
      expect(second.counter.queries).toBe(0)
      expect(fromL2).toEqual(fromDb)
      expect(fromL2?.balance).toBeInstanceOf(Prisma.Decimal)
      expect(fromL2?.posts[0]?.price).toBeInstanceOf(Prisma.Decimal)
      expect(fromL2?.avatar).toBeInstanceOf(Uint8Array)
    })

    it('cache: false reads and stores nothing; reads without a cache argument are not cached by default', async () => {
      const { ada } = await seed()
      const { prisma, counter, cache } = cachedClient(db, buildCache(tiers, redisFor()))
      await prisma.user.findUnique({ where: { id: ada.id }, cache: false })
      await prisma.user.findUnique({ where: { id: ada.id }, cache: false })
      await prisma.user.findUnique({ where: { id: ada.id } })
      expect(counter.queries).toBe(3)
      expect(await cache.size()).toBe(0)
      await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 })
      await prisma.user.findUnique({ where: { id: ada.id }, cache: false })
      expect(counter.queries).toBe(5)
      expect(prisma.$cache.stats().models['User']?.bypasses).toBe(4)
    })

    it('N concurrent identical misses run one database query', async () => {
      const { ada } = await seed()
      const { prisma, counter } = cachedClient(db, buildCache(tiers, redisFor()))
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          prisma.user.findUnique({ where: { id: ada.id }, include: { posts: true }, cache: 60 }),
        ),
      )
      expect(counter.queries).toBe(1)
      for (const r of results) expect(r).toEqual(results[0])
      results[0]!.posts.length = 0
      expect(results[1]!.posts.length).toBe(1)
    })

    it('invalidates through prisma.$cache by tag, pattern and key, and clears', async () => {
      const { ada, bob } = await seed()
      const { prisma, counter } = cachedClient(db, buildCache(tiers, redisFor()))
      const read = (id: number) => prisma.user.findUnique({ where: { id }, cache: 60 })
      await read(ada.id)
      await read(bob.id)
      await prisma.$cache.invalidate({ tags: [EntityTag.record('User', { id: ada.id })] })
      await read(ada.id)
      await read(bob.id)
      expect(counter.queries).toBe(3)
      await prisma.$cache.invalidate({ tags: ['User'] })
      await read(bob.id)
      expect(counter.queries).toBe(4)
      await prisma.$cache.invalidate({ patterns: ['User:*'] })
      await read(bob.id)
      expect(counter.queries).toBe(5)
      await prisma.$cache.invalidate({ keys: [prisma.$cache.keyFor('User', 'findUnique', { where: { id: bob.id } })] })
      await read(bob.id)
      expect(counter.queries).toBe(6)
      await prisma.$cache.clear()
      await read(bob.id)
      expect(counter.queries).toBe(7)
      const stats = prisma.$cache.stats()
      expect(stats.models['User']).toMatchObject({ hits: 1, misses: 7 })
    })

    it('cached reads work inside $transaction([...]) and reads inside interactive transactions bypass the cache', async () => {
      const { ada } = await seed()
      const { prisma, counter } = cachedClient(db, buildCache(tiers, redisFor()))
      await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 })
      const [user, count] = await prisma.$transaction([
        prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }),
        prisma.user.count({ cache: 60 }),
      ])
      expect(user?.id).toBe(ada.id)
      expect(count).toBe(2)
      const inside = await prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: ada.id }, data: { name: 'Ada (draft)' } })
        return tx.user.findUnique({ where: { id: ada.id }, cache: 60 })
      })
      expect(inside?.name).toBe('Ada (draft)')
      expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.name).toBe('Ada (draft)')
      expect(counter.operations.filter((op) => op === 'User.findUnique').length).toBe(4)
    })
  })

  describe('options', () => {
    it('per-model defaults: models with settings are cached without a cache argument, false never', async () => {
      const { ada } = await seed()
      const { prisma, counter } = cachedClient(db, new MemoryCache(), {
        models: { User: { ttl: 300 }, AuditLog: false },
      })
      await prisma.user.findUnique({ where: { id: ada.id } })
      const hit = await prisma.user.findUnique({ where: { id: ada.id } })
      expect(counter.queries).toBe(1)
      expect(hit?.id).toBe(ada.id)
      // A model set to false is never cached: reads without `cache` (or with cache: false) query each time...
      await prisma.auditLog.findMany()
      await prisma.auditLog.findMany({ cache: false })
      expect(counter.queries).toBe(3)
      // ...and a read that asks for caching is an error, not a silent bypass, before the database is touched.
      await expect(prisma.auditLog.findMany({ cache: 60 })).rejects.toThrow(
        /AuditLog\.findMany passes `cache`, but cacheExtension\(\{ models: \{ AuditLog: false \} \}\) says this model is never cached/,
      )
      expect(counter.queries).toBe(3)
      await prisma.post.findMany()
      await prisma.post.findMany()
      expect(counter.queries).toBe(5)
    })

    it('auto: true caches every read with the default TTL', async () => {
      await seed()
      const { prisma, counter } = cachedClient(db, new MemoryCache(), { auto: true, ttl: 120 })
      await prisma.post.findMany()
      await prisma.post.findMany()
      expect(counter.queries).toBe(1)
      const key = prisma.$cache.keyFor('Post', 'findMany', {})
      expect(key.toString()).toMatch(/^Post:findMany\|/)
    })

    it('rejects invalid cache arguments naming model, operation and field, before the database is touched', async () => {
      const { prisma, counter } = cachedClient(db, new MemoryCache())
      const bad: Array<[unknown, RegExp]> = [
        [-1, /User\.findUnique: cache must be a finite number of seconds > 0, got -1/],
        [Number.NaN, /got NaN/],
        [Number.POSITIVE_INFINITY, /got Infinity/],
        ['60', /cache must be a number of seconds, false, or \{ ttl\?, swr\?, tags\?, key\? \}; got "60"/],
        [{ ttl: 0 }, /cache\.ttl must be a finite number of seconds > 0, got 0/],
        [{ ttl: 10, stale: 5 }, /unknown field "stale"/],
        [{ ttl: 10, tags: 'User' }, /cache\.tags: tags must be an array/],
        [{ ttl: 10, swr: -1 }, /cache\.swr/],
        [{ ttl: 10, key: 5 }, /cache\.key must be a non-empty string/],
      ]
      for (const [cache, message] of bad) {
        await expect(prisma.user.findUnique({ where: { id: 1 }, cache: cache as number })).rejects.toThrow(message)
      }
      await expect(prisma.post.findMany({ cache: { ttl: -5 } })).rejects.toThrow(/Post\.findMany: cache\.ttl/)
      expect(counter.queries).toBe(0)
      expect(() => cachedClient(db, new MemoryCache(), { models: { Usr: { ttl: 5 } } }).prisma.user).toThrow(
        /names "Usr", which is not a model of this schema/,
      )
      expect(() => cachedClient(db, new MemoryCache(), { ttl: -1 })).toThrow(
        /cacheExtension\(\{ ttl \}\) must be a finite number of seconds > 0, got -1/,
      )
      expect(() => cachedClient(db, new MemoryCache(), { backgroundFill: 'yes' as unknown as boolean })).toThrow(
        /cacheExtension\(\{ backgroundFill \}\): must be a boolean/,
      )
    })

    it("rejects a TTL above the backend's maxTtl like any bad value: at start-up for defaults, before the query for a read", async () => {
      const small = () => new MemoryCache({ maxTtl: 100 })
      const { prisma, counter } = cachedClient(db, small())
      await expect(prisma.user.findMany({ cache: 101 })).rejects.toThrow(
        /User\.findMany: ttl \+ swr \(101s\) exceeds the cache's maxTtl of 100s/,
      )
      await expect(prisma.user.findMany({ cache: { ttl: 60, swr: 41 } })).rejects.toThrow(/ttl \+ swr \(101s\)/)
      expect(counter.queries).toBe(0)
      await prisma.user.findMany({ cache: { ttl: 60, swr: 40 } })
      expect(counter.queries).toBe(1)
      expect(() => cachedClient(db, small(), { ttl: 200 })).toThrow(
        /cacheExtension\(\{ ttl \}\): ttl \+ swr \(200s\) exceeds the cache's maxTtl of 100s/,
      )
      expect(() => cachedClient(db, small(), { models: { User: { ttl: 90, swr: 20 } } }).prisma.user).toThrow(
        /models\.User/,
      )
    })

    it('a value over the size limit is not cached (counted), never an error', async () => {
      const { ada } = await seed()
      const cache = new MemoryCache({ maxSize: 100_000, maxEntrySize: 100 })
      const { prisma, counter } = cachedClient(db, cache)
      expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.id).toBe(ada.id)
      expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.id).toBe(ada.id)
      expect(counter.queries).toBe(2)
      // Refused once; the second result of that key was not offered again (remembered as too large).
      expect(cache.stats().rejectedTooLarge).toBe(1)
      expect(prisma.$cache.stats().models['User']?.tooLarge).toBe(2)
    })

    it('a stopped Redis never fails a query; a required L2 does', async () => {
      const { ada } = await seed()
      const server = await startRedisServer()
      // One instance: no bus (with one, as by default, L1 is not trusted while Redis is down, so the second read
      // below would query too — answered all the same: test/bus, test/prisma/multi-process).
      const optional = new TieredCache(
        new MemoryCache(),
        new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 200 }),
        { bus: false },
      )
      const required = new TieredCache(
        new NoopCache(),
        new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 200 }),
        { l2Required: true },
      )
      try {
        await server.stop()
        const a = cachedClient(db, optional)
        expect((await a.prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.id).toBe(ada.id)
        expect((await a.prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.id).toBe(ada.id)
        expect(a.counter.queries).toBe(1)
        await a.prisma.user.update({ where: { id: ada.id }, data: { name: 'Ada L.' } })
        expect((await a.prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.name).toBe('Ada L.')
        const b = cachedClient(db, required)
        await expect(b.prisma.user.findUnique({ where: { id: ada.id }, cache: 60 })).rejects.toBeInstanceOf(
          CacheTierError,
        )
      } finally {
        await optional.close()
        await required.close()
        await server.stop()
      }
    })

    it('a bare RedisCache that is down fails neither reads nor writes, and its missed invalidations are replayed', async () => {
      const { ada } = await seed()
      const server = await startRedisServer()
      const l2 = new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 200 })
      try {
        const { prisma } = cachedClient(db, l2)
        expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.name).toBe('Ada')
        await server.stop()
        await prisma.user.update({ where: { id: ada.id }, data: { name: 'Ada while down' } })
        expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.name).toBe('Ada while down')
        expect((await prisma.$cache.health()).l2?.pendingInvalidations).toBe(1)
        await server.start()
        // The restarted server is empty here, but the replay is what matters: nothing stale is read meanwhile.
        await eventually(
          async () => (await prisma.$cache.health()).l2?.pendingInvalidations === 0,
          'the missed invalidation replayed',
        )
        expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.name).toBe('Ada while down')
      } finally {
        await l2.close()
        await server.stop()
      }
    })

    it.each([true, false])(
      'a serializer failure never fails the query (backgroundFill: %s)',
      async (backgroundFill) => {
        const { ada } = await seed()
        const l2 = new RedisCache({
          client: redisClient(),
          prefix: uniquePrefix(),
          serializer: {
            serialize: () => {
              throw new Error('boom')
            },
            deserialize: () => null,
          },
        })
        const errors: unknown[] = []
        const { prisma } = cachedClient(db, l2, { onError: (e) => errors.push(e), backgroundFill })
        expect((await prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }))?.id).toBe(ada.id)
        await prisma.$cache.flush()
        expect(errors).toHaveLength(1)
        expect(prisma.$cache.stats().cache.errors).toBe(1)
      },
    )
  })
})
