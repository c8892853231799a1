/**
 * Clients that would return different results for the same arguments never share cached entries, even on one
 * backend (one process) or one Redis (several instances): a client's global `omit`, and the extensions beneath the
 * cache, are part of the key's scope. The user's `namespace` keeps clients apart deliberately.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from '../../src/index.js'
import { Prisma, PROVIDERS, type Provider } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { uniquePrefix, useRedis } from './stack.js'

const redisClient = useRedis()
const hideInactive = Prisma.defineExtension({
  name: 'hide-inactive',
  query: { user: { findMany: ({ args, query }) => query({ ...args, where: { ...args.where, active: true } }) } },
})

describe.each(PROVIDERS)('client shapes on %s', (provider: Provider) => {
  const db = useDatabase(provider)
  beforeEach(async () => {
    await db.reset()
    await db.createClient().user.createMany({
      data: [
        { email: 'a@example.com', active: true },
        { email: 'b@example.com', active: false },
      ],
    })
  })

  it("a client's global omit is part of the key: an omitted field never comes from another client's entry", async () => {
    const prefix = uniquePrefix()
    // Two instances sharing Redis, one with a global omit; and two clients sharing one in-process backend.
    const shared = () => new TieredCache(new MemoryCache(), new RedisCache({ client: redisClient(), prefix }))
    const full = db.createClient().$extends(cacheExtension({ cache: shared() }))
    const omitting = db.createClient({ omit: { user: { email: true } } }).$extends(cacheExtension({ cache: shared() }))
    const read = { where: { email: 'a@example.com' }, cache: 60 } as const
    expect((await full.user.findUnique(read))?.email).toBe('a@example.com')
    await full.$cache.flush()
    const hidden = await omitting.user.findUnique(read)
    expect(hidden).not.toHaveProperty('email')
    expect(hidden?.id).toBeDefined()
    const backend = new MemoryCache()
    const one = db.createClient().$extends(cacheExtension({ cache: backend }))
    const other = db.createClient({ omit: { user: { email: true } } }).$extends(cacheExtension({ cache: backend }))
    await one.user.findMany({ cache: 60 })
    expect((await other.user.findMany({ cache: 60 })).every((user) => !('email' in user))).toBe(true)
    expect(one.$cache.namespace).not.toBe(other.$cache.namespace)
  })

  it('clients with different extensions beneath the cache, on one backend, each get their own results', async () => {
    const backend = new MemoryCache()
    const plain = db.createClient().$extends(cacheExtension({ cache: backend }))
    const filtered = db
      .createClient()
      .$extends(hideInactive)
      .$extends(cacheExtension({ cache: backend }))
    expect(await plain.user.findMany({ cache: 60 })).toHaveLength(2)
    expect(await filtered.user.findMany({ cache: 60 })).toHaveLength(1)
    expect(await plain.user.findMany({ cache: 60 })).toHaveLength(2)
    // The same extension added after the cache (applied beneath it) is the same shape.
    const later = db
      .createClient()
      .$extends(cacheExtension({ cache: backend }))
      .$extends(hideInactive)
    expect(later.$cache.namespace).toBe(filtered.$cache.namespace)
    expect(await later.user.findMany({ cache: 60 })).toHaveLength(1)
    // A write through any of them invalidates the others' entries (tags are shared).
    await plain.user.update({ where: { email: 'b@example.com' }, data: { active: true } })
    expect(await filtered.user.findMany({ cache: 60 })).toHaveLength(2)
  })

  it('a namespace keeps otherwise identical clients apart; an invalid one is rejected naming it', async () => {
    const backend = new MemoryCache()
    const a = db.createClient().$extends(cacheExtension({ cache: backend, namespace: 'tenant-a' }))
    const b = db.createClient().$extends(cacheExtension({ cache: backend, namespace: 'tenant-b' }))
    await a.user.findMany({ cache: 60 })
    expect((await b.user.findMany({ cache: 60 }).withCacheInfo()).info.source).toBe('db')
    expect(a.$cache.namespace).toMatch(/^tenant-a:/)
    expect(() => db.createClient().$extends(cacheExtension({ namespace: 'a/b' }))).toThrow(
      /cacheExtension\(\{ namespace \}\): must be 1 to 64 letters/,
    )
  })
})
