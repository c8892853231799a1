import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CacheTierError,
  MemoryCache,
  msgpackSerializer,
  RedisCache,
  TieredCache,
  type TieredCacheEvent,
  type TieredCacheOptions,
} from '../../src/index.js'
import { type RedisService, startRedis, startRedisServer } from '../support/redis.js'
import { eventually } from '../support/eventually.js'
import { WrappedCache } from '../support/wrapped-cache.js'
import { manualClock } from '../support/clock.js'
import { l1Trusted } from '../support/l1-trusted.js'
import { describeConformance } from './conformance.js'

let prefixes = 0
const uniquePrefix = () => `tier${process.pid}x${++prefixes}:`

describeConformance('TieredCache<Memory, Memory>', () => {
  const clock = manualClock()
  return {
    cache: new TieredCache(new MemoryCache({ clock }), new MemoryCache({ clock })),
    other: new TieredCache(new MemoryCache(), new MemoryCache()),
    advance: clock.advance,
  }
})

describe('TieredCache over a real Redis', () => {
  let redis: RedisService
  let client: Redis
  beforeAll(async () => {
    redis = await startRedis()
    client = new Redis(redis.url)
  })
  // Caches over Redis open a bus by default (its subscriber connection): closed after the suite.
  const opened: TieredCache[] = []
  const ready = async <C extends TieredCache>(cache: C): Promise<C> => {
    opened.push(cache)
    await cache.ready
    return cache
  }
  afterAll(async () => {
    await Promise.all(opened.map((cache) => cache.close()))
    client?.disconnect()
    await redis?.stop()
  })

  describeConformance('TieredCache<Memory, Redis> (its default bus)', async () => ({
    cache: await ready(new TieredCache(new MemoryCache(), new RedisCache({ client, prefix: uniquePrefix() }))),
    other: await ready(new TieredCache(new MemoryCache(), new RedisCache({ client, prefix: uniquePrefix() }))),
  }))

  describeConformance('TieredCache<Memory, Redis> without a bus', async () => ({
    cache: new TieredCache(new MemoryCache(), new RedisCache({ client, prefix: uniquePrefix() }), { bus: false }),
    other: new TieredCache(new MemoryCache(), new RedisCache({ client, prefix: uniquePrefix() }), { bus: false }),
  }))

  describeConformance('TieredCache<Memory, TieredCache<Memory, Redis>> (tiers compose)', async () => {
    const inner = await ready(new TieredCache(new MemoryCache(), new RedisCache({ client, prefix: uniquePrefix() })))
    return { cache: new TieredCache(new MemoryCache(), inner) }
  })

  describeConformance('TieredCache<Memory, Redis> with l2Write async', async () => {
    const cache = await ready(
      new TieredCache(new MemoryCache(), new RedisCache({ client, prefix: uniquePrefix() }), { l2Write: 'async' }),
    )
    return { cache }
  })

  it('an L2 hit fills L1 with the bytes Redis returned (no copy of the value); L1 hits are equal, typed and independent', async () => {
    const l2 = new RedisCache({ client, prefix: uniquePrefix() })
    const value = { id: 1, at: new Date(5), big: 7n, posts: [{ title: 'a' }] }
    await l2.set('User:id=1', value, { ttl: 60, tags: ['User'] })
    const l1 = new MemoryCache()
    const tiered = new TieredCache(l1, l2, { bus: false })
    const fromL2 = await tiered.lookup<typeof value>('User:id=1')
    expect(fromL2.entry?.tier).toBe('l2')
    expect(fromL2.entry?.encoded?.serializer).toBe(msgpackSerializer)
    expect(Buffer.from(fromL2.entry!.encoded!.data).toString('latin1')).toContain('title')
    fromL2.entry!.value.posts[0]!.title = 'MUTATED'
    const first = await tiered.lookup<typeof value>('User:id=1')
    expect(first.entry?.tier).toBe('l1')
    expect(first.entry?.value).toEqual(value)
    expect(first.entry?.value.at).toBeInstanceOf(Date)
    first.entry!.value.posts[0]!.title = 'MUTATED'
    expect((await tiered.get('User:id=1'))?.value).toEqual(value)
    await tiered.invalidateTags(['User'])
    expect(await tiered.get('User:id=1')).toBeUndefined()
  })

  it('a set keeps in L1 the bytes L2 wrote (no copy of the value): its L1 hits read what every instance reads from L2', async () => {
    // A class the serializer does not know comes back from L2 as a plain object. Before, L1 kept a copy made by
    // cloneValue (prototype kept), so this instance read a Point where every other instance read a plain object.
    class Point {
      constructor(readonly x: number) {}
    }
    const prefix = uniquePrefix()
    const value = { id: 1, at: new Date(5), big: 7n, point: new Point(3), posts: [{ title: 'a' }] }
    const writer = new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), { bus: false })
    await writer.set('User:id=1', value, { ttl: 60, tags: ['User'] })
    const reader = new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), { bus: false })
    const fromL2 = await reader.lookup<typeof value>('User:id=1')
    expect(fromL2.entry?.tier).toBe('l2')
    const fromL1 = await writer.lookup<typeof value>('User:id=1')
    expect(fromL1.entry?.tier).toBe('l1')
    expect(fromL1.entry?.value).toStrictEqual(fromL2.entry?.value)
    expect(Object.getPrototypeOf(fromL1.entry?.value.point)).toBe(Object.prototype)
    expect(fromL1.entry?.value.at).toEqual(new Date(5))
    expect(fromL1.entry?.value.big).toBe(7n)
    // Each hit is still the caller's own: mutating one changes neither the cache nor the value that was set.
    fromL1.entry!.value.posts[0]!.title = 'MUTATED'
    expect((await writer.get<typeof value>('User:id=1'))?.value.posts[0]?.title).toBe('a')
    value.posts[0]!.title = 'MUTATED TOO'
    expect((await writer.get<typeof value>('User:id=1'))?.value.posts[0]?.title).toBe('a')
    // Tiers compose: a TieredCache over this one gets the same bytes for its own L1.
    const outer = new TieredCache(
      new MemoryCache(),
      new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), { bus: false }),
    )
    await outer.set('User:id=2', { point: new Point(4) }, { ttl: 60 })
    const outerHit = await outer.lookup<{ point: Point }>('User:id=2')
    expect(outerHit.entry?.tier).toBe('l1')
    expect(Object.getPrototypeOf(outerHit.entry?.value.point)).toBe(Object.prototype)
  })

  it('a set "as of now" with a bus is stamped with the epoch heard (a plain SET, no script), never one Redis has not reached', async () => {
    const prefix = uniquePrefix()
    const cache = await ready(new TieredCache(new MemoryCache(), new RedisCache({ client, prefix })))
    await l1Trusted(cache)
    await cache.invalidateTags(['Warm']) // an epoch heard, so localTagCheck knows where Redis is
    const scripts = async () =>
      Number(/cmdstat_evalsha:calls=(\d+)/.exec(String(await client.info('commandstats')))?.[1] ?? 0)
    const before = await scripts()
    await cache.set('User:id=1', { id: 1 }, { ttl: 60, tags: ['User:id=1'] })
    expect(await scripts()).toBe(before) // the entry went with a plain SET
    // An invalidation this instance has not heard (written to Redis with no bus): the entry, written before it,
    // must be stale for every reader — the one that checks in Redis, and this one.
    await new RedisCache({ client, prefix }).invalidateTags(['User:id=1'])
    const checkedInRedis = new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), { bus: false })
    expect(await checkedInRedis.get('User:id=1')).toBeUndefined()
  })

  it('an L2 hit fills L1 with TTL = min(l1Ttl, remaining L2 TTL)', async () => {
    const l2 = new RedisCache({ client, prefix: uniquePrefix() })
    await l2.set('User:id=1', { id: 1 }, { ttl: 10, tags: ['User'] })
    const longL1 = new TieredCache(new MemoryCache(), l2, { l1Ttl: 60, bus: false })
    expect((await longL1.get('User:id=1'))?.value).toEqual({ id: 1 })
    const filled = await longL1.l1.get('User:id=1')
    expect(filled?.remainingTtlMs).toBeLessThanOrEqual(10_000)
    expect(filled?.remainingTtlMs).toBeGreaterThan(8_000)
    expect(filled?.tags).toEqual(['User'])

    const shortL1 = new TieredCache(new MemoryCache(), l2, { l1Ttl: 2, bus: false })
    await shortL1.get('User:id=1')
    expect((await shortL1.l1.get('User:id=1'))?.remainingTtlMs).toBeLessThanOrEqual(2_000)

    // set: L1 gets min(ttl, l1Ttl), L2 gets min(ttl, l2Ttl).
    const capped = new TieredCache(new MemoryCache(), l2, { l1Ttl: 2, l2Ttl: 5, bus: false })
    await capped.set('Post:id=1', 1, { ttl: 30 })
    expect((await capped.l1.get('Post:id=1'))?.remainingTtlMs).toBeLessThanOrEqual(2_000)
    const inL2 = (await l2.get('Post:id=1'))?.remainingTtlMs ?? 0
    expect(inL2).toBeLessThanOrEqual(5_000)
    expect(inL2).toBeGreaterThan(3_000)
    expect(capped.stats().l2Hits).toBe(0)
  })

  it('an invalidation that lands while L2 is answering makes the L1 fill stale (instance-local race)', async () => {
    const redisTier = new WrappedCache(new RedisCache({ client, prefix: uniquePrefix() }))
    const cache = new TieredCache(new MemoryCache(), redisTier, { bus: false })
    await redisTier.inner.set('User:id=1', 'old row', { ttl: 60, tags: ['User'] })
    let release!: () => void
    redisTier.gate = new Promise((resolve) => (release = resolve))
    const calls = redisTier.log.length
    const reading = cache.get('User:id=1')
    // The read has reached L2 (and taken the gate) once it is logged.
    await eventually(() => redisTier.log.length > calls, 'the read to reach L2')
    redisTier.gate = undefined
    await cache.invalidateTags(['User'])
    release()
    // The read began before the invalidation: it may return the old row (it was linearized before it) ...
    expect((await reading)?.value).toBe('old row')
    // ... but it must not leave it behind in L1.
    expect(await cache.l1.get('User:id=1')).toBeUndefined()
    expect(await cache.get('User:id=1')).toBeUndefined()
  })

  it('remembers invalidations L2 missed and replays them before L2 is used again', async () => {
    const redisTier = new WrappedCache(new RedisCache({ client, prefix: uniquePrefix() }))
    const clock = manualClock()
    const cache = new TieredCache(new MemoryCache(), redisTier, { clock, bus: false })
    await cache.set('User:id=1', 'v1', { ttl: 60, tags: ['User'] })
    redisTier.broken = true
    await cache.invalidateTags(['User'])
    expect(cache.stats().pendingL2Invalidations).toBe(1)
    redisTier.broken = false
    // The L2 answers its health check again, but still owes an invalidation: not healthy yet.
    expect(await cache.health()).toMatchObject({
      ok: false,
      status: 'degraded',
      l2: { ok: true, pendingInvalidations: 1 },
    })
    // L2 still holds v1 (the invalidation never reached it), but this instance will not read it.
    expect((await redisTier.inner.get('User:id=1'))?.value).toBe('v1')
    expect(await cache.get('User:id=1')).toBeUndefined()
    // A second later (by the cache's clock) the next read replays what is owed before it uses L2.
    clock.advance(1000)
    expect(await cache.get('User:id=1')).toBeUndefined()
    expect(cache.stats().pendingL2Invalidations).toBe(0)
    expect(await redisTier.inner.get('User:id=1')).toBeUndefined()
  })

  it('keeps serving from L1 while a real Redis is stopped, and fails only when L2 is required', async () => {
    const server = await startRedisServer()
    const events: TieredCacheEvent[] = []
    const optional = new TieredCache(
      new MemoryCache(),
      new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 200 }),
      { onEvent: (e) => events.push(e), bus: false },
    )
    const required = new TieredCache(
      new MemoryCache(),
      new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 200 }),
      { l2Required: true, bus: false },
    )
    try {
      await optional.set('User:id=1', 'row', { ttl: 60, tags: ['User'] })
      await required.set('User:id=1', 'row', { ttl: 60, tags: ['User'] })
      await server.stop()

      expect((await optional.get('User:id=1'))?.value).toBe('row')
      expect(await optional.get('User:id=2')).toBeUndefined()
      await optional.set('User:id=3', 'new', { ttl: 60 })
      expect((await optional.get('User:id=3'))?.value).toBe('new')
      expect(await optional.getOrSet('User:id=4', () => 'computed', { ttl: 60 })).toBe('computed')
      expect(optional.stats().errorsByTier.l2).toBeGreaterThan(0)
      expect(events.some((e) => e.type === 'tier-error' && e.tier === 'l2' && !e.failed)).toBe(true)

      // L1 hits never touch L2; L1 misses and writes do, and fail with the tier named.
      expect((await required.get('User:id=1'))?.value).toBe('row')
      await expect(required.get('User:id=2')).rejects.toBeInstanceOf(CacheTierError)
      await expect(required.set('User:id=5', 1, { ttl: 60 })).rejects.toThrow(/Cache tier l2 failed during set/)

      // Health: queries still work without a required L2 (degraded, not ok); a required one fails them (down).
      expect(await optional.health()).toMatchObject({
        ok: false,
        status: 'degraded',
        l1: { ok: true },
        l2: { ok: false },
      })
      expect(await required.health()).toMatchObject({ ok: false, status: 'down', l2: { ok: false } })
    } finally {
      await optional.close()
      await required.close()
      await server.stop()
    }
  })
})

