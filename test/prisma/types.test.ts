/**
 * Type tests: compiled by `tsc --noEmit` in `npm test` (a wrong type fails the run before vitest starts).
 * The functions are never called: only their types matter. The vitest test below checks that they exist.
 */
import { describe, expectTypeOf, it } from 'vitest'
import {
  cacheExtension,
  cacheOptionsFromEnv,
  type CircuitState,
  MemoryCache,
  RedisCache,
  TieredCache,
  type TieredHealth,
} from '../../src/index.js'
import type { Prisma, TestPrismaClient } from '../support/database.js'

function extended(base: TestPrismaClient) {
  return base.$extends(
    cacheExtension({
      cache: new TieredCache(new MemoryCache(), new MemoryCache()),
      ttl: 60,
      models: { User: { ttl: 300 }, AuditLog: false },
    }),
  )
}
type Cached = ReturnType<typeof extended>

export async function acceptedShapes(prisma: Cached) {
  // Accepted without casts, in every shape.
  await prisma.user.findUnique({ where: { id: 1 }, cache: { ttl: 60 } })
  await prisma.user.findUnique({ where: { id: 1 }, cache: { ttl: 60, swr: 30, tags: ['User'], key: 'me' } })
  await prisma.post.findMany({ where: { published: true }, include: { author: true }, cache: 30 })
  await prisma.user.findFirst({ where: { email: 'a' }, cache: false })
  await prisma.user.findUniqueOrThrow({ where: { email: 'a' }, cache: 5 })
  await prisma.user.findFirstOrThrow({ cache: 5 })
  await prisma.user.count({ cache: 5 })
  await prisma.user.aggregate({ _avg: { age: true }, cache: 5 })
  await prisma.post.groupBy({ by: ['authorId'], _count: { _all: true }, cache: 5 })
  await prisma.user.findMany()
  await prisma.$cache.invalidate({ tags: ['User'] })
}

export async function healthShapes(tiered: Cached, base: TestPrismaClient) {
  // A TieredCache tells each tier: no optional chaining needed.
  const health = await tiered.$cache.health()
  expectTypeOf(health.l2.circuit).toEqualTypeOf<CircuitState | undefined>()
  expectTypeOf(health.l1.trusted).toEqualTypeOf<boolean>()
  // A RedisCache alone is put behind a TieredCache: the same shape.
  const redisOnly = base.$extends(cacheExtension({ cache: new RedisCache({ url: 'redis://127.0.0.1:1' }) }))
  expectTypeOf((await redisOnly.$cache.health()).l2.pendingInvalidations).toEqualTypeOf<number>()
  // A single in-process tier: only ok.
  const memoryOnly = base.$extends(cacheExtension())
  expectTypeOf(await memoryOnly.$cache.health()).toEqualTypeOf<{ ok: boolean }>()
  // @ts-expect-error -- a MemoryCache has no l2
  void (await memoryOnly.$cache.health()).l2
  // A backend known only as CacheBackend (e.g. from cacheOptionsFromEnv): the parts may be there.
  const fromEnv = base.$extends(cacheExtension(cacheOptionsFromEnv({})))
  expectTypeOf((await fromEnv.$cache.health()).l2).toEqualTypeOf<TieredHealth['l2'] | undefined>()
  await tiered.$cache.close()
  await tiered.$cache.close({ clients: true })
}

export async function rejectedShapes(prisma: Cached) {
  // @ts-expect-error ttl must be a number
  await prisma.user.findUnique({ where: { id: 1 }, cache: { ttl: '60' } })
  // @ts-expect-error cache: true is not a shape
  await prisma.user.findMany({ cache: true })
  // @ts-expect-error unknown field in the cache option
  await prisma.user.findMany({ cache: { ttl: 1, stale: 5 } })
  // @ts-expect-error unknown Prisma argument is still rejected
  await prisma.user.findMany({ wher: {} })
  // @ts-expect-error where is still required on findUnique
  await prisma.user.findUnique({ cache: 5 })
}

export async function resultTypesStayPrisma(prisma: Cached, base: TestPrismaClient) {
  const plain = await prisma.user.findUnique({ where: { id: 1 }, cache: 60 })
  expectTypeOf(plain).toEqualTypeOf<Awaited<ReturnType<typeof base.user.findUnique<{ where: { id: 1 } }>>>>()
  expectTypeOf(plain).toEqualTypeOf<Prisma.UserGetPayload<{}> | null>()

  const selected = await prisma.user.findUnique({
    where: { id: 1 },
    select: { id: true, posts: { select: { title: true } }, _count: { select: { posts: true } } },
    cache: 60,
  })
  expectTypeOf(selected).toEqualTypeOf<{ id: number; posts: { title: string }[]; _count: { posts: number } } | null>()

  const included = await prisma.post.findMany({ include: { author: true, tags: true }, cache: 30 })
  expectTypeOf(included).toEqualTypeOf<Prisma.PostGetPayload<{ include: { author: true; tags: true } }>[]>()
  expectTypeOf(included[0]!.price).toEqualTypeOf<Prisma.Decimal | null>()

  const orThrow = await prisma.user.findUniqueOrThrow({ where: { id: 1 }, cache: 60 })
  expectTypeOf(orThrow).toEqualTypeOf<Prisma.UserGetPayload<{}>>()

  expectTypeOf(await prisma.user.count({ cache: 5 })).toEqualTypeOf<number>()
  const withInfo = await prisma.user
    .findUnique({ where: { id: 1 }, select: { email: true }, cache: 60 })
    .withCacheInfo()
  expectTypeOf(withInfo.data).toEqualTypeOf<{ email: string } | null>()
  expectTypeOf(withInfo.info.source).toEqualTypeOf<'l1' | 'l2' | 'stale' | 'db' | 'coalesced' | 'bypass'>()
  const sum = await prisma.user.aggregate({ _sum: { karma: true }, cache: 5 })
  expectTypeOf(sum._sum.karma).toEqualTypeOf<bigint | null>()
}

export async function transactionClients(prisma: Cached) {
  const inside = await prisma.$transaction(async (tx) => {
    // The interactive transaction client keeps the cache argument and Prisma's result types.
    const user = await tx.user.findUnique({ where: { id: 1 }, include: { profile: true }, cache: 60 })
    expectTypeOf(user).toEqualTypeOf<Prisma.UserGetPayload<{ include: { profile: true } }> | null>()
    // @ts-expect-error wrong cache shape inside a transaction too
    await tx.user.findMany({ cache: { ttl: 'x' } })
    // @ts-expect-error an interactive transaction client cannot $extends
    tx.$extends
    return user?.email
  })
  expectTypeOf(inside).toEqualTypeOf<string | undefined>()

  const [user, count] = await prisma.$transaction([
    prisma.user.findUnique({ where: { id: 1 }, cache: 60 }),
    prisma.post.count({ cache: 5 }),
  ])
  expectTypeOf(user).toEqualTypeOf<Prisma.UserGetPayload<{}> | null>()
  expectTypeOf(count).toEqualTypeOf<number>()
}

describe('types', () => {
  it('are checked by tsc (npm test runs it before vitest)', () => {
    expectTypeOf(acceptedShapes).toBeFunction()
    expectTypeOf(rejectedShapes).toBeFunction()
    expectTypeOf(healthShapes).toBeFunction()
    expectTypeOf(resultTypesStayPrisma).toBeFunction()
    expectTypeOf(transactionClients).toBeFunction()
  })
})
