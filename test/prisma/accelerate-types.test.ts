/**
 * Type tests of withAccelerate (`prisma-tiered-cache/accelerate`), compiled by `tsc --noEmit` in `npm test`:
 * Accelerate's `cacheStrategy` on the reads it supports, Prisma's result types, `withAccelerateInfo()`,
 * `$accelerate`, and the interactive-transaction client. The functions are never called: only their types matter.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { MemoryCache, RedisCache, TieredCache } from '../../src/index.js'
import { type AccelerateInfo, withAccelerate } from '../../src/prisma/accelerate.js'
import type { Prisma, TestPrismaClient } from '../support/database.js'

function extended(base: TestPrismaClient) {
  return base.$extends(
    withAccelerate({ cache: new TieredCache(new MemoryCache(), new RedisCache({ url: 'redis://127.0.0.1:1' })) }),
  )
}
type Accelerated = ReturnType<typeof extended>

/** The fields `@prisma/extension-accelerate` 3.0.1 declares for `info` (its AccelerateInfo), restated. */
interface AcceleratesOwnInfo {
  cacheStatus: 'ttl' | 'swr' | 'miss' | 'none'
  lastModified: Date
  region: string
  requestId: string
  signature: string
}

export async function acceptedShapes(prisma: Accelerated, base: TestPrismaClient) {
  // The README's usage of Accelerate, unchanged.
  await prisma.post.findMany({ take: 20, orderBy: { id: 'desc' }, cacheStrategy: { ttl: 120, tags: ['posts'] } })
  await prisma.user.findUnique({ where: { id: 1 }, cacheStrategy: { ttl: 60, swr: 30 } })
  await prisma.user.findUniqueOrThrow({ where: { email: 'a' }, cacheStrategy: { swr: 60 } })
  await prisma.user.findFirst({ where: { email: 'a' }, cacheStrategy: { ttl: 5 } })
  await prisma.user.findFirstOrThrow({ cacheStrategy: { ttl: 5 } })
  await prisma.user.count({ cacheStrategy: { ttl: 5 } })
  await prisma.user.aggregate({ _avg: { age: true }, cacheStrategy: { ttl: 5 } })
  await prisma.post.groupBy({ by: ['authorId'], _count: { _all: true }, cacheStrategy: { ttl: 5 } })
  await prisma.user.findMany()
  const tags: readonly string[] = ['a', 'b']
  await prisma.user.findMany({ cacheStrategy: { ttl: 5, tags } })
  expectTypeOf(await prisma.$accelerate.invalidate({ tags: ['posts'] })).toEqualTypeOf<{ requestId: string }>()
  expectTypeOf(await prisma.$accelerate.invalidateAll()).toEqualTypeOf<{ requestId: string }>()
  // $cache is there too (shutdown, stats, flush).
  await prisma.$cache.close()
  // Defaults: withAccelerate() with no options.
  const embedded = base.$extends(withAccelerate())
  await embedded.user.findMany({ cacheStrategy: { ttl: 60 } })
}

export async function rejectedShapes(prisma: Accelerated) {
  // @ts-expect-error ttl must be a number
  await prisma.user.findUnique({ where: { id: 1 }, cacheStrategy: { ttl: '60' } })
  // @ts-expect-error unknown field in cacheStrategy
  await prisma.user.findMany({ cacheStrategy: { ttl: 1, stale: 5 } })
  // @ts-expect-error tags are strings
  await prisma.user.findMany({ cacheStrategy: { ttl: 1, tags: [1] } })
  // @ts-expect-error cacheStrategy is an object, not a number of seconds
  await prisma.user.findMany({ cacheStrategy: 60 })
  // @ts-expect-error the `cache` argument is cacheExtension's, not Accelerate's
  await prisma.user.findMany({ cache: 60 })
  // @ts-expect-error unknown Prisma argument is still rejected
  await prisma.user.findMany({ wher: {} })
  // @ts-expect-error where is still required on findUnique
  await prisma.user.findUnique({ cacheStrategy: { ttl: 5 } })
  // @ts-expect-error writes take no cacheStrategy
  await prisma.user.create({ data: { email: 'a' }, cacheStrategy: { ttl: 5 } })
  // @ts-expect-error invalidate takes { tags }
  await prisma.$accelerate.invalidate(['posts'])
}

