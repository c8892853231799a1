/**
 * A fixed dataset and a set of probe reads over every model and relation of the test schema. Invalidation
 * tests warm the probes through the cached client, make one write, then check that every probe answers what
 * the database says (correctness) and which probes were still served from the cache (precision).
 */
import type { TestPrismaClient } from '../support/database.js'
import type { cachedClient } from './stack.js'

export type Cached = ReturnType<typeof cachedClient>['prisma']

export interface Seeded {
  ada: number
  bob: number
  cy: number
  hello: number
  second: number
  intro: number
  org: string
}

export async function seedDataset(plain: TestPrismaClient): Promise<Seeded> {
  const ada = await plain.user.create({
    data: { email: 'ada@example.com', name: 'Ada', profile: { create: { bio: 'math' } } },
  })
  const bob = await plain.user.create({ data: { email: 'bob@example.com', name: 'Bob', invitedById: ada.id } })
  const cy = await plain.user.create({ data: { email: 'cy@example.com', name: 'Cy' } })
  const intro = await plain.tag.create({ data: { name: 'intro' } })
  const hello = await plain.post.create({
    data: { title: 'Hello', slug: 'hello', authorId: ada.id, editorId: bob.id, tags: { connect: { id: intro.id } } },
  })
  const second = await plain.post.create({
    data: { title: 'Second', slug: 'second', authorId: bob.id, published: true },
  })
  const org = await plain.organization.create({
    data: { name: 'Acme', memberships: { create: [{ userId: ada.id }, { userId: bob.id }] } },
  })
  return { ada: ada.id, bob: bob.id, cy: cy.id, hello: hello.id, second: second.id, intro: intro.id, org: org.id }
}

/** The probe reads, by name; each takes the client (cached: with a `cache` argument; plain: without). */
export function probes(s: Seeded) {
  return {
    adaById: (p: Cached) => p.user.findUnique({ where: { id: s.ada }, cache: 60 }),
    bobById: (p: Cached) => p.user.findUnique({ where: { id: s.bob }, cache: 60 }),
    cyByEmail: (p: Cached) => p.user.findUnique({ where: { email: 'cy@example.com' }, cache: 60 }),
    missingUser: (p: Cached) => p.user.findUnique({ where: { id: 999 }, cache: 60 }),
    adaWithPosts: (p: Cached) =>
      p.user.findUnique({
        where: { id: s.ada },
        include: { posts: { orderBy: { id: 'asc' } }, profile: true, invitees: true },
        cache: 60,
      }),
    bobWithEdited: (p: Cached) =>
      p.user.findUnique({ where: { id: s.bob }, include: { editedPosts: true, invitedBy: true }, cache: 60 }),
    users: (p: Cached) => p.user.findMany({ orderBy: { id: 'asc' }, cache: 60 }),
    userCount: (p: Cached) => p.user.count({ cache: 60 }),
    usersWithPublished: (p: Cached) =>
      p.user.findMany({
        where: { posts: { some: { published: true } } },
        orderBy: { id: 'asc' },
        select: { id: true },
        cache: 60,
      }),
    posts: (p: Cached) => p.post.findMany({ orderBy: { id: 'asc' }, include: { author: true, tags: true }, cache: 60 }),
    helloById: (p: Cached) => p.post.findUnique({ where: { id: s.hello }, cache: 60 }),
    postStats: (p: Cached) => p.post.aggregate({ _count: { _all: true }, _max: { views: true }, cache: 60 }),
    tagsWithPosts: (p: Cached) =>
      p.tag.findMany({ orderBy: { id: 'asc' }, include: { posts: { select: { id: true } } }, cache: 60 }),
    adaProfile: (p: Cached) => p.profile.findFirst({ where: { userId: s.ada }, cache: 60 }),
    memberships: (p: Cached) => p.membership.findMany({ orderBy: [{ userId: 'asc' }], cache: 60 }),
    org: (p: Cached) => p.organization.findMany({ include: { _count: true }, cache: 60 }),
    postsByAuthor: (p: Cached) =>
      p.post.groupBy({ by: ['authorId'], _count: { _all: true }, orderBy: { authorId: 'asc' }, cache: 60 }),
  }
}

export type ProbeName = keyof ReturnType<typeof probes>
