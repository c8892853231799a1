/**
 * Several app instances (clients with their own L1) sharing one Redis and one database, in one process:
 * once a write on one instance has resolved and the bus has delivered, no instance returns the old row.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache, RedisBus, RedisCache, TieredCache } from '../../src/index.js'
import { useDatabase } from '../support/use-database.js'
import { cachedClient, countingClient, uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()

describe('instances sharing Redis (PostgreSQL)', () => {
  const db = useDatabase('postgresql')
  beforeEach(async () => db.reset())

  it('a write on one instance reaches the L1 of the others through the bus', async () => {
    const prefix = uniquePrefix()
    const caches = [0, 1, 2].map(
      () =>
        new TieredCache(new MemoryCache(), new RedisCache({ client: redisClient(), prefix }), {
          bus: new RedisBus({ client: redisClient(), prefix }),
        }),
    )
    try {
      await Promise.all(caches.map((cache) => cache.ready))
      const deadline = Date.now() + 5000
      while (!caches.every((cache) => cache.stats().bus?.connected) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10))
      const clients = caches.map((cache) => cachedClient(db, cache, {}, countingClient(db)).prisma)
      const user = await clients[0]!.user.create({ data: { email: 'multi@example.com', name: 'v0' } })
      for (let version = 1; version <= 20; version++) {
        for (const client of clients) await client.user.findUnique({ where: { id: user.id }, cache: 60 })
        const writer = clients[version % clients.length]!
        await writer.user.update({ where: { id: user.id }, data: { name: `v${version}` } })
        // Propagation: every other L1 drops the row once the bus delivers (measured in bench/, bounded here).
        const start = Date.now()
        for (const client of clients) {
          let name: string | null | undefined
          while (
            (name = (await client.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name) !== `v${version}` &&
            Date.now() - start < 2000
          ) {
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
          expect(name).toBe(`v${version}`)
        }
      }
      expect(caches[1]!.stats().bus?.received).toBeGreaterThan(0)
    } finally {
      await Promise.all(caches.map((cache) => cache.close()))
    }
  })
})

describe('cross-instance miss coalescing (PostgreSQL)', () => {
  const db = useDatabase('postgresql')

  it('three instances missing the same key run one query; a dead lock holder only delays the others', async () => {
    const prefix = uniquePrefix()
    const l2 = () => new RedisCache({ client: redisClient(), prefix })
    const stacks = [0, 1, 2].map(() => {
      const counting = countingClient(db)
      return {
        counting,
        prisma: cachedClient(
          db,
          new TieredCache(new MemoryCache(), l2(), { bus: false }),
          { coalesceAcrossInstances: { lockTtlMs: 2000, waitMs: 1000 } },
          counting,
        ).prisma,
      }
    })
    const user = await db.createClient().user.create({ data: { email: 'coalesce@example.com', name: 'c' } })
    const read = (i: number) =>
      stacks[i]!.prisma.user.findUnique({ where: { id: user.id }, include: { posts: true }, cache: 60 })
    const results = await Promise.all([0, 1, 2, 0, 1, 2].map(read))
    for (const row of results) expect(row?.name).toBe('c')
    const queries = () =>
      stacks.reduce((sum, s) => sum + s.counting.counter.operations.filter((op) => op === 'User.findUnique').length, 0)
    expect(queries()).toBe(1)
    const coalesced = stacks.reduce((sum, s) => sum + (s.prisma.$cache.stats().models['User']?.coalesced ?? 0), 0)
    expect(coalesced).toBe(2)

    // A holder that died: its lock stays until it expires; the others wait at most waitMs, then query.
    // (Every instance invalidates: there is no bus in this test to tell the others' L1s.)
    for (const stack of stacks) await stack.prisma.$cache.invalidate({ tags: ['User'] })
    const key = stacks[0]!.prisma.$cache.keyFor('User', 'findUnique', {
      where: { id: user.id },
      include: { posts: true },
    })
    const storedKey = `${stacks[0]!.prisma.$cache.namespace}${key.toString()}`
    const orphan = await l2().lock(storedKey, 5000)
    expect(orphan).toBeDefined()
    const started = performance.now()
    expect((await read(1))?.name).toBe('c')
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(queries()).toBe(2)
  })
})
