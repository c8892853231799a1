/**
 * Several app instances (clients with their own L1) sharing one Redis and one database, in one process:
 * once a write on one instance has resolved and the bus has delivered, no instance returns the old row.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache, RedisBus, RedisCache, TieredCache } from '../../src/index.js'
import { startDatabase, type TestDatabase } from '../support/database.js'
import { cachedClient, countingClient, uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()

describe('instances sharing Redis (PostgreSQL)', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await startDatabase('postgresql')
  })
  afterAll(async () => db?.stop())
  beforeEach(async () => db.reset())

  it('a write on one instance reaches the L1 of the others through the bus', async () => {
    const prefix = uniquePrefix()
    const caches = [0, 1, 2].map(() => new TieredCache(new MemoryCache(), new RedisCache({ client: redisClient(), prefix }), { bus: new RedisBus({ client: redisClient(), prefix }) }))
    try {
      await Promise.all(caches.map((cache) => cache.ready))
      const deadline = Date.now() + 5000
      while (!caches.every((cache) => cache.stats().bus?.connected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
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
          while ((name = (await client.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name) !== `v${version}` && Date.now() - start < 2000) {
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
