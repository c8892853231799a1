/**
 * Every write path invalidates what it changed (docs/design.md, "What each write invalidates").
 * Each row: warm every probe through the cache, make the write, then
 *   - correctness: every probe read through the cache equals the same read without the cache;
 *   - precision: the probes listed in `kept` were still served from the cache.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cacheExtension, MemoryCache, NoopCache } from '../../src/index.js'
import { PROVIDERS, Prisma, type Provider, sqlIn, startDatabase, type TestDatabase } from '../support/database.js'
import { type Cached, type ProbeName, probes, type Seeded, seedDataset } from './probes.js'
import { buildCache, cachedClient, type CountingClient, countingClient, TIERS, type Tiers, useRedis } from './stack.js'

interface Row {
  name: string
  write: (p: Cached, s: Seeded, provider: Provider) => Promise<unknown>
  /** Probes that must still be cache hits after the write. */
  kept?: ProbeName[]
  /** Where the write exists (Prisma has no *AndReturn on MySQL; MariaDB has no UPDATE ... RETURNING). Default: all. */
  providers?: readonly Provider[]
}

const RETURNING_UPDATE: readonly Provider[] = ['sqlite', 'postgresql']

const rows: Row[] = [
  {
    name: 'create',
    write: (p) => p.user.create({ data: { email: 'new@example.com' } }),
    kept: ['adaById', 'bobById', 'cyByEmail', 'helloById', 'tagsWithPosts'],
  },
  {
    name: 'create with the id a cached null was read for',
    write: (p) => p.user.create({ data: { id: 999, email: 'nine@example.com' } }),
    kept: ['adaById', 'bobById'],
  },
  {
    name: 'createMany',
    write: (p) => p.user.createMany({ data: [{ email: 'm1@example.com' }, { id: 999, email: 'm2@example.com' }] }),
    kept: ['adaById', 'helloById'],
  },
  {
    name: 'createManyAndReturn',
    write: (p) => p.tag.createManyAndReturn({ data: [{ name: 'x' }] }),
    kept: ['adaById', 'helloById', 'users'],
    providers: RETURNING_UPDATE,
  },
  {
    name: 'update by id (row precision: other rows stay cached)',
    write: (p, s) => p.user.update({ where: { id: s.bob }, data: { name: 'Robert' } }),
    kept: ['adaById', 'cyByEmail', 'helloById', 'tagsWithPosts'],
  },
  {
    name: 'update by another unique field',
    write: (p) => p.user.update({ where: { email: 'cy@example.com' }, data: { email: 'cyrus@example.com' } }),
    kept: ['adaById', 'bobById'],
  },
  {
    name: 'update with a select that omits the primary key',
    write: (p, s) => p.user.update({ where: { id: s.ada }, data: { name: 'Ada L.' }, select: { name: true } }),
  },
  {
    name: 'updateMany',
    write: (p) => p.user.updateMany({ where: { name: { startsWith: 'B' } }, data: { age: 40 } }),
    kept: ['helloById', 'tagsWithPosts'],
  },
  {
    name: 'updateManyAndReturn',
    write: (p) => p.post.updateManyAndReturn({ where: { published: true }, data: { views: 7 } }),
    kept: ['adaById', 'helloById'],
    providers: RETURNING_UPDATE,
  },
  {
    name: 'upsert (update path)',
    write: (p, s) =>
      p.user.upsert({ where: { id: s.cy }, create: { email: 'z@example.com' }, update: { name: 'Cyrus' } }),
    kept: ['adaById', 'bobById'],
  },
  {
    name: 'upsert (create path)',
    write: (p) => p.user.upsert({ where: { id: 999 }, create: { id: 999, email: 'z@example.com' }, update: {} }),
    kept: ['adaById', 'bobById'],
  },
  {
    name: 'delete (onDelete Cascade and SetNull reach Post, Profile, Membership, invitees)',
    write: (p, s) => p.user.delete({ where: { id: s.ada } }),
  },
  {
    name: 'delete a post (SetNull none, m-n join rows go)',
    write: (p, s) => p.post.delete({ where: { id: s.hello } }),
    kept: ['adaById', 'bobById', 'cyByEmail'],
  },
  {
    name: 'deleteMany',
    write: (p) => p.post.deleteMany({ where: { published: true } }),
    kept: ['adaById', 'cyByEmail'],
  },
  {
    name: 'nested create',
    write: (p, s) =>
      p.user.update({
        where: { id: s.cy },
        data: {
          posts: {
            create: {
              title: 'Cy',
              slug: 'cy',
              tags: { connectOrCreate: { where: { name: 'intro' }, create: { name: 'intro' } } },
            },
          },
        },
      }),
    kept: ['adaById', 'bobById'],
  },
  {
    name: 'nested createMany',
    write: (p, s) =>
      p.user.update({
        where: { id: s.cy },
        data: {
          posts: {
            createMany: {
              data: [
                { title: 'a', slug: 'a' },
                { title: 'b', slug: 'b' },
              ],
            },
          },
        },
      }),
  },
  {
    name: 'nested connect moves a row between parents',
    write: (p, s) => p.user.update({ where: { id: s.cy }, data: { posts: { connect: { id: s.hello } } } }),
  },
  {
    name: 'nested update of a 1-1 relation',
    write: (p, s) => p.user.update({ where: { id: s.ada }, data: { profile: { update: { bio: 'poetry' } } } }),
    kept: ['bobById', 'cyByEmail'],
  },
  {
    name: 'nested upsert of a 1-1 relation',
    write: (p, s) =>
      p.user.update({
        where: { id: s.cy },
        data: { profile: { upsert: { create: { bio: 'new' }, update: { bio: 'upd' } } } },
      }),
  },
  {
    name: 'nested update at depth 3',
    write: (p, s) =>
      p.user.update({
        where: { id: s.ada },
        data: {
          posts: {
            update: {
              where: { id: s.hello },
              data: { tags: { update: { where: { id: s.intro }, data: { name: 'welcome' } } } },
            },
          },
        },
      }),
  },
  {
    name: 'nested updateMany and deleteMany',
    write: (p, s) =>
      p.user.update({
        where: { id: s.bob },
        data: { posts: { updateMany: { where: {}, data: { views: 3 } } }, editedPosts: { deleteMany: {} } },
      }),
  },
  {
    name: 'nested delete of a 1-1 relation',
    write: (p, s) => p.user.update({ where: { id: s.ada }, data: { profile: { delete: true } } }),
  },
  {
    name: 'nested disconnect (SetNull side)',
    write: (p, s) => p.post.update({ where: { id: s.hello }, data: { editor: { disconnect: true } } }),
  },
  {
    name: 'implicit m-n connect',
    write: (p, s) => p.post.update({ where: { id: s.second }, data: { tags: { connect: { id: s.intro } } } }),
    kept: ['adaById', 'bobById', 'cyByEmail'],
  },
  {
    name: 'implicit m-n set []',
    write: (p, s) => p.post.update({ where: { id: s.hello }, data: { tags: { set: [] } } }),
  },
  {
    name: 'implicit m-n from the other side',
    write: (p, s) => p.tag.update({ where: { id: s.intro }, data: { posts: { disconnect: { id: s.hello } } } }),
  },
  {
    name: 'self relation connect',
    write: (p, s) => p.user.update({ where: { id: s.cy }, data: { invitedBy: { connect: { id: s.ada } } } }),
  },
  {
    name: 'compound id create',
    write: (p, s) => p.membership.create({ data: { userId: s.cy, orgId: s.org } }),
    kept: ['adaById', 'posts'],
  },
  {
    name: 'update of a referenced key (onUpdate Cascade)',
    write: (p, s) => p.organization.update({ where: { id: s.org }, data: { id: 'renamed-org' } }),
  },
  {
    name: '$executeRaw on a model table',
    write: (p, s, provider) =>
      p.$executeRaw(sqlIn(provider)`UPDATE "User" SET "name" = ${'Raw'} WHERE "id" = ${s.ada}`),
  },
  {
    name: '$executeRawUnsafe on a @@map table',
    write: (p, s, provider) =>
      p.$executeRawUnsafe(
        provider === 'postgresql'
          ? 'UPDATE "organizations" SET "name" = $1 WHERE "id" = $2'
          : 'UPDATE organizations SET name = ? WHERE id = ?',
        'Raw Org',
        s.org,
      ),
    kept: ['adaById', 'posts'],
  },
  {
    name: '$executeRaw on the implicit m-n join table',
    write: (p, _s, provider) => p.$executeRaw(sqlIn(provider)`DELETE FROM "_PostToTag"`),
    kept: ['adaById', 'users'],
  },
  {
    name: '$executeRaw with a delete that cascades in the database',
    write: (p, s, provider) => p.$executeRaw(sqlIn(provider)`DELETE FROM "User" WHERE "id" = ${s.ada}`),
  },
  {
    name: '$queryRaw that writes (UPDATE ... RETURNING)',
    write: (p, s, provider) =>
      p.$queryRaw(sqlIn(provider)`UPDATE "Post" SET "views" = 99 WHERE "id" = ${s.hello} RETURNING "id"`),
    kept: ['adaById'],
    providers: RETURNING_UPDATE,
  },
  {
    name: '$queryRaw that writes (INSERT ... RETURNING)',
    write: (p, _s, provider) =>
      p.$queryRaw(sqlIn(provider)`INSERT INTO "Tag" ("name") VALUES (${'returned'}) RETURNING "id"`),
    kept: ['adaById', 'helloById', 'users'],
  },
  {
    name: 'MySQL: INSERT ... ON DUPLICATE KEY UPDATE',
    write: (p) =>
      p.$executeRawUnsafe("INSERT INTO `Tag` (`name`) VALUES ('intro') ON DUPLICATE KEY UPDATE `name` = 'intro2'"),
    kept: ['adaById', 'users'],
    providers: ['mysql'],
  },
  {
    name: 'MySQL: REPLACE INTO',
    write: (p, s) => p.$executeRawUnsafe('REPLACE INTO `Tag` (`id`, `name`) VALUES (?, ?)', s.intro, 'replaced'),
    providers: ['mysql'],
  },
  {
    name: 'MySQL: multi-table UPDATE a JOIN b',
    write: (p, s) =>
      p.$executeRawUnsafe(
        'UPDATE `Post` p JOIN `User` u ON p.authorId = u.id SET p.views = 5, u.age = 50 WHERE u.id = ?',
        s.ada,
      ),
    providers: ['mysql'],
  },
  {
    name: 'MySQL: DELETE a, b FROM ... (two tables)',
    write: (p, s) =>
      p.$executeRawUnsafe('DELETE t, pt FROM `Tag` t JOIN `_PostToTag` pt ON pt.B = t.id WHERE t.id = ?', s.intro),
    providers: ['mysql'],
  },
  { name: 'raw SQL that names no known table: everything', write: (p) => p.$executeRawUnsafe('SELECT 1') },
  {
    name: 'interactive transaction (applies on commit)',
    write: (p, s) =>
      p.$transaction(async (tx) => {
        await tx.user.update({ where: { id: s.bob }, data: { name: 'Tx Bob' } })
        await tx.post.create({ data: { title: 'tx', slug: 'tx', authorId: s.bob } })
      }),
    kept: ['adaById', 'cyByEmail'],
  },
  {
    name: 'interactive transaction rolled back (nothing changes, cache still agrees)',
    write: (p, s) =>
      p
        .$transaction(async (tx) => {
          await tx.user.update({ where: { id: s.ada }, data: { name: 'rolled back' } })
          throw new Error('rollback')
        })
        .catch(() => undefined),
    kept: ['adaById', 'bobById', 'users', 'posts', 'adaWithPosts'],
  },
  {
    name: 'batch $transaction([...])',
    write: (p, s) =>
      p.$transaction([
        p.user.update({ where: { id: s.bob }, data: { name: 'Batch' } }),
        p.post.deleteMany({ where: { id: s.second } }),
      ]),
    kept: ['adaById', 'cyByEmail'],
  },
]