export async function resultTypesStayPrisma(prisma: Accelerated, base: TestPrismaClient) {
  const plain = await prisma.user.findUnique({ where: { id: 1 }, cacheStrategy: { ttl: 60 } })
  expectTypeOf(plain).toEqualTypeOf<Awaited<ReturnType<typeof base.user.findUnique<{ where: { id: 1 } }>>>>()
  expectTypeOf(plain).toEqualTypeOf<Prisma.UserGetPayload<{}> | null>()
  const selected = await prisma.user.findUnique({
    where: { id: 1 },
    select: { id: true, posts: { select: { title: true } } },
    cacheStrategy: { ttl: 60 },
  })
  expectTypeOf(selected).toEqualTypeOf<{ id: number; posts: { title: string }[] } | null>()
  const included = await prisma.post.findMany({ include: { author: true }, cacheStrategy: { ttl: 30 } })
  expectTypeOf(included).toEqualTypeOf<Prisma.PostGetPayload<{ include: { author: true } }>[]>()
  expectTypeOf(await prisma.user.findUniqueOrThrow({ where: { id: 1 }, cacheStrategy: { ttl: 60 } })).toEqualTypeOf<
    Prisma.UserGetPayload<{}>
  >()
  expectTypeOf(await prisma.user.count({ cacheStrategy: { ttl: 5 } })).toEqualTypeOf<number>()
  const sum = await prisma.user.aggregate({ _sum: { karma: true }, cacheStrategy: { ttl: 5 } })
  expectTypeOf(sum._sum.karma).toEqualTypeOf<bigint | null>()

  const { data, info } = await prisma.user
    .findMany({ select: { email: true }, cacheStrategy: { swr: 60 } })
    .withAccelerateInfo()
  expectTypeOf(data).toEqualTypeOf<{ email: string }[]>()
  expectTypeOf(info).toEqualTypeOf<AccelerateInfo>()
  expectTypeOf(info.cacheStatus).toEqualTypeOf<'ttl' | 'swr' | 'miss' | 'none'>()
  expectTypeOf(info.lastModified).toEqualTypeOf<Date>()
  // Code written against Accelerate's types (where info may be null) compiles unchanged.
  const theirs: AcceleratesOwnInfo | null = info
  void theirs?.cacheStatus
  expectTypeOf<AccelerateInfo>().toEqualTypeOf<AcceleratesOwnInfo>()

  // The fluent API, with withAccelerateInfo on each step.
  const posts = await prisma.user
    .findUnique({ where: { id: 1 }, cacheStrategy: { ttl: 60 } })
    .posts()
    .withAccelerateInfo()
  expectTypeOf(posts.data).toEqualTypeOf<Prisma.PostGetPayload<{}>[] | null>()
}

export async function transactionClients(prisma: Accelerated) {
  const inside = await prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: 1 }, include: { profile: true }, cacheStrategy: { ttl: 60 } })
    expectTypeOf(user).toEqualTypeOf<Prisma.UserGetPayload<{ include: { profile: true } }> | null>()
    const { info } = await tx.user.count({ cacheStrategy: { ttl: 5 } }).withAccelerateInfo()
    expectTypeOf(info.cacheStatus).toEqualTypeOf<'ttl' | 'swr' | 'miss' | 'none'>()
    // @ts-expect-error wrong cacheStrategy shape inside a transaction too
    await tx.user.findMany({ cacheStrategy: { ttl: 'x' } })
    return user?.email
  })
  expectTypeOf(inside).toEqualTypeOf<string | undefined>()
  const [user, count] = await prisma.$transaction([
    prisma.user.findUnique({ where: { id: 1 }, cacheStrategy: { ttl: 60 } }),
    prisma.post.count({ cacheStrategy: { ttl: 5 } }),
  ])
  expectTypeOf(user).toEqualTypeOf<Prisma.UserGetPayload<{}> | null>()
  expectTypeOf(count).toEqualTypeOf<number>()
}

describe('withAccelerate types', () => {
  it('are checked by tsc (npm test runs it before vitest)', () => {
    expectTypeOf(acceptedShapes).toBeFunction()
    expectTypeOf(rejectedShapes).toBeFunction()
    expectTypeOf(resultTypesStayPrisma).toBeFunction()
    expectTypeOf(transactionClients).toBeFunction()
  })
})