describe('TieredCache flags with a tier that throws', () => {
  const flagSets: TieredCacheOptions[] = []
  for (const writeThroughL1 of [true, false])
    for (const writeThroughL2 of [true, false])
      for (const l1Required of [true, false])
        for (const l2Required of [true, false])
          flagSets.push({ writeThroughL1, writeThroughL2, l1Required, l2Required })

  const build = (options: TieredCacheOptions) => {
    const l1 = new WrappedCache(new MemoryCache())
    const l2 = new WrappedCache(new MemoryCache())
    const both: string[] = []
    const l1Ordered = new WrappedCache(l1, both, 'l1:')
    const l2Ordered = new WrappedCache(l2, both, 'l2:')
    const events: TieredCacheEvent[] = []
    const cache = new TieredCache(l1Ordered, l2Ordered, { ...options, onEvent: (e) => events.push(e) })
    return { l1, l2, cache, events, both }
  }

  describe.each(flagSets)('%o', (options) => {
    it('healthy tiers: get reads L1 then L2, fills L1 only with writeThroughL1, set writes L2 only with writeThroughL2', async () => {
      const { l1, l2, cache, both } = build(options)
      await l2.inner.set('k', 'from l2', { ttl: 60 })
      expect((await cache.get('k'))?.value).toBe('from l2')
      expect(await l1.inner.has('k')).toBe(options.writeThroughL1)
      expect(both).toEqual(
        options.writeThroughL1 ? ['l1:get', 'l1:snapshot', 'l2:get', 'l1:set'] : ['l1:get', 'l2:get'],
      )
      both.length = 0
      await cache.set('s', 1, { ttl: 60 })
      expect(await l1.inner.has('s')).toBe(true)
      expect(await l2.inner.has('s')).toBe(options.writeThroughL2)
      expect(both).toEqual(options.writeThroughL2 ? ['l2:set', 'l1:set'] : ['l1:set'])
      both.length = 0
      await cache.invalidateTags(['T'])
      await cache.delete('s')
      expect(both).toEqual(['l2:invalidateTags', 'l1:invalidateTags', 'l2:delete', 'l1:delete'])
    })

    it('L2 throws: the operation fails only if l2Required, otherwise it is counted, reported and goes on', async () => {
      const { l1, l2, cache, events } = build(options)
      await cache.set('warm', 'w', { ttl: 60 })
      l2.broken = true
      const ops = {
        get: () => cache.get('cold'),
        set: () => cache.set('k', 1, { ttl: 60 }),
        invalidateTags: () => cache.invalidateTags(['T']),
      }
      for (const [name, op] of Object.entries(ops)) {
        if (name === 'set' && !options.writeThroughL2) {
          await op()
          continue
        }
        if (options.l2Required) await expect(op(), name).rejects.toBeInstanceOf(CacheTierError)
        else await expect(op(), name).resolves.not.toThrow()
      }
      // An L1 hit never needs L2.
      expect((await cache.get('warm'))?.value).toBe('w')
      if (!options.l2Required) {
        expect(await l1.inner.has('k')).toBe(true)
        expect(cache.stats().errorsByTier.l2).toBeGreaterThan(0)
      }
      expect(events.every((e) => e.type === 'tier-error' && e.tier === 'l2' && e.failed === options.l2Required)).toBe(
        true,
      )
      expect(events.length).toBeGreaterThan(0)
    })

    it('L1 throws: the operation fails only if l1Required, otherwise L2 serves', async () => {
      const { l1, l2, cache, events } = build(options)
      await l2.inner.set('k', 'from l2', { ttl: 60 })
      l1.broken = true
      if (options.l1Required) {
        await expect(cache.get('k')).rejects.toThrow(/Cache tier l1 failed during get/)
        await expect(cache.set('x', 1, { ttl: 60 })).rejects.toBeInstanceOf(CacheTierError)
      } else {
        expect((await cache.get('k'))?.value).toBe('from l2')
        await cache.set('x', 2, { ttl: 60 })
        if (options.writeThroughL2) expect((await cache.get('x'))?.value).toBe(2)
        expect(cache.stats().errorsByTier.l1).toBeGreaterThan(0)
      }
      expect(events.every((e) => e.type === 'tier-error' && e.tier === 'l1' && e.failed === options.l1Required)).toBe(
        true,
      )
    })
  })
})

