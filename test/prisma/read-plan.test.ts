import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildDataModel } from '../../src/prisma/data-model.js'
import { planRead, resultTags } from '../../src/prisma/read-plan.js'
import { canonicalText } from '../../src/prisma/canonical.js'
import { Prisma } from '../support/database.js'
import { engineView } from './engine-data-model.js'

const schema = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8')
const engine = engineView(schema)
const dataModel = buildDataModel({ runtime: engine.runtime, schema: engine.inline, provider: engine.provider }, 'test')
const key = (model: string, operation: Parameters<typeof planRead>[2], args: Record<string, unknown>) =>
  planRead(dataModel, model, operation, args).key.toString()

describe('read keys', () => {
  it('findUnique by a unique selector is entity + canonical selector, compound uniques included', () => {
    expect(key('User', 'findUnique', { where: { id: 1 } })).toBe('User:id=1')
    expect(key('User', 'findUniqueOrThrow', { where: { id: 1 } })).toBe('User:id=1')
    expect(key('User', 'findUnique', { where: { email: 'a@b.c' } })).toBe('User:email=a@b.c')
    expect(key('Membership', 'findUnique', { where: { userId_orgId: { userId: 1, orgId: 'o-1' } } })).toBe(
      'Membership:orgId=o-1,userId=1',
    )
    expect(key('Membership', 'findUnique', { where: { userId_orgId: { orgId: 'o-1', userId: 1 } } })).toBe(
      'Membership:orgId=o-1,userId=1',
    )
    expect(key('Post', 'findUnique', { where: { authorId_slug: { authorId: 3, slug: 'x y' } } })).toBe(
      'Post:authorId=3,slug=x%2520y',
    ) // a value's own escape is escaped again: injective, documented
  })

  it('shaping arguments and extra filters give a different key under the same selector prefix', () => {
    const plain = key('User', 'findUnique', { where: { id: 1 } })
    const selected = key('User', 'findUnique', { where: { id: 1 }, select: { id: true } })
    const included = key('User', 'findUnique', { where: { id: 1 }, include: { posts: true } })
    const filtered = key('User', 'findUnique', { where: { id: 1, name: 'x' } })
    expect(new Set([plain, selected, included, filtered]).size).toBe(4)
    expect(selected.startsWith('User:id=1|')).toBe(true)
    expect(filtered.startsWith('User:findUnique|')).toBe(true)
  })

  it('is independent of key order and counts every argument', () => {
    const a = key('Post', 'findMany', { where: { published: true, authorId: 1 }, orderBy: { id: 'asc' }, take: 5 })
    const b = key('Post', 'findMany', { take: 5, orderBy: { id: 'asc' }, where: { authorId: 1, published: true } })
    expect(a).toBe(b)
    const base = { where: { authorId: 1 } }
    const variants = [
      base,
      { ...base, select: { id: true } },
      { ...base, include: { author: true } },
      { ...base, orderBy: { id: 'desc' } },
      { ...base, cursor: { id: 3 } },
      { ...base, take: 2 },
      { ...base, skip: 1 },
      { ...base, distinct: ['slug'] },
      { ...base, omit: { content: true } },
    ]
    expect(new Set(variants.map((args) => key('Post', 'findMany', args))).size).toBe(variants.length)
    expect(key('Post', 'findMany', base)).not.toBe(key('Post', 'findFirst', base))
    expect(key('Post', 'findFirst', base)).toBe(key('Post', 'findFirstOrThrow', base))
    expect(key('Post', 'findMany', { where: { authorId: 1, title: undefined } })).toBe(key('Post', 'findMany', base))
  })

  it('never confuses values of different types', () => {
    const where = (value: unknown) => key('Post', 'findMany', { where: { title: value } })
    const values = [
      1,
      '1',
      1n,
      true,
      'true',
      new Date('2024-01-01T00:00:00.000Z'),
      '2024-01-01T00:00:00.000Z',
      new Prisma.Decimal('1.5'),
      1.5,
      '1.5',
      null,
      'null',
      Prisma.DbNull,
      Prisma.JsonNull,
      new Uint8Array([49]),
      [1],
      { equals: 1 },
    ]
    expect(new Set(values.map(where)).size).toBe(values.length)
    expect(canonicalText(new Prisma.Decimal('1.50'))).toBe(canonicalText(new Prisma.Decimal('1.5')))
  })
})

