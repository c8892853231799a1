/**
 * Prisma's fluent API on the cached client: `findUnique(...).posts()` works as without the extension (existing
 * code keeps working the day it is installed), with Prisma's types; with a `cache` argument the relation read is
 * cached (as the same read selecting only that relation) and invalidated by writes to the related rows.
 */
import { beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { MemoryCache } from '../../src/index.js'
import { type Post, PROVIDERS, type Profile, type Provider } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { cachedClient } from './stack.js'

describe.each(PROVIDERS)('the fluent API on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => db.reset())

  it('answers as Prisma does, cached when the read carries cache, and stays exact after writes', async () => {
    const { prisma, counter } = cachedClient(db, new MemoryCache())
    const plain = db.createClient()
    const user = await plain.user.create({
      data: {
        email: 'fluent@example.com',
        profile: { create: { bio: 'hi' } },
        posts: {
          create: [
            { title: 'A', slug: 'a' },
            { title: 'B', slug: 'b' },
          ],
        },
      },
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
    const info = await prisma.user
      .findUnique({ where: { id: user.id }, cache: 60 })
      .posts({ orderBy: { id: 'asc' } })
      .withCacheInfo()
    expect(info.info.source).toBe('l1')
    // A write to a related row invalidates it.
    await prisma.post.create({ data: { title: 'C', slug: 'c', authorId: user.id } })
    expect((await posts())?.map((p) => p.title)).toEqual(['A', 'B', 'C'])
    // Inside a batch transaction: Prisma's own fluent call.
    const [inBatch] = await prisma.$transaction([prisma.user.findUnique({ where: { id: user.id }, cache: 60 }).posts()])
    expect(inBatch).toHaveLength(3)
  })

  it('chains through to-one relations as Prisma does, with the same results, nulls, errors and types', async () => {
    const { prisma, counter } = cachedClient(db, new MemoryCache())
    const plain = db.createClient()
    const ada = await plain.user.create({
      data: { email: 'ada@example.com', name: 'Ada', profile: { create: { bio: 'math' } } },
    })
    const bob = await plain.user.create({ data: { email: 'bob@example.com', name: 'Bob' } })
    const post = await plain.post.create({ data: { title: 'A', slug: 'a', authorId: ada.id, editorId: bob.id } })
    await plain.post.create({ data: { title: 'B', slug: 'b', authorId: bob.id } })
    const where = { where: { id: post.id } }

    // Types: exactly Prisma's, also where the OrThrow variants drop `| null` and an optional relation adds it.
    expectTypeOf(await prisma.post.findFirstOrThrow(where).author()).toEqualTypeOf(
      await plain.post.findFirstOrThrow(where).author(),
    )
    expectTypeOf(await prisma.post.findUnique(where).author()).toEqualTypeOf(
      await plain.post.findUnique(where).author(),
    )
    expectTypeOf(await prisma.user.findUniqueOrThrow({ where: { id: ada.id } }).posts()).toEqualTypeOf(
      await plain.user.findUniqueOrThrow({ where: { id: ada.id } }).posts(),
    )
    expectTypeOf(await prisma.post.findUniqueOrThrow(where).author().profile().user()).toEqualTypeOf(
      await plain.post.findUniqueOrThrow(where).author().profile().user(),
    )
    expectTypeOf(
      await prisma.post
        .findFirstOrThrow(where)
        .editor()
        .posts({ select: { id: true } }),
    ).toEqualTypeOf(
      await plain.post
        .findFirstOrThrow(where)
        .editor()
        .posts({ select: { id: true } }),
    )
    // @ts-expect-error no chaining after a list relation, as with Prisma
    void prisma.user.findUniqueOrThrow({ where: { id: ada.id } }).posts().author

    // Results: the same as Prisma's, without and with a cache argument (the second round from the cache).
    type Info = { data: unknown; info: { source: string } }
    const chains: Record<
      string,
      [
        plain: () => PromiseLike<unknown>,
        cached: (cache?: number) => PromiseLike<unknown> & { withCacheInfo(): Promise<Info> },
      ]
    > = {
      authorProfile: [
        () => plain.post.findUnique(where).author().profile(),
        (cache) =>
          prisma.post
            .findUnique({ ...where, cache })
            .author()
            .profile(),
      ],
      editorPosts: [
        () =>
          plain.post
            .findFirstOrThrow(where)
            .editor({ select: { name: true } })
            .posts({ orderBy: { id: 'asc' }, select: { title: true } }),
        (cache) =>
          prisma.post
            .findFirstOrThrow({ ...where, cache })
            .editor({ select: { name: true } })
            .posts({ orderBy: { id: 'asc' }, select: { title: true } }),
      ],
      profileUserPosts: [
        () =>
          plain.profile
            .findFirst({ where: { bio: 'math' } })
            .user()
            .posts({ select: { slug: true } }),
        (cache) =>
          prisma.profile
            .findFirst({ where: { bio: 'math' }, cache })
            .user()
            .posts({ select: { slug: true } }),
      ],
      missingRoot: [
        () =>
          plain.post
            .findUnique({ where: { id: 999_999 } })
            .author()
            .profile(),
        (cache) =>
          prisma.post
            .findUnique({ where: { id: 999_999 }, cache })
            .author()
            .profile(),
      ],
      nullInBetween: [
        () =>
          plain.post
            .findFirst({ where: { slug: 'b' } })
            .editor()
            .profile(),
        (cache) =>
          prisma.post
            .findFirst({ where: { slug: 'b' }, cache })
            .editor()
            .profile(),
      ],
    }
    for (const [name, [uncached, cached]] of Object.entries(chains)) {
      const expected = await uncached()
      expect(await cached(), `${name}, without cache`).toEqual(expected)
      for (const round of [1, 2]) {
        const before = counter.queries
        const { data, info } = await cached(60).withCacheInfo()
        expect(data, `${name}, cached, round ${round}`).toEqual(expected)
        expect(info.source, name).toBe(round === 1 ? 'db' : 'l1')
        expect(counter.queries - before, name).toBe(round === 1 ? 1 : 0)
      }
    }
    // Errors: an OrThrow root that finds nothing rejects as Prisma's does.
    await expect(
      prisma.post
        .findUniqueOrThrow({ where: { id: 999_999 }, cache: 60 })
        .author()
        .profile(),
    ).rejects.toThrow(/No record was found|not found/i)
    // Tagged by every model the chain reaches: a profile write evicts the cached chain.
    await prisma.profile.update({ where: { userId: ada.id }, data: { bio: 'logic' } })
    expect(
      await prisma.post
        .findUnique({ ...where, cache: 60 })
        .author()
        .profile(),
    ).toMatchObject({ bio: 'logic' })
    // Inside a batch $transaction: Prisma's own fluent chain.
    const [inBatch] = await prisma.$transaction([
      prisma.post
        .findUnique({ ...where, cache: 60 })
        .author()
        .profile(),
    ])
    expect(inBatch).toMatchObject({ bio: 'logic' })
  })
})