describe('TieredCache flags with a Redis server that was really stopped', () => {
  const flagSets: TieredCacheOptions[] = []
  for (const writeThroughL1 of [true, false])
    for (const writeThroughL2 of [true, false])
      for (const l1Required of [true, false])
        for (const l2Required of [true, false])
          flagSets.push({ writeThroughL1, writeThroughL2, l1Required, l2Required })

  let server: Awaited<ReturnType<typeof startRedisServer>>
  const caches: TieredCache[] = []
  beforeAll(async () => {
    server = await startRedisServer()
    for (const options of flagSets) {
      const cache = new TieredCache(
        new MemoryCache(),
        new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 150 }),
        { ...options, bus: false },
      )
      await cache.set('warm', 'w', { ttl: 60 })
      caches.push(cache)
    }
    await server.stop()
  })
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    await server?.stop()
  })

  it.each(flagSets.map((options, index) => ({ options, index })))('%o', async ({ options, index }) => {
    const cache = caches[index]!
    expect((await cache.get('warm'))?.value).toBe('w')
    const ops: Array<[string, () => Promise<unknown>, boolean]> = [
      ['get', () => cache.get('cold'), true],
      ['set', () => cache.set('k', 1, { ttl: 60 }), options.writeThroughL2 === true],
      ['invalidateTags', () => cache.invalidateTags(['T']), true],
    ]
    for (const [name, op, touchesL2] of ops) {
      if (options.l2Required && touchesL2) await expect(op(), name).rejects.toBeInstanceOf(CacheTierError)
      else await expect(op(), name).resolves.not.toThrow()
    }
    if (!options.l2Required) {
      expect((await cache.get('k'))?.value).toBe(1)
      expect(cache.stats().errorsByTier.l2).toBeGreaterThan(0)
    }
  })
})

