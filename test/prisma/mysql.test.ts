/**
 * What MySQL and MariaDB do differently, and the cache must follow: case-insensitive collations (utf8mb4_unicode_ci,
 * Prisma's default there) make a unique lookup by 'ADA@EXAMPLE.COM' find 'ada@example.com'. The cached read is keyed
 * by the text the query used, but tagged by the row it returned, so a write to that row through any spelling of its
 * key, or through raw SQL, reaches it.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache } from '../../src/index.js'
import { useDatabase } from '../support/use-database.js'
import { buildCache, cachedClient, TIERS, type Tiers, useRedis } from './stack.js'

const redisClient = useRedis()

describe('MySQL (MariaDB) specifics', () => {
  const db = useDatabase('mysql')
  beforeEach(async () => db.reset())

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    it('a unique lookup in another letter case is invalidated by a write to the row it found', async () => {
      const { prisma, counter } = cachedClient(
        db,
        buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined),
      )
      await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
      const upper = () => prisma.user.findUnique({ where: { email: 'ADA@EXAMPLE.COM' }, cache: 60 })
      expect((await upper())?.name).toBe('Ada')
      const before = counter.queries
      expect((await upper())?.name).toBe('Ada')
      expect(counter.queries).toBe(before) // cached
      // The write names the row in another case (the database's collation makes it the same row).
      await prisma.user.update({ where: { email: 'Ada@Example.com' }, data: { name: 'Ada Lovelace' } })
      expect((await upper())?.name).toBe('Ada Lovelace')
      await prisma.$executeRawUnsafe("UPDATE `User` SET `name` = 'Countess' WHERE `email` = 'ADA@example.COM'")
      expect((await upper())?.name).toBe('Countess')
    })
  })

  it('an absent row cached under one spelling is invalidated when another spelling creates it', async () => {
    const { prisma } = cachedClient(db, new MemoryCache())
    const read = () => prisma.user.findUnique({ where: { email: 'NEW@EXAMPLE.COM' }, cache: 60 })
    expect(await read()).toBeNull()
    await prisma.user.create({ data: { email: 'new@example.com', name: 'New' } })
    expect((await read())?.name).toBe('New')
  })
})
