/**
 * Composing with other extensions: the cache sees every read through the client's whole pipeline, whichever
 * order the user composes in. A query extension that hides rows (soft delete: `active: false` rows are hidden) and
 * a result extension (a computed field) give the same results with the cache as without it, composed before or
 * after it; `$transaction` works on any client built on the cached one.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { cacheExtension, MemoryCache } from '../../src/index.js'
import { Prisma, PROVIDERS, type Provider } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { label, softDelete } from './app-extensions.js'

/**
 * Rows as data: Prisma's result-extension objects are proxies with an extra `util.inspect.custom` symbol key
 * (how console.log shows computed fields); a cached row is a plain object with the same fields and values.
 */
const data = (rows: readonly object[]) =>
  rows.map((row) => Object.fromEntries(Object.keys(row).map((key) => [key, (row as Record<string, unknown>)[key]])))

describe.each(PROVIDERS)('composing with other extensions on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => {
    await db.reset()
    const plain = db.createClient()
    await plain.user.createMany({
      data: [1, 2, 3, 4].map((n) => ({ email: `u${n}@example.com`, name: `U${n}`, active: n !== 4 })),
    })
  })

  const orders = {
    'cache, then soft delete and a computed field': () =>
      db
        .createClient()
        .$extends(cacheExtension({ cache: new MemoryCache() }))
        .$extends(softDelete)
        .$extends(label),
    'soft delete and a computed field, then cache': () =>
      db
        .createClient()
        .$extends(softDelete)
        .$extends(label)
        .$extends(cacheExtension({ cache: new MemoryCache() })),
    'soft delete, cache, computed field': () =>
      db
        .createClient()
        .$extends(softDelete)
        .$extends(cacheExtension({ cache: new MemoryCache() }))
        .$extends(label),
  }

  for (const [order, build] of Object.entries(orders)) {
    it(`${order}: the same rows and fields as without the cache, cached or not`, async () => {
      const cached = build()
      const reference = db.createClient().$extends(softDelete).$extends(label)
      for (let round = 0; round < 2; round++) {
        // Round 2 is served from the cache where the read carries `cache`.
        const expected = data(await reference.user.findMany({ orderBy: { id: 'asc' } }))
        expect(expected).toHaveLength(3)
        expect(data(await cached.user.findMany({ orderBy: { id: 'asc' }, cache: 60 }))).toEqual(expected)
        expect(data(await cached.user.findMany({ orderBy: { id: 'asc' } }))).toEqual(expected)
        expect(await cached.user.count({ cache: 60 })).toBe(3)
        const first = await cached.user.findFirst({ where: { email: 'u4@example.com' }, cache: 60 })
        expect(first).toBeNull()
        const selected = await cached.user.findMany({ select: { label: true }, orderBy: { id: 'asc' }, cache: 60 })
        expect(data(selected)).toEqual([
          { label: 'U1 <u1@example.com>' },
          { label: 'U2 <u2@example.com>' },
          { label: 'U3 <u3@example.com>' },
        ])
      }
      // The cache is really in use, and a write through the composed client still invalidates.
      expect(cached.$cache.stats().cache.hits).toBeGreaterThan(0)
      await cached.user.update({ where: { email: 'u1@example.com' }, data: { active: false } })
      expect(await cached.user.count({ cache: 60 })).toBe(2)
    })

    it(`${order}: $transaction works, interactive and batch, and its writes invalidate on commit`, async () => {
      const cached = build()
      expect(await cached.user.count({ cache: 60 })).toBe(3)
      await cached.$transaction(async (tx) => {
        await tx.user.update({ where: { email: 'u2@example.com' }, data: { active: false } })
      })
      expect(await cached.user.count({ cache: 60 })).toBe(2)
      const [count] = await cached.$transaction([
        cached.user.count(),
        cached.user.update({ where: { email: 'u3@example.com' }, data: { active: false } }),
      ])
      expect(count).toBe(2)
      expect(await cached.user.count({ cache: 60 })).toBe(1)
    })
  }

  it('an extension given as a callback (defineExtension((client) => ...)) and composed after the cache runs on cached reads', async () => {
    const seen: string[] = []
    const logging = Prisma.defineExtension((client) =>
      client.$extends({
        query: {
          $allModels: {
            $allOperations: ({ model, operation, args, query }) => {
              seen.push(`${model}.${operation}`)
              return query(args)
            },
          },
        },
      }),
    )
    const cached = db
      .createClient()
      .$extends(cacheExtension({ cache: new MemoryCache() }))
      .$extends(logging)
      .$extends(softDelete)
    expect(await cached.user.count({ cache: 60 })).toBe(3)
    expect(await cached.user.count({ cache: 60 })).toBe(3)
    // The first read missed and ran through the logging extension; the second was a hit.
    expect(seen).toEqual(['User.count'])
  })
})