describe('TieredCache write-behind (l2Write: async)', () => {
  it('resolves after L1, writes L2 in the background, and counts background failures', async () => {
    const l2 = new WrappedCache(new MemoryCache())
    l2.delayMs = 50
    const events: TieredCacheEvent[] = []
    const cache = new TieredCache(new MemoryCache(), l2, { l2Write: 'async', onEvent: (e) => events.push(e) })
    await cache.set('k', 1, { ttl: 60 })
    expect(await cache.l1.has('k')).toBe(true)
    expect(await l2.inner.has('k')).toBe(false)
    await cache.flush()
    expect(await l2.inner.has('k')).toBe(true)
    l2.broken = true
    await cache.set('k2', 2, { ttl: 60 })
    await cache.flush()
    expect(events.map((e) => (e.type === 'tier-error' ? e.operation : e.type))).toContain('set')
    expect(cache.stats().errorsByTier.l2).toBe(1)
  })
})

describe('TieredCache write-behind: what L2 gets', () => {
  it('writes L2 from a copy taken before set resolves: mutating the value afterwards changes nothing stored', async () => {
    const l2 = new WrappedCache(new MemoryCache({ values: 'reference' }))
    l2.delayMs = 20
    const cache = new TieredCache(new MemoryCache(), l2, { l2Write: 'async' })
    const value = { name: 'Ada', at: new Date(0), posts: [{ title: 'a' }] }
    await cache.set('k', value, { ttl: 60 })
    value.name = 'MUTATED'
    value.posts[0]!.title = 'MUTATED'
    await cache.flush()
    expect((await l2.inner.get('k'))?.value).toEqual({ name: 'Ada', at: new Date(0), posts: [{ title: 'a' }] })
    expect((await cache.l1.get('k'))?.value).toEqual({ name: 'Ada', at: new Date(0), posts: [{ title: 'a' }] })
  })

  it('takes a per-write l2Write over the flag, both ways', async () => {
    const l2 = new WrappedCache(new MemoryCache())
    l2.delayMs = 20
    const syncCache = new TieredCache(new MemoryCache(), l2, { l2Write: 'sync' })
    await syncCache.set('later', 1, { ttl: 60, l2Write: 'async' })
    expect(await syncCache.l1.has('later')).toBe(true)
    expect(await l2.inner.has('later')).toBe(false)
    await syncCache.flush()
    expect(await l2.inner.has('later')).toBe(true)

    const asyncCache = new TieredCache(new MemoryCache(), l2, { l2Write: 'async' })
    await asyncCache.set('now', 2, { ttl: 60, l2Write: 'sync' })
    expect(await l2.inner.has('now')).toBe(true)
  })

  it('rejects an unknown per-write l2Write before writing anything', async () => {
    const l2 = new MemoryCache()
    const cache = new TieredCache(new MemoryCache(), l2)
    await expect(cache.set('k', 1, { ttl: 60, l2Write: 'soon' as 'async' })).rejects.toThrow(
      /l2Write must be 'sync' or 'async', got soon/,
    )
    expect(await cache.l1.has('k')).toBe(false)
    expect(await l2.has('k')).toBe(false)
  })
})