const redisClient = useRedis()

describe.each(PROVIDERS)('every write invalidates what it changed, on %s', (provider: Provider) => {
  let db: TestDatabase
  let plain: ReturnType<TestDatabase['createClient']>
  let counting: CountingClient
  let uncached: Cached
  beforeAll(async () => {
    db = await startDatabase(provider)
    plain = db.createClient()
    counting = countingClient(db)
    // The reference: same reads, answered by the database every time (NoopCache stores nothing).
    uncached = plain.$extends(cacheExtension({ cache: new NoopCache() }))
  })
  afterAll(async () => db?.stop())
  beforeEach(async () => db.reset())

  describe.each(TIERS)('with %s', (tiers: Tiers) => {
    it.each(rows.filter((row) => row.providers?.includes(provider) ?? true))('$name', async ({ write, kept = [] }) => {
      const seeded = await seedDataset(plain)
      const { prisma, counter } = cachedClient(
        db,
        buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined),
        {},
        counting,
      )
      const reads = probes(seeded)
      for (const read of Object.values(reads)) await read(prisma)
      await write(prisma, seeded, provider)
      for (const [name, read] of Object.entries(reads) as Array<[ProbeName, (p: Cached) => Promise<unknown>]>) {
        const before = counter.queries
        const cached = await read(prisma)
        const hit = counter.queries === before
        expect(cached, `${name} must equal the database after the write`).toEqual(await read(uncached))
        if (kept.includes(name)) expect(hit, `${name} should still be cached`).toBe(true)
      }
    })
  })

  it('a write to a model no cached read depends on invalidates nothing else', async () => {
    const seeded = await seedDataset(plain)
    const { prisma, counter } = cachedClient(db, new MemoryCache(), {}, counting)
    const reads = probes(seeded)
    for (const read of Object.values(reads)) await read(prisma)
    await prisma.auditLog.create({ data: { action: 'login', entity: 'User', payload: { ip: '127.0.0.1' } } })
    const before = counter.queries
    for (const read of Object.values(reads)) await read(prisma)
    expect(counter.queries).toBe(before)
    expect(Prisma.DbNull).toBeDefined()
  })
})
