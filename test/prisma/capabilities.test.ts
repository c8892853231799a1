/**
 * The extension asks a backend's declared capabilities, never its class: a `remote` backend is put behind a
 * TieredCache (its failures tolerated), one without `snapshots` is refused, one without `patterns` is cleared
 * when asked to invalidate by pattern. The backend here is the README's example (examples/custom-backend).
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { CacheCapabilities, CacheEntry, KeyLike, SetOptions, TagLike } from '../../src/cache/index.js'
import { MapCache } from '../../examples/custom-backend/map-cache.js'
import { useDatabase } from '../support/use-database.js'
import { cachedClient } from './stack.js'

class Declaring extends MapCache {
  broken = false
  constructor(override readonly capabilities: CacheCapabilities) {
    super()
  }

  override async get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    if (this.broken) throw new Error('store unreachable')
    return super.get<T>(key)
  }

  override async set(key: KeyLike, value: unknown, options: SetOptions): Promise<void> {
    if (this.broken) throw new Error('store unreachable')
    return super.set(key, value, options)
  }

  override async invalidateTags(tags: readonly TagLike[]): Promise<void> {
    if (this.broken) throw new Error('store unreachable')
    return super.invalidateTags(tags)
  }
}

const ALL: CacheCapabilities = { remote: false, snapshots: true, patterns: true, batch: false, numbered: false }

describe('the extension asks capabilities', () => {
  const db = useDatabase('sqlite')
  beforeEach(async () => db.reset())

  it('serves reads from a backend of ones own, and puts a remote one behind a TieredCache that tolerates its failures', async () => {
    const user = await db.createClient().user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
    const local = new Declaring(ALL)
    const { prisma, counter } = cachedClient(db, local)
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    expect(counter.queries).toBe(1)

    const remote = new Declaring({ ...ALL, remote: true })
    const behind = cachedClient(db, remote)
    remote.broken = true
    // A failing remote store: reads come from the database, and a write succeeds, its invalidation owed to the
    // store by the TieredCache in front of it (this instance no longer reads the store until it is paid).
    expect((await behind.prisma.user.findUnique({ where: { id: user.id }, cache: 60 }))?.name).toBe('Ada')
    await behind.prisma.user.update({ where: { id: user.id }, data: { name: 'Ada L.' } })
    // A local backend is used as it is: its failing invalidation fails the write (nothing would remember it).
    local.broken = true
    await expect(prisma.user.update({ where: { id: user.id }, data: { name: 'Ada B.' } })).rejects.toThrow(
      /store unreachable/,
    )
  })

  it('refuses a backend without snapshots (its fills could land stale)', () => {
    expect(() => cachedClient(db, new Declaring({ ...ALL, snapshots: false }))).toThrow(/does not declare snapshots/)
  })

  it('clears a backend without patterns when asked to invalidate by pattern', async () => {
    const user = await db.createClient().user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
    const cache = new Declaring({ ...ALL, patterns: false })
    const { prisma, counter } = cachedClient(db, cache)
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    await prisma.post.findMany({ cache: 60 })
    expect(await cache.size()).toBe(2)
    await prisma.$cache.invalidate({ patterns: ['User:*'] })
    expect(await cache.size()).toBe(0)
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    expect(counter.queries).toBe(3)
  })
})