describe('TieredCache write-behind: a value L1 refuses as too large', () => {
  it('is not copied: it goes to L2 before set resolves, as it is (the copy was only for L1 to share)', async () => {
    const l2 = new WrappedCache(new MemoryCache({ values: 'reference' }))
    l2.delayMs = 20
    const tooLarge: string[] = []
    const cache = new TieredCache(new MemoryCache({ maxSize: 40_000 }), l2, { l2Write: 'async' })
    const value = { rows: Array.from({ length: 200 }, (_, i) => ({ i, text: 'x'.repeat(100) })) }
    expect(cache.l1.refusesAsTooLarge(value)).toBe(true)
    await cache.set('big', value, { ttl: 60, onTooLarge: (tier) => tooLarge.push(tier) })
    // In L2 already (not left to the background), and the very object: no copy was taken.
    expect((await l2.inner.get('big'))?.value).toBe(value)
    expect(await cache.l1.has('big')).toBe(false)
    expect(cache.l1.stats().rejectedTooLarge).toBe(1)
    expect(tooLarge).toEqual([]) // L2 kept it: not every tier refused

    // A value L1 keeps still goes the write-behind way, from one copy.
    const small = { rows: [{ i: 0 }] }
    expect(cache.l1.refusesAsTooLarge(small)).toBe(false)
    await cache.set('small', small, { ttl: 60 })
    expect(await l2.inner.has('small')).toBe(false)
    await cache.flush()
    expect((await l2.inner.get('small'))?.value).not.toBe(small)
    expect((await l2.inner.get('small'))?.value).toEqual(small)
  })
})

