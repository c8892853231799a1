/** Stale-while-revalidate: `cache: { ttl, swr }`. */
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache } from '../../src/index.js'
import { portableSql, PROVIDERS, type Provider } from '../support/database.js'
import { eventually } from '../support/eventually.js'
import { useDatabase } from '../support/use-database.js'
import { buildCache, cachedClient, countingClient, TIERS, type Tiers, useRedis } from './stack.js'

const redisClient = useRedis()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(PROVIDERS)('stale-while-revalidate on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    it('after ttl and within swr: the stale value at once, one background refresh, then the fresh value', async () => {
      const user = await db.createClient().user.create({ data: { email: 'swr@example.com', name: 'v1' } })
      const { prisma, counter } = cachedClient(
        db,
        buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined),
        {},
        countingClient(db),
      )
      const read = () => prisma.user.findUnique({ where: { id: user.id }, cache: { ttl: 0.3, swr: 10 } })
      expect((await read())?.name).toBe('v1')
      // A change behind the cache's back (no invalidation): only the TTL can bring it in.
      await db.query(portableSql(provider, 'UPDATE "User" SET "name" = $1 WHERE "id" = $2'), ['v2', user.id])
      await sleep(400)
      const before = counter.queries
      const stale = await Promise.all(Array.from({ length: 10 }, () => read()))
      for (const row of stale) expect(row?.name).toBe('v1')
      // Ten stale reads, one refresh.
      let fresh = 'v1'
      for (let i = 0; i < 100 && fresh !== 'v2'; i++) {
        await sleep(10)
        fresh = (await read())?.name ?? ''
      }
      expect(fresh).toBe('v2')
      expect(counter.queries - before).toBe(1)
      expect(prisma.$cache.stats().models['User']).toMatchObject({ refreshes: 1 })
      expect(prisma.$cache.stats().models['User']?.staleHits).toBeGreaterThanOrEqual(10)
    })

    it('an invalidated entry is never served stale', async () => {
      const user = await db.createClient().user.create({ data: { email: 'swr2@example.com', name: 'v1' } })
      const { prisma } = cachedClient(
        db,
        buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined),
        {},
        countingClient(db),
      )
      const read = () => prisma.user.findUnique({ where: { id: user.id }, cache: { ttl: 0.2, swr: 10 } })
      await read()
      await sleep(300)
      await prisma.user.update({ where: { id: user.id }, data: { name: 'v2' } })
      expect((await read())?.name).toBe('v2')
    })
  })

  it('a refresh stores what the database says now, even an absent row', async () => {
    const user = await db.createClient().user.create({ data: { email: 'swr3@example.com', name: 'v1' } })
    const errors: unknown[] = []
    const counting = countingClient(db)
    const { prisma } = cachedClient(db, new MemoryCache(), { onError: (error) => errors.push(error) }, counting)
    const read = () => prisma.user.findUnique({ where: { id: user.id }, cache: { ttl: 0.2, swr: 10 } })
    await read()
    await sleep(300)
    await db.query(portableSql(provider, 'DELETE FROM "User" WHERE "id" = $1'), [user.id])
    expect((await read())?.name).toBe('v1')
    // The refresh succeeded (the row is gone): the cached answer becomes null.
    await eventually(async () => (await read()) === null, 'the refresh to store the absent row')
    expect(errors).toHaveLength(0)
  })
})
