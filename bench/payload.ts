/**
 * The value every scenario caches: what `prisma.user.findUnique({ include: { profile: true, posts: true } })`
 * returns for a user with a profile and 5 posts (Dates included, as Prisma returns them).
 */

const BODY =
  'Caching a Prisma read in two tiers means the hot path never leaves the process, while every instance still ' +
  'agrees on what was invalidated. This body is about two hundred characters long, like a short post.'

export interface BenchPost {
  id: number
  authorId: number
  title: string
  body: string
  published: boolean
  createdAt: Date
  tags: string[]
}

export interface BenchUser {
  id: number
  email: string
  name: string
  createdAt: Date
  profile: { id: number; userId: number; bio: string; website: string | null; updatedAt: Date }
  posts: BenchPost[]
}

export function makeUser(id: number): BenchUser {
  const base = Date.UTC(2024, 0, 1) + id * 60_000
  return {
    id,
    email: `user${id}@example.com`,
    name: `User Number ${id}`,
    createdAt: new Date(base),
    profile: {
      id,
      userId: id,
      bio: 'Writes about databases, caches and the space between them.',
      website: null,
      updatedAt: new Date(base + 1000),
    },
    posts: Array.from({ length: 5 }, (_, i) => ({
      id: id * 10 + i,
      authorId: id,
      title: `Post ${i + 1} by user ${id}: notes on caching`,
      body: BODY,
      published: i % 2 === 0,
      createdAt: new Date(base + (i + 2) * 1000),
      tags: ['prisma', 'cache', i % 2 === 0 ? 'redis' : 'memory'],
    })),
  }
}

/** Tags a Prisma layer would put on that read: the user row, and every Post and Profile (the relations). */
export function userTags(id: number): string[] {
  return [`User:id=${id}`, 'Post', 'Profile']
}