describe('TieredCache write-behind ordering', () => {
  it('an invalidation waits for write-behind writes still in flight, so they cannot land after it', async () => {
    const l2 = new WrappedCache(new MemoryCache())
    l2.delayMs = 30
    const cache = new TieredCache(new MemoryCache(), l2, { l2Write: 'async' })
    await cache.set('User:id=1', 'v1', { ttl: 60, tags: ['User'] })
    await cache.invalidateTags(['User'])
    expect(await l2.inner.get('User:id=1')).toBeUndefined()
    expect(await cache.get('User:id=1')).toBeUndefined()
  })
})

describe('TieredCache construction', () => {
  it('rejects bad options naming them', () => {
    expect(() => new TieredCache(new MemoryCache(), {} as MemoryCache)).toThrow(/l2 must be a CacheBackend/)
    expect(() => new TieredCache(new MemoryCache(), new MemoryCache(), { l1Ttl: -1 })).toThrow(/l1Ttl/)
    expect(() => new TieredCache(new MemoryCache(), new MemoryCache(), { l2Write: 'later' as 'async' })).toThrow(
      /l2Write/,
    )
    expect(
      () => new TieredCache(new MemoryCache(), new MemoryCache(), { l2Required: 'yes' as unknown as boolean }),
    ).toThrow(/l2Required must be a boolean/)
  })
})
