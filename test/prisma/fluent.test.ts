/**
 * Prisma's fluent API on the cached client: `findUnique(...).posts()` works as without the extension (existing
 * code keeps working the day it is installed), with Prisma's types; with a `cache` argument the relation read is
 * cached (as the same read selecting only that relation) and invalidated by writes to the related rows.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { MemoryCache } from '../../src/index.js'
import { type Post, PROVIDERS, type Profile, type Provider, startDatabase, type TestDatabase } from '../support/database.js'
import { cachedClient } from './stack.js'

describe.each(PROVIDERS)('the fluent API on %s', (provider: Provider) => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await startDatabase(provider)
  })
  afterAll(async () => db?.stop())
  beforeEach(async () => db.reset())

  it('answers as Prisma does, cached when the read carries cache, and stays exact after writes', async () => {
    const { prisma, counter } = cachedClient(db, new MemoryCache())
    const plain = db.createClient()
    const user = await plain.user.create({
      data: { email: 'fluent@example.com', profile: { create: { bio: 'hi' } }, posts: { create: [{ title: 'A', slug: 'a' }, { title: 'B', slug: 'b' }] } },
    })
    // Without a cache argument: plain Prisma, with its fluent results.
    expect(await prisma.user.findUnique({ where: { id: user.id } }).posts({ orderBy: { id: 'asc' } })).toEqual(
      await plain.user.findUnique({ where: { id: user.id } }).posts({ orderBy: { id: 'asc' } }),
    )
    const profile = await prisma.user.findUniqueOrThrow({ where: { id: user.id } }).profile()
    expectTypeOf(profile).toEqualTypeOf<Profile | null>()
    expect(profile?.bio).toBe('hi')
    expect(await prisma.user.findUnique({ where: { id: 999_999 } }).posts()).toBeNull()
    // With one: the second call is served from the cache.
    const posts = () => prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).posts({ orderBy: { id: 'asc' } })
    const first = await posts()
    expectTypeOf(first).toEqualTypeOf<Post[] | null>()
    expect(first?.map((p) => p.title)).toEqual(['A', 'B'])
    const before = counter.queries
    expect((await posts())?.map((p) => p.title)).toEqual(['A', 'B'])
    expect(counter.queries).toBe(before)
    const info = await prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).posts({ orderBy: { id: 'asc' } }).withCacheInfo()
    expect(info.info.source).toBe('l1')
    // A write to a related row invalidates it.
    await prisma.post.create({ data: { title: 'C', slug: 'c', authorId: user.id } })
    expect((await posts())?.map((p) => p.title)).toEqual(['A', 'B', 'C'])
    // Inside a batch transaction: Prisma's own fluent call.
    const [inBatch] = await prisma.$transaction([prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).posts()])
    expect(inBatch).toHaveLength(3)
  })
})
