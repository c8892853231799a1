/**
 * withAccelerate (`prisma-tiered-cache/accelerate`): Accelerate's cache API on real databases, with and without
 * Redis. cacheStatus miss → ttl, swr inside the window, none without a strategy; tags and invalidateAll on every
 * instance; bad strategies and tags rejected before any query; writes invalidate (or not, invalidateOnWrite: false).
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { withAccelerate, type WithAccelerateOptions } from '../../src/prisma/accelerate.js'
import { type CacheBackend, MemoryCache, RedisBus, RedisCache, TieredCache } from '../../src/index.js'
import { portableSql, PROVIDERS, type Provider, type TestDatabase } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { buildCache, countingClient, type CountingClient, TIERS, type Tiers, uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
// SQLite, PostgreSQL and MariaDB, as the other Prisma-layer suites.
const ACCELERATE_PROVIDERS: readonly Provider[] = PROVIDERS

describe.each(ACCELERATE_PROVIDERS)('withAccelerate on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  const seed = async () => {
    const plain = db.createClient()
    const ada = await plain.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
    await plain.post.create({ data: { title: 'First', slug: 'first', published: true, authorId: ada.id } })
    await plain.post.create({ data: { title: 'Second', slug: 'second', published: true, authorId: ada.id } })
    return ada
  }

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    function accelerated(
      options: Omit<WithAccelerateOptions, 'cache'> = {},
      counting: CountingClient = countingClient(db),
    ) {
      const cache = buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined)
      return {
        prisma: counting.base.$extends(withAccelerate({ ...options, cache })),
        counter: counting.counter,
        plain: counting.base,
      }
    }

    it('miss, then ttl (no query); none without a strategy; the same results as Prisma', async () => {
      const ada = await seed()
      const { prisma, counter, plain } = accelerated()
      const args = { where: { published: true }, orderBy: { id: 'asc' }, include: { author: true } } as const
      const started = Date.now()
      const first = await prisma.post.findMany({ ...args, cacheStrategy: { ttl: 60 } }).withAccelerateInfo()
      expect(first.info.cacheStatus).toBe('miss')
      expect(first.info.lastModified.getTime()).toBeGreaterThanOrEqual(started - 5)
      expect(first.info).toMatchObject({ region: 'local', signature: expect.stringMatching(/^Post:/) })
      expect(first.data).toEqual(await plain.post.findMany(args))
      await prisma.$cache.flush()
      const queries = counter.queries
      const second = await prisma.post.findMany({ ...args, cacheStrategy: { ttl: 60 } }).withAccelerateInfo()
      expect(second.info.cacheStatus).toBe('ttl')
      expect(counter.queries).toBe(queries)
      expect(second.data).toEqual(first.data)
      // The fill time, not now (tolerance: L2's remaining TTL is read in whole milliseconds).
      expect(Math.abs(second.info.lastModified.getTime() - first.info.lastModified.getTime())).toBeLessThan(1000)
      expect(second.info.signature).toBe(first.info.signature)
      expect(second.info.requestId).not.toBe(first.info.requestId)
      // Awaited directly: the data alone, as Prisma's.
      expect(await prisma.post.findMany({ ...args, cacheStrategy: { ttl: 60 } })).toEqual(first.data)
      // Every supported operation answers through the cache.
      const reads = [
        () => prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }),
        () => prisma.user.findUniqueOrThrow({ where: { email: 'ada@example.com' }, cacheStrategy: { ttl: 60 } }),
        () => prisma.user.findFirst({ where: { name: 'Ada' }, cacheStrategy: { ttl: 60 } }),
        () => prisma.user.findFirstOrThrow({ cacheStrategy: { ttl: 60 } }),
        () => prisma.post.count({ where: { published: true }, cacheStrategy: { ttl: 60 } }),
        () => prisma.post.aggregate({ _max: { id: true }, cacheStrategy: { ttl: 60 } }),
        () => prisma.post.groupBy({ by: ['authorId'], _count: { _all: true }, cacheStrategy: { ttl: 60 } }),
      ]
      for (const read of reads) expect((await read().withAccelerateInfo()).info.cacheStatus).toBe('miss')
      for (const read of reads) expect((await read().withAccelerateInfo()).info.cacheStatus).toBe('ttl')
      // The fluent API: the same read selecting the relation, cached as that read.
      const fluent = () =>
        prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }).posts({ orderBy: { id: 'asc' } })
      expect((await fluent().withAccelerateInfo()).info.cacheStatus).toBe('miss')
      const fluentHit = await fluent().withAccelerateInfo()
      expect(fluentHit.info.cacheStatus).toBe('ttl')
      expect(fluentHit.data?.map((post) => post.title)).toEqual(['First', 'Second'])
      // In a batch transaction: Prisma's own queries, in the batch.
      const [count, found] = await prisma.$transaction([
        prisma.post.count({ cacheStrategy: { ttl: 60 } }),
        prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }),
      ])
      expect([count, found?.name]).toEqual([2, 'Ada'])
      // No strategy, or one with neither ttl nor swr: not cached, a query each time.
      for (const cacheStrategy of [undefined, {}, { tags: ['posts'] }, { ttl: 0, swr: 0 }]) {
        const before = counter.queries
        const none = await prisma.post
          .findMany({ ...args, ...(cacheStrategy ? { cacheStrategy } : {}) })
          .withAccelerateInfo()
        expect(none.info.cacheStatus).toBe('none')
        expect(none.info.signature).toBe(first.info.signature)
        expect(counter.queries).toBe(before + 1)
      }
    })

    it('swr: after the ttl and within swr the stale result at once ("swr"), one refresh, then fresh ("ttl")', async () => {
      const ada = await seed()
      const { prisma, counter } = accelerated()
      const read = () =>
        prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 0.3, swr: 10 } }).withAccelerateInfo()
      expect((await read()).info.cacheStatus).toBe('miss')
      expect((await read()).info.cacheStatus).toBe('ttl')
      // A change behind the cache's back: only the ttl brings it in.
      await db.query(portableSql(provider, 'UPDATE "User" SET "name" = $1 WHERE "id" = $2'), ['Ada v2', ada.id])
      await sleep(400)
      const before = counter.queries
      const stale = await Promise.all(Array.from({ length: 5 }, () => read()))
      for (const { data, info } of stale) {
        expect(info.cacheStatus).toBe('swr')
        expect(data?.name).toBe('Ada')
      }
      let fresh = stale[0]!
      for (let i = 0; i < 200 && fresh.data?.name !== 'Ada v2'; i++) {
        await sleep(10)
        fresh = await read()
      }
      expect(fresh.data?.name).toBe('Ada v2')
      expect(fresh.info.cacheStatus).toBe('ttl')
      expect(counter.queries - before).toBe(1)
    })

    it('swr alone: served from the cache every time, each stale hit refreshing in the background', async () => {
      const ada = await seed()
      const { prisma } = accelerated()
      const read = () =>
        prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { swr: 60 } }).withAccelerateInfo()
      expect((await read()).info.cacheStatus).toBe('miss')
      await prisma.$cache.flush()
      await db.query(portableSql(provider, 'UPDATE "User" SET "name" = $1 WHERE "id" = $2'), ['Ada v2', ada.id])
      const second = await read()
      expect(second.info.cacheStatus).toBe('swr')
      expect(second.data?.name).toBe('Ada')
      let latest = second
      for (let i = 0; i < 200 && latest.data?.name !== 'Ada v2'; i++) {
        await sleep(10)
        latest = await read()
      }
      expect(latest).toMatchObject({ data: { name: 'Ada v2' }, info: { cacheStatus: 'swr' } })
      // Back to back, within the same millisecond as the fill: stale all the same.
      const count = () => prisma.post.count({ cacheStrategy: { swr: 60 } }).withAccelerateInfo()
      expect([(await count()).info.cacheStatus, (await count()).info.cacheStatus]).toEqual(['miss', 'swr'])
    })

    it('writes invalidate what they changed (Accelerate did not): the next read is a miss with the new row', async () => {
      const ada = await seed()
      const { prisma } = accelerated()
      const read = () =>
        prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }).withAccelerateInfo()
      await read()
      expect((await read()).info.cacheStatus).toBe('ttl')
      await prisma.user.update({ where: { id: ada.id }, data: { name: 'Ada Lovelace' } })
      expect(await read()).toMatchObject({ data: { name: 'Ada Lovelace' }, info: { cacheStatus: 'miss' } })
      // Inside an interactive transaction: the database, uncached; its write invalidates at the commit.
      await prisma.$transaction(async (tx) => {
        const inside = await tx.user
          .findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } })
          .withAccelerateInfo()
        expect(inside.info.cacheStatus).toBe('none')
        await tx.user.update({ where: { id: ada.id }, data: { name: 'Countess' } })
      })
      expect(await read()).toMatchObject({ data: { name: 'Countess' }, info: { cacheStatus: 'miss' } })
    })

    it("invalidateOnWrite: false keeps results until their ttl (Accelerate's behaviour); $accelerate.invalidate removes them", async () => {
      const ada = await seed()
      const { prisma } = accelerated({ invalidateOnWrite: false })
      const read = () =>
        prisma.user
          .findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60, tags: ['user_ada'] } })
          .withAccelerateInfo()
      await read()
      await prisma.user.update({ where: { id: ada.id }, data: { name: 'Ada Lovelace' } })
      expect(await read()).toMatchObject({ data: { name: 'Ada' }, info: { cacheStatus: 'ttl' } })
      expect(await prisma.$accelerate.invalidate({ tags: ['user_ada'] })).toEqual({ requestId: expect.any(String) })
      expect(await read()).toMatchObject({ data: { name: 'Ada Lovelace' }, info: { cacheStatus: 'miss' } })
    })

    it('invalidate({ tags }) drops the results carrying a tag, not the others; a user tag never meets a model tag', async () => {
      const ada = await seed()
      const { prisma } = accelerated()
      const posts = () =>
        prisma.post
          .findMany({ orderBy: { id: 'asc' }, cacheStrategy: { ttl: 60, tags: ['posts', 'feed'] } })
          .withAccelerateInfo()
      const user = () =>
        prisma.user
          .findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60, tags: ['User'] } })
          .withAccelerateInfo()
      const count = () => prisma.post.count({ cacheStrategy: { ttl: 60 } }).withAccelerateInfo()
      for (const read of [posts, user, count]) await read()
      const { requestId } = await prisma.$accelerate.invalidate({ tags: ['feed'] })
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect((await posts()).info.cacheStatus).toBe('miss')
      expect((await user()).info.cacheStatus).toBe('ttl')
      expect((await count()).info.cacheStatus).toBe('ttl')
      // The user's tag "User" is not the model tag User: posts (which read no User) stay, and so does the count.
      await posts()
      await prisma.$accelerate.invalidate({ tags: ['User'] })
      expect((await user()).info.cacheStatus).toBe('miss')
      expect((await posts()).info.cacheStatus).toBe('ttl')
      // The engine's name for a user tag is `#tag`: prisma.$cache.invalidate reaches it too.
      await prisma.$cache.invalidate({ tags: ['#posts'] })
      expect((await posts()).info.cacheStatus).toBe('miss')
      await prisma.$accelerate.invalidate({ tags: [] })
      expect((await posts()).info.cacheStatus).toBe('ttl')
    })

    it('invalidateAll drops every cached result', async () => {
      const ada = await seed()
      const { prisma } = accelerated()
      const reads = [
        () => prisma.post.findMany({ cacheStrategy: { ttl: 60, tags: ['posts'] } }).withAccelerateInfo(),
        () => prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }).withAccelerateInfo(),
        () => prisma.post.aggregate({ _count: { _all: true }, cacheStrategy: { swr: 60 } }).withAccelerateInfo(),
      ]
      for (const read of reads) await read()
      expect(await prisma.$accelerate.invalidateAll()).toEqual({ requestId: expect.any(String) })
      for (const read of reads) expect((await read()).info.cacheStatus).toBe('miss')
    })

    it('bad strategies and tags are rejected, naming the field or the tag, before any query', async () => {
      await seed()
      const { prisma, counter } = accelerated()
      const before = counter.queries
      const bad: Array<[unknown, RegExp]> = [
        [
          { ttl: -1 },
          /invalid `cacheStrategy` on Post\.findMany: cacheStrategy\.ttl must be a finite number of seconds >= 0, got -1/,
        ],
        [{ ttl: Number.NaN }, /cacheStrategy\.ttl must be/],
        [{ swr: '60' }, /cacheStrategy\.swr must be a finite number of seconds >= 0, got "60"/],
        [{ ttl: 60, stale: 5 }, /unknown field "stale" \(allowed: ttl, swr, tags\)/],
        [60, /cacheStrategy must be \{ ttl\?, swr\?, tags\? \}, got 60/],
        [
          { ttl: 60, tags: ['posts', 'bad-tag'] },
          /cacheStrategy\.tags\[1\] "bad-tag" is not a valid tag: 1 to 64 letters, digits or underscores/,
        ],
        [{ ttl: 60, tags: ['x'.repeat(65)] }, /cacheStrategy\.tags\[0\] "x{65}" is not a valid tag/],
        [{ ttl: 60, tags: [''] }, /cacheStrategy\.tags\[0\] "" is not a valid tag/],
        [{ ttl: 60, tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, /cacheStrategy\.tags: at most 5 tags, got 6/],
        [{ ttl: 60, tags: 'posts' }, /cacheStrategy\.tags must be an array of strings, got "posts"/],
        // Tags are checked even when nothing is cached.
        [{ tags: ['no spaces'] }, /cacheStrategy\.tags\[0\] "no spaces" is not a valid tag/],
        [{ ttl: 10 ** 9 }, /ttl \+ swr \(1000000000s\) exceeds the cache's maxTtl/],
      ]
      for (const [cacheStrategy, message] of bad) {
        const findMany = prisma.post.findMany.bind(prisma.post) as unknown as (
          args: unknown,
        ) => Promise<unknown> & { withAccelerateInfo(): Promise<unknown> }
        await expect(findMany({ cacheStrategy })).rejects.toThrow(message)
        await expect(findMany({ cacheStrategy }).withAccelerateInfo()).rejects.toThrow(message)
      }
      const invalidate = prisma.$accelerate.invalidate as (input: unknown) => Promise<unknown>
      await expect(invalidate({ tags: ['ok', 'not-ok'] })).rejects.toThrow(
        /\$accelerate\.invalidate\(\{ tags \}\)\[1\] "not-ok" is not a valid tag/,
      )
      await expect(invalidate({ tags: ['a', 'b', 'c', 'd', 'e', 'f'] })).rejects.toThrow(/at most 5 tags, got 6/)
      await expect(invalidate(undefined)).rejects.toThrow(/invalidate\(input\): must be \{ tags: \[\.\.\.\] \}/)
      expect(counter.queries).toBe(before)
    })
  })

  it("withAccelerate() with no options: L1 only, as Accelerate's extension is called", async () => {
    const ada = await seed()
    const prisma = countingClient(db).base.$extends(withAccelerate())
    expect(prisma.$cache.backend).toBeInstanceOf(MemoryCache)
    const read = () =>
      prisma.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }).withAccelerateInfo()
    expect((await read()).info.cacheStatus).toBe('miss')
    expect((await read()).info.cacheStatus).toBe('ttl')
    expect(() => withAccelerate({ fetch: globalThis.fetch } as WithAccelerateOptions)).toThrow(
      /withAccelerate\(\{ fetch \}\): there is no Accelerate API/,
    )
    expect(() => withAccelerate({ invalidateOnWrite: 'no' } as unknown as WithAccelerateOptions)).toThrow(
      /invalidateOnWrite/,
    )
    expect(() => withAccelerate({ tll: 5 } as WithAccelerateOptions)).toThrow(
      /withAccelerate\(\{ tll \}\): unknown option/,
    )
  })

  it('tags and invalidateAll take effect on every instance (two clients over one Redis, each with a bus)', async () => {
    const ada = await seed()
    const prefix = uniquePrefix()
    const caches = [0, 1].map(
      () =>
        new TieredCache(new MemoryCache(), new RedisCache({ client: redisClient(), prefix }), {
          bus: new RedisBus({ client: redisClient(), prefix }),
        }),
    )
    try {
      await Promise.all(caches.map((cache) => cache.ready))
      const deadline = Date.now() + 5000
      while (!caches.every((cache) => cache.stats().bus?.connected) && Date.now() < deadline) await sleep(10)
      const [a, b] = caches.map((cache) => acceleratedOn(db, cache)) as [AcceleratedClient, AcceleratedClient]
      type Status = 'ttl' | 'swr' | 'miss' | 'none'
      const posts = (client: AcceleratedClient) =>
        client.post.findMany({ cacheStrategy: { ttl: 60, tags: ['posts'] } }).withAccelerateInfo()
      const user = (client: AcceleratedClient) =>
        client.user.findUnique({ where: { id: ada.id }, cacheStrategy: { ttl: 60 } }).withAccelerateInfo()
      /** Reads until the status comes (the bus delivers within milliseconds; bounded at 2 s). */
      const until = async (read: () => Promise<{ info: { cacheStatus: Status } }>, status: Status) => {
        const end = Date.now() + 2000
        let seen = (await read()).info.cacheStatus
        while (seen !== status && Date.now() < end) {
          await sleep(5)
          seen = (await read()).info.cacheStatus
        }
        return seen
      }
      for (const client of [a, b]) {
        await posts(client)
        await user(client)
        await client.$cache.flush()
      }
      expect((await posts(b)).info.cacheStatus).toBe('ttl')
      // A invalidates the tag: B's L1 hears it over the bus and B queries again.
      await a.$accelerate.invalidate({ tags: ['posts'] })
      expect(await until(() => posts(b), 'miss')).toBe('miss')
      expect((await user(b)).info.cacheStatus).toBe('ttl')
      // A write through B reaches A.
      await posts(a)
      await b.post.create({ data: { title: 'Third', slug: 'third', published: true, authorId: ada.id } })
      expect(await until(() => posts(a), 'miss')).toBe('miss')
      expect((await posts(a)).data.map((post) => post.title).sort()).toEqual(['First', 'Second', 'Third'])
      // invalidateAll on B empties A's results too.
      await posts(a)
      expect((await user(a)).info.cacheStatus).toBe('ttl')
      await b.$accelerate.invalidateAll()
      expect(await until(() => user(a), 'miss')).toBe('miss')
      expect((await posts(a)).info.cacheStatus).toBe('miss')
    } finally {
      await Promise.all(caches.map((cache) => cache.close()))
    }
  })
})

type AcceleratedClient = ReturnType<typeof acceleratedOn>
function acceleratedOn(db: TestDatabase, cache: CacheBackend) {
  return countingClient(db).base.$extends(withAccelerate({ cache }))
}
