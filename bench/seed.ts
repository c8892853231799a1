/** The data the Prisma benches read: users (optionally with a profile) with posts of ~200 characters. */
import type { TestPrismaClient } from '../test/support/database.js'

export const POSTS_PER_USER = 5

const BODY =
  'Caching a Prisma read in two tiers means the hot path never leaves the process, while every instance still ' +
  'agrees on what was invalidated. This body is about two hundred characters long, like a short post.'

/** Creates `users` users (emails `<emailPrefix><i>@example.com`), each with POSTS_PER_USER posts; returns their ids in order. */
export async function seedUsers(
  base: TestPrismaClient,
  options: { users: number; emailPrefix: string; profiles: boolean },
): Promise<number[]> {
  await base.user.createMany({
    data: Array.from({ length: options.users }, (_, i) => ({
      email: `${options.emailPrefix}${i}@example.com`,
      name: `Bench User ${i}`,
      age: 20 + (i % 50),
      balance: `${100 + i}.25`,
      karma: BigInt(i * 1000),
      rating: 3.5 + (i % 3) / 2,
      createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
    })),
  })
  const ids = (await base.user.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((u) => u.id)
  if (options.profiles)
    await base.profile.createMany({
      data: ids.map((userId) => ({ userId, bio: 'Writes about databases, caches and the space between them.' })),
    })
  await base.post.createMany({
    data: ids.flatMap((authorId) =>
      Array.from({ length: POSTS_PER_USER }, (_, j) => ({
        authorId,
        title: `Post ${j + 1} by user ${authorId}: notes on caching`,
        slug: `post-${j + 1}`,
        content: BODY,
        published: j % 2 === 0,
        views: j * 7,
        publishedAt: new Date(Date.UTC(2024, 1, 1) + authorId * 60_000 + j * 1000),
      })),
    ),
  })
  return ids
}
