/**
 * The read/write race, made deterministic: the read's database call returns the old row and is then held at
 * a gate until a concurrent write has committed and invalidated. Released, the read must not leave its old
 * row in the cache (its snapshot predates the invalidation).
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { cacheExtension, type CacheBackend } from '../../src/index.js'
import { PROVIDERS, type Provider, sqlIn, type TestDatabase } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { buildCache, secondInstance, TIERS, type Tiers, useRedis } from './stack.js'

const redisClient = useRedis()

/** A client whose User.findUnique results wait at a gate (after the database answered) while `held` is set. */
function gatedClient(db: TestDatabase, cache: CacheBackend) {
  const gate = { held: false, reached: () => {}, release: () => {} }
  let reachedPromise = Promise.resolve()
  const arm = () => {
    gate.held = true
    reachedPromise = new Promise<void>((resolve) => (gate.reached = resolve))
    const released = new Promise<void>((resolve) => (gate.release = resolve))
    return { reached: () => reachedPromise, release: () => gate.release(), released }
  }
  let releasedPromise: Promise<void> = Promise.resolve()
  const base = db.createClient().$extends({
    query: {
      user: {
        async findUnique({ args, query }) {
          const result = await query(args)
          if (gate.held) {
            gate.held = false
            gate.reached()
            await releasedPromise
          }
          return result
        },
      },
    },
  })
  const prisma = base.$extends(cacheExtension({ cache }))
  return {
    prisma,
    arm: () => {
      const armed = arm()
      releasedPromise = armed.released
      return armed
    },
  }
}

describe.each(PROVIDERS)('read/write race on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    const writes = {
      'a plain update': (p: ReturnType<typeof gatedClient>['prisma'], id: number) =>
        p.user.update({ where: { id }, data: { name: 'new' } }),
      'an interactive transaction': (p: ReturnType<typeof gatedClient>['prisma'], id: number) =>
        p.$transaction(async (tx) => tx.user.update({ where: { id }, data: { name: 'new' } })),
      'an updateMany': (p: ReturnType<typeof gatedClient>['prisma']) => p.user.updateMany({ data: { name: 'new' } }),
      'raw SQL': (p: ReturnType<typeof gatedClient>['prisma'], id: number) =>
        p.$executeRaw(sqlIn(provider)`UPDATE "User" SET "name" = 'new' WHERE "id" = ${id}`),
    }
    it.each(Object.keys(writes))(
      'the old row read before %s is not stored after its invalidation',
      async (writeName) => {
        const user = await db.createClient().user.create({ data: { email: 'race@example.com', name: 'old' } })
        const cache = buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined)
        const { prisma, arm } = gatedClient(db, cache)
        const gate = arm()
        // .then() starts it: Prisma promises (and ours) are lazy.
        const reading = prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).then((row) => row)
        await gate.reached()
        await writes[writeName as keyof typeof writes](prisma, user.id)
        gate.release()
        // The read was linearized before the write: it may answer the old row...
        expect((await reading)?.name).toBe('old')
        // ...but must not have left it in either tier.
        expect((await prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('new')
        if (tiers === 'memory+redis') {
          const other = gatedClient(db, secondInstance(cache)).prisma
          expect((await other.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('new')
        }
      },
    )

    it('a read that starts after a write never joins a query that started before it', async () => {
      const user = await db.createClient().user.create({ data: { email: 'join@example.com', name: 'old' } })
      const cache = buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined)
      const { prisma, arm } = gatedClient(db, cache)
      const gate = arm()
      const first = prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).then((row) => row)
      await gate.reached()
      await prisma.user.update({ where: { id: user.id }, data: { name: 'new' } })
      // Same key, same instance, the first query still in flight with the old row.
      const second = prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).then((row) => row)
      expect((await second)?.name).toBe('new')
      gate.release()
      expect((await first)?.name).toBe('old')
      expect((await prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('new')
    })

    it("a read between a transaction's write and its commit is invalidated by the commit", async () => {
      const user = await db.createClient().user.create({ data: { email: 'tx@example.com', name: 'old' } })
      const cache = buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined)
      const { prisma } = gatedClient(db, cache)
      const outside = cachedOnOtherConnection(db, cache)
      await prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { name: 'new' } })
        // Another connection still sees the committed (old) row, and caches it.
        expect((await outside.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('old')
      })
      // Had the invalidation run at the write (before the commit), that old row would be served now.
      expect((await outside.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('new')
      expect((await prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('new')
    })
  })
})

/** The cache extension over another client (its own connections) sharing the same cache backend. */
function cachedOnOtherConnection(db: TestDatabase, cache: CacheBackend) {
  return db.createClient().$extends(cacheExtension({ cache }))
}