describe('read tags', () => {
  const tags = (
    model: string,
    operation: Parameters<typeof planRead>[2],
    args: Record<string, unknown>,
    result: unknown = null,
  ) => resultTags(planRead(dataModel, model, operation, args), result).sort()

  it('a found row carries its record tag; a missing row or a list the collection tag', () => {
    expect(tags('User', 'findUnique', { where: { id: 1 } }, { id: 1, email: 'x' })).toEqual(['User', 'User:id=1'])
    expect(tags('User', 'findUnique', { where: { email: 'x' } }, { id: 7, email: 'x' })).toEqual(['User', 'User:id=7'])
    expect(tags('User', 'findUnique', { where: { id: 1 } }, null)).toEqual(['User', 'User:*'])
    expect(tags('User', 'findUnique', { where: { id: 1 }, select: { email: true } }, { email: 'x' })).toEqual([
      'User',
      'User:*',
    ])
    expect(
      tags(
        'Membership',
        'findUnique',
        { where: { userId_orgId: { userId: 1, orgId: 'o' } } },
        { userId: 1, orgId: 'o' },
      ),
    ).toEqual(['Membership', 'Membership:orgId=o,userId=1'])
    expect(tags('User', 'findMany', {})).toEqual(['User', 'User:*'])
    expect(tags('User', 'findFirst', {}, { id: 1 })).toEqual(['User', 'User:*'])
  })

  it('every model reached through include, select, _count, relation filters and orderBy is tagged', () => {
    expect(
      tags('User', 'findUnique', { where: { id: 1 }, include: { posts: { include: { tags: true } } } }, { id: 1 }),
    ).toEqual(['Post', 'Post:*', 'Tag', 'Tag:*', 'User', 'User:id=1'])
    expect(tags('User', 'findMany', { select: { _count: { select: { memberships: true } } } })).toEqual([
      'Membership',
      'Membership:*',
      'User',
      'User:*',
    ])
    expect(tags('User', 'findMany', { include: { _count: true } })).toEqual([
      'Membership',
      'Membership:*',
      'Post',
      'Post:*',
      'User',
      'User:*',
    ])
    expect(tags('User', 'count', { where: { posts: { some: { tags: { none: { name: 'x' } } } } } })).toEqual([
      'Post',
      'Post:*',
      'Tag',
      'Tag:*',
      'User',
      'User:*',
    ])
    expect(tags('Post', 'findMany', { where: { OR: [{ author: { is: { profile: { bio: 'x' } } } }] } })).toEqual([
      'Post',
      'Post:*',
      'Profile',
      'Profile:*',
      'User',
      'User:*',
    ])
    expect(tags('Post', 'findMany', { where: { editor: null } })).toEqual(['Post', 'Post:*', 'User', 'User:*'])
    expect(tags('Post', 'findMany', { orderBy: [{ author: { name: 'asc' } }] })).toEqual([
      'Post',
      'Post:*',
      'User',
      'User:*',
    ])
    expect(tags('User', 'findMany', { orderBy: { posts: { _count: 'desc' } } })).toEqual([
      'Post',
      'Post:*',
      'User',
      'User:*',
    ])
  })

  it('expectedTags (what a lookup reads with the entry) covers every result the read can have, or is undefined', () => {
    const expected = (model: string, operation: Parameters<typeof planRead>[2], args: Record<string, unknown>) =>
      planRead(dataModel, model, operation, args).expectedTags?.sort()
    const covers = (
      model: string,
      operation: Parameters<typeof planRead>[2],
      args: Record<string, unknown>,
      results: unknown[],
    ) => {
      const plan = planRead(dataModel, model, operation, args)
      for (const result of results)
        for (const tag of resultTags(plan, result))
          expect(plan.expectedTags, `${model}.${operation} ${JSON.stringify(args)}`).toContain(tag)
    }
    expect(expected('User', 'findUnique', { where: { id: 1 } })).toEqual(['User', 'User:*', 'User:id=1'])
    covers('User', 'findUnique', { where: { id: 1 } }, [{ id: 1 }, null, { email: 'x' }])
    covers('User', 'findUniqueOrThrow', { where: { id: 1 }, include: { posts: { include: { tags: true } } } }, [
      { id: 1, posts: [] },
    ])
    covers('Membership', 'findUnique', { where: { userId_orgId: { userId: 1, orgId: 'o' } } }, [
      { userId: 1, orgId: 'o' },
      null,
    ])
    covers('User', 'findMany', { include: { _count: true } }, [[{ id: 1 }], []])
    covers('Post', 'count', { where: { OR: [{ author: { is: { profile: { bio: 'x' } } } }] } }, [3])
    covers('User', 'findFirst', {}, [{ id: 1 }, null])
    // The found row's record tag is its primary key: unknown before the query when `where` names another unique.
    expect(expected('User', 'findUnique', { where: { email: 'x' } })).toBeUndefined()
    expect(expected('Post', 'findUnique', { where: { authorId_slug: { authorId: 1, slug: 's' } } })).toBeUndefined()
  })
})

describe('schema fingerprint', () => {
  it('the namespace changes with the schema', async () => {
    const { createHash } = await import('node:crypto')
    const fp = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 10)
    expect(fp(schema)).not.toBe(fp(schema.replace('bio    String?', 'bio    String')))
  })
})
