/**
 * Model-based randomized test: random sequences of writes (nested, many-to-many, cascades, raw SQL,
 * transactions that commit or roll back, batches) through the cached client; after every step, every probe
 * read through the cache must equal the same read answered by the database. Also with the cache composed as apps
 * compose it: a soft-delete query extension and a computed field, before or after the cache.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheExtension, MemoryCache, NoopCache, RedisBus, RedisCache, TieredCache } from '../../src/index.js'
import { Prisma, PROVIDERS, type Provider, sqlIn, startDatabase, type TestDatabase } from '../support/database.js'
import { l1Trusted } from '../support/l1-trusted.js'
import { canonicalText } from '../../src/prisma/canonical.js'
import { label, softDelete } from './app-extensions.js'
import { type Cached, probes, type Seeded, seedDataset } from './probes.js'
import {
  buildCache,
  cachedClient,
  type CountingClient,
  countingClient,
  TIERS,
  type Tiers,
  uniquePrefix,
  useRedis,
} from './stack.js'

const RUNS = 6
const STEPS = 25
/** Runs of the composed-client property (each compares every probe with a second, composed reference client). */
const COMPOSED_RUNS = 4

type Step = { name: string; run: (p: Cached, s: Seeded, provider: Provider) => Promise<unknown> }

const userId = fc.constantFrom<keyof Seeded>('ada', 'bob', 'cy')
const word = fc.constantFrom('a', 'b', 'c')

const steps: fc.Arbitrary<Step>[] = [
  fc.tuple(userId, word).map(([u, w]) => ({
    name: `update ${u} name ${w}`,
    run: (p, s) => p.user.update({ where: { id: s[u] as number }, data: { name: w } }),
  })),
  fc.integer({ min: 0, max: 3 }).map((n) => ({
    name: `updateMany age ${n}`,
    run: (p) => p.user.updateMany({ where: { name: { not: null } }, data: { age: n } }),
  })),
  fc.tuple(userId, word).map(([u, w]) => ({
    name: `create post for ${u} tagged ${w}`,
    run: (p, s) =>
      p.post.create({
        data: {
          title: w,
          slug: `${w}-${Math.random()}`,
          authorId: s[u] as number,
          tags: { connectOrCreate: { where: { name: w }, create: { name: w } } },
        },
      }),
  })),
  fc.constantFrom<keyof Seeded>('hello', 'second').map((post) => ({
    name: `delete ${post}`,
    run: (p, s) => p.post.delete({ where: { id: s[post] as number } }).catch(() => undefined),
  })),
  fc.tuple(userId, word).map(([u, w]) => ({
    name: `upsert profile of ${u}`,
    run: (p, s) =>
      p.profile.upsert({
        where: { userId: s[u] as number },
        create: { userId: s[u] as number, bio: w },
        update: { bio: w },
      }),
  })),
  fc.integer({ min: 1, max: 9 }).map((v) => ({
    name: `raw views ${v}`,
    run: (p, _s, provider) => p.$executeRaw(sqlIn(provider)`UPDATE "Post" SET "views" = ${v}`),
  })),
  fc.tuple(userId, word).map(([u, w]) => ({
    name: `transaction commit (${u})`,
    run: (p, s) =>
      p.$transaction(async (tx) => {
        await tx.user.update({ where: { id: s[u] as number }, data: { name: `tx-${w}` } })
        await tx.post.updateMany({ where: { authorId: s[u] as number }, data: { published: true } })
      }),
  })),
  userId.map((u) => ({
    name: `transaction rollback (${u})`,
    run: (p, s) =>
      p
        .$transaction(async (tx) => {
          await tx.user.update({ where: { id: s[u] as number }, data: { name: 'never' } })
          await tx.post.deleteMany({})
          throw new Error('rollback')
        })
        .catch(() => undefined),
  })),
  userId.map((u) => ({
    name: `batch (${u})`,
    run: (p, s) =>
      p.$transaction([
        p.user.update({ where: { id: s[u] as number }, data: { age: 77 } }),
        p.tag.deleteMany({ where: { name: 'c' } }),
      ]),
  })),
  fc.constantFrom<keyof Seeded>('hello', 'second').map((post) => ({
    name: `m-n toggle on ${post}`,
    run: (p, s) =>
      p.post.update({ where: { id: s[post] as number }, data: { tags: { set: [] } } }).catch(() => undefined),
  })),
  fc.constant<Step>({
    name: 'delete cy (cascades)',
    run: (p, s) => p.user.delete({ where: { id: s.cy } }).catch(() => undefined),
  }),
  fc.constant<Step>({
    name: 'nested create user with posts',
    run: (p) =>
      p.user.create({
        data: {
          email: `n${Math.random()}@x.io`,
          posts: { create: [{ title: 'n', slug: 'n' }] },
          memberships: { create: [] },
        },
      }),
  }),
]

/** With soft delete composed: hide a user (reads stop seeing it) or show it again. */
const softDeleteSteps: fc.Arbitrary<Step>[] = [
  fc.tuple(userId, fc.boolean()).map(([u, active]) => ({
    name: `${active ? 'restore' : 'soft-delete'} ${u}`,
    run: (p, s) => p.user.update({ where: { id: s[u] as number }, data: { active } }),
  })),
]

const redisClient = useRedis()

