/**
 * Writes that change a row's identity: the old primary key must stop being served (the seat moved from id
 * 1 to 100, a membership moved to another organization), whether the write names the row by its key, by another
 * unique field, or many rows at once.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { PROVIDERS, type Provider } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { buildCache, cachedClient, TIERS, type Tiers, useRedis } from './stack.js'

const redisClient = useRedis()

describe.each(PROVIDERS)('writes that change a primary key, on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    const client = () =>
      cachedClient(db, buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined)).prisma

    it('update by the key: the old key reads null, the new one the row', async () => {
      const prisma = client()
      const tag = await prisma.tag.create({ data: { name: 'seat' } })
      const byOld = () => prisma.tag.findUnique({ where: { id: tag.id }, cache: 60 })
      const byNew = () => prisma.tag.findUnique({ where: { id: tag.id + 100 }, cache: 60 })
      expect((await byOld())?.name).toBe('seat')
      expect(await byNew()).toBeNull()
      await prisma.tag.update({ where: { id: tag.id }, data: { id: tag.id + 100 } })
      expect(await byOld()).toBeNull()
      expect((await byNew())?.name).toBe('seat')
    })

    it('update by another unique field, and upsert: the old key is not known, the whole model is invalidated', async () => {
      const prisma = client()
      const tag = await prisma.tag.create({ data: { name: 'moved' } })
      const byOld = () => prisma.tag.findUnique({ where: { id: tag.id }, cache: 60 })
      expect((await byOld())?.name).toBe('moved')
      await prisma.tag.update({ where: { name: 'moved' }, data: { id: tag.id + 200 } })
      expect(await byOld()).toBeNull()
      const again = () => prisma.tag.findUnique({ where: { id: tag.id + 200 }, cache: 60 })
      expect((await again())?.name).toBe('moved')
      await prisma.tag.upsert({ where: { id: tag.id + 200 }, create: { name: 'never' }, update: { id: tag.id + 300 } })
      expect(await again()).toBeNull()
    })

    it('a compound primary key part changes (a membership moves to another organization)', async () => {
      const prisma = client()
      const user = await prisma.user.create({ data: { email: 'member@example.com' } })
      const [from, to] = await Promise.all([
        prisma.organization.create({ data: { name: 'From' } }),
        prisma.organization.create({ data: { name: 'To' } }),
      ])
      await prisma.membership.create({ data: { userId: user.id, orgId: from.id } })
      const atOld = () =>
        prisma.membership.findUnique({ where: { userId_orgId: { userId: user.id, orgId: from.id } }, cache: 60 })
      expect(await atOld()).not.toBeNull()
      await prisma.membership.update({
        where: { userId_orgId: { userId: user.id, orgId: from.id } },
        data: { orgId: to.id },
      })
      expect(await atOld()).toBeNull()
    })
  })
})