describe.each(PROVIDERS)(
  'model-based: cached reads equal the database after every step, on %s',
  (provider: Provider) => {
    let db: TestDatabase
    let counting: CountingClient
    let uncached: Cached
    let plain: ReturnType<TestDatabase['createClient']>
    beforeAll(async () => {
      db = await startDatabase(provider)
      plain = db.createClient()
      counting = countingClient(db)
      uncached = db.createClient().$extends(cacheExtension({ cache: new NoopCache() }))
    })
    afterAll(async () => db?.stop())

    it.each(TIERS)(
      `%s: ${RUNS} runs of ${STEPS} random steps`,
      async (tiers: Tiers) => {
        let executed = 0
        await fc.assert(
          fc.asyncProperty(fc.array(fc.oneof(...steps), { minLength: STEPS, maxLength: STEPS }), async (sequence) => {
            await db.reset()
            const seeded = await seedDataset(plain)
            const { prisma } = cachedClient(
              db,
              buildCache(tiers, tiers === 'memory+redis' ? redisClient() : undefined),
              {},
              counting,
            )
            const reads = Object.entries(probes(seeded))
            for (const [, read] of reads) await read(prisma)
            for (const step of sequence) {
              // A write may fail (its row was deleted by an earlier step): the database did not change, and the
              // invariant must hold all the same.
              await step.run(prisma, seeded, provider).catch(() => undefined)
              executed++
              for (const [name, read] of reads)
                expect(await read(prisma), `${name} after "${step.name}"`).toEqual(await read(uncached))
            }
          }),
          { numRuns: RUNS },
        )
        expect(executed).toBe(RUNS * STEPS)
      },
      180_000,
    )

    it(`composed as apps do (soft delete and a computed field, before or after the cache): ${COMPOSED_RUNS} runs of ${STEPS} steps`, async () => {
      // The reference: the same extensions on a client without the cache (a `cache` argument dropped before Prisma
      // sees it). Rows with computed fields are Prisma proxies, which toEqual never finds equal: typed texts.
      const dropCache = Prisma.defineExtension({
        query: {
          $allModels: {
            $allOperations: ({ args, query }) => {
              const { cache: _cache, ...rest } = args as { cache?: unknown }
              return query(rest as typeof args)
            },
          },
        },
      })
      const reference = db.createClient().$extends(softDelete).$extends(label).$extends(dropCache) as unknown as Cached
      let executed = 0
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(fc.oneof(...steps, ...softDeleteSteps), { minLength: STEPS, maxLength: STEPS }),
          async (cacheFirst, sequence) => {
            await db.reset()
            const seeded = await seedDataset(plain)
            const extension = cacheExtension({ cache: buildCache('memory+redis', redisClient()) })
            const prisma = (cacheFirst
              ? counting.base.$extends(extension).$extends(softDelete).$extends(label)
              : counting.base.$extends(softDelete).$extends(label).$extends(extension)) as unknown as Cached
            const reads = Object.entries(probes(seeded))
            for (const [, read] of reads) await read(prisma)
            for (const step of sequence) {
              await step.run(prisma, seeded, provider).catch(() => undefined)
              executed++
              for (const [name, read] of reads) {
                expect(
                  canonicalText(await read(prisma)),
                  `${name} after "${step.name}" (cache ${cacheFirst ? 'first' : 'last'})`,
                ).toBe(canonicalText(await read(reference)))
              }
            }
            expect(prisma.$cache.stats().cache.hits, 'the cache served reads').toBeGreaterThan(0)
          },
        ),
        { numRuns: COMPOSED_RUNS },
      )
      expect(executed).toBe(COMPOSED_RUNS * STEPS)
    }, 180_000)

    it(`two instances with a bus, writes on one, reads on the other: ${RUNS} runs of ${STEPS} random steps`, async () => {
      // The reader's L2 hits are judged from the invalidations it heard (localTagCheck); once it has heard every
      // message the writer sent, its reads must equal the database.
      let executed = 0
      let localChecks = 0
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(...steps), { minLength: STEPS, maxLength: STEPS }), async (sequence) => {
          await db.reset()
          const seeded = await seedDataset(plain)
          const prefix = uniquePrefix()
          const [writerCache, readerCache] = [0, 1].map(
            () =>
              new TieredCache(new MemoryCache(), new RedisCache({ client: redisClient(), prefix }), {
                bus: new RedisBus({ client: redisClient(), prefix }),
              }),
          )
          try {
            const heard = async (what: () => boolean) => {
              const deadline = Date.now() + 5000
              while (!what()) {
                if (Date.now() > deadline) throw new Error('timed out waiting for the bus')
                await new Promise((resolve) => setTimeout(resolve, 2))
              }
            }
            await l1Trusted(writerCache!, readerCache!)
            const writer = cachedClient(db, writerCache!, {}, counting).prisma
            const reader = cachedClient(db, readerCache!, {}, counting).prisma
            const reads = Object.entries(probes(seeded))
            for (const step of sequence) {
              // L2 holds every probe as of before the step (the writer's fills, written through).
              for (const [, read] of reads) await read(writer)
              await writer.$cache.flush()
              await step.run(writer, seeded, provider).catch(() => undefined)
              executed++
              await heard(() => readerCache!.stats().bus!.received >= writerCache!.stats().bus!.published)
              // Every reader read goes to L2, whose entries the reader must judge from what it heard.
              await readerCache!.l1.clear()
              for (const [name, read] of reads)
                expect(await read(reader), `${name} after "${step.name}"`).toEqual(await read(uncached))
            }
            localChecks += readerCache!.stats().l2LocalChecks
          } finally {
            await Promise.all([writerCache!.close(), readerCache!.close()])
          }
        }),
        { numRuns: RUNS },
      )
      expect(executed).toBe(RUNS * STEPS)
      expect(localChecks).toBeGreaterThan(0)
    }, 180_000)
  },
)
