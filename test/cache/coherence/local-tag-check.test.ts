/**
 * localTagCheck: with a bus, an instance judges L2 entries from the invalidations it heard (a plain GET)
 * instead of checking their tags inside Redis — and falls back to the check inside Redis whenever it cannot
 * be sure: entries older than its subscription, invalidations it has not heard of (no bus message, revealed by
 * a later number or by polling the epoch), a bus that is down.
 */
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { type Decoded, decode, RedisBus } from '../../../src/bus/invalidation-bus.js'
import { type CacheBackend, MemoryCache, RedisCache, TieredCache, type TieredCacheOptions } from '../../../src/index.js'
import { registerPrometheusMetrics } from '../../../src/metrics/prometheus.js'
import { manualClock } from '../../support/clock.js'
import { eventually } from '../../support/eventually.js'
import { WrappedCache } from '../../support/wrapped-cache.js'
import { useRedisServer } from '../../support/use-redis.js'

type Tiered = TieredCache<MemoryCache, CacheBackend>

let prefixes = 0
const uniquePrefix = () => `ltc${process.pid}x${++prefixes}:`

describe('localTagCheck (TieredCache with a bus over RedisCache)', () => {
  const rig = useRedisServer()

  /** Instances sharing one Redis prefix (L2 and bus), each with its own L1; resolved once their buses are up. */
  const instances = async (count: number, options: TieredCacheOptions = {}, prefix = uniquePrefix()) => {
    const client = rig.client()
    const made: Tiered[] = rig.track(
      Array.from(
        { length: count },
        () =>
          new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), {
            bus: new RedisBus({ client, prefix }),
            ...options,
          }),
      ),
    )
    await eventually(() => made.every((cache) => cache.stats().bus?.connected === true), 'the buses to be up')
    return { made, prefix }
  }
  /** One instance whose L2 fails while its bus comes up (so the epoch read then fails); L2 works again on return. */
  const startingWithL2Down = async () => {
    const prefix = uniquePrefix()
    const l2 = new WrappedCache(new RedisCache({ client: rig.client(), prefix }))
    l2.broken = true
    const [cache] = rig.track([
      new TieredCache(new MemoryCache(), l2, {
        bus: new RedisBus({ client: rig.client(), prefix }),
        l2CircuitBreaker: false,
      }),
    ])
    await eventually(() => cache!.stats().bus?.connected === true, 'the bus to be up')
    l2.broken = false
    return { a: cache! as Tiered, prefix }
  }
  /** An L2 hit on `cache`: drop the key from its L1 first. */
  const l2Read = async (cache: Tiered, key: string) => {
    await cache.l1.delete(key)
    return cache.lookup(key)
  }

  it('an L2 hit is judged here (a plain GET); another instance’s invalidation, once heard, makes it a miss', async () => {
    const { made } = await instances(2)
    const [a, b] = made as [Tiered, Tiered]
    await a.set('User:id=1', { name: 'Ada', at: new Date(1) }, { ttl: 60, tags: ['User', 'User:id=1'] })
    const hit = await l2Read(b, 'User:id=1')
    expect(hit.entry?.value).toEqual({ name: 'Ada', at: new Date(1) })
    expect(hit.entry?.tier).toBe('l2')
    expect(b.stats().l2LocalChecks).toBe(1)
    // get (one key) is judged the same way.
    await b.l1.delete('User:id=1')
    expect((await b.get('User:id=1'))?.value).toEqual({ name: 'Ada', at: new Date(1) })
    expect(b.stats().l2LocalChecks).toBe(2)

    await a.invalidateTags(['User:id=1'])
    await eventually(() => b.stats().bus!.received >= 1, 'b to hear the invalidation')
    const miss = await l2Read(b, 'User:id=1')
    expect(miss.entry).toBeUndefined()
    expect(b.stats().l2LocalChecks).toBe(2)
  })

  it('getMany is judged here too, key by key: a heard invalidation makes only the entries it reaches misses', async () => {
    const { made } = await instances(2)
    const [a, b] = made as [Tiered, Tiered]
    const keys = ['User:id=1', 'User:id=2', 'Post:id=1']
    for (const key of keys) await a.set(key, key, { ttl: 60, tags: [key, key.split(':')[0]!] })
    for (const key of keys) await b.l1.delete(key)
    expect((await b.getMany(keys)).map((entry) => entry?.value)).toEqual(keys)
    expect(b.stats().l2LocalChecks).toBe(3)
    await a.invalidateTags(['User:id=2'])
    await eventually(() => b.stats().bus!.received >= 1, 'b to hear the invalidation')
    for (const key of keys) await b.l1.delete(key)
    expect((await b.getMany(keys)).map((entry) => entry?.value)).toEqual(['User:id=1', undefined, 'Post:id=1'])
    expect(b.stats().l2LocalChecks).toBe(5)
  })

  it('an invalidation never heard over the bus (a writer without one) empties L1 once declared lost', async () => {
    const clock = manualClock()
    const { made, prefix } = await instances(1, { clock })
    const [a] = made as [Tiered]
    await a.set('User:id=7', 'v', { ttl: 60, tags: ['User'] })
    await a.set('Tag:id=1', 't', { ttl: 60, tags: ['Tag'] })
    expect((await a.lookup('User:id=7')).entry?.tier).toBe('l1')
    await new RedisCache({ client: rig.client(), prefix }).invalidateTags(['User'])
    // The instance's own next invalidation reveals the gap by its number (the epoch poll would, within 1 s); a gap
    // timeout later on the instance's clock, the next read judged here declares it lost and L1 is emptied.
    await a.invalidateTags(['Comment'])
    clock.advance(999)
    expect((await l2Read(a, 'Tag:id=1')).entry?.value).toBe('t')
    expect(a.stats().bus?.lostInvalidations).toBe(0)
    clock.advance(2)
    expect((await l2Read(a, 'Tag:id=1')).entry?.value).toBe('t')
    expect(a.stats().bus?.lostInvalidations).toBe(1)
    await eventually(async () => (await a.lookup('User:id=7')).entry === undefined, 'the L1 copy to stop being served')
    const registry = new Registry()
    registerPrometheusMetrics(
      { stats: () => ({ cache: a.stats(), models: {}, invalidationsByOperation: {} }) },
      registry,
    )
    expect(await registry.metrics()).toContain('prisma_cache_bus_lost_invalidations_total 1')
  })

  it('a getMany while L2 fails is one failure (one breaker count), its keys misses', async () => {
    const prefix = uniquePrefix()
    const l2 = new WrappedCache(new RedisCache({ client: rig.client(), prefix }))
    const [a] = rig.track([
      new TieredCache(new MemoryCache(), l2, {
        bus: new RedisBus({ client: rig.client(), prefix }),
        l2CircuitBreaker: { threshold: 3 },
      }),
    ])
    await eventually(() => a!.stats().bus?.connected === true, 'the bus to be up')
    const keys = ['k1', 'k2', 'k3']
    for (const key of keys) await a!.set(key, key, { ttl: 60 })
    for (const key of keys) await a!.l1.delete(key)
    l2.broken = true
    expect(await a!.getMany(keys)).toEqual([undefined, undefined, undefined])
    expect(a!.stats().errorsByTier.l2).toBe(1)
    expect((await a!.health()).l2).toMatchObject({ circuit: 'closed' })
    l2.broken = false
  })

  it('when the epoch could not be read as the bus came up, judging starts at the next poll and L1 is emptied then', async () => {
    const { a, prefix } = await startingWithL2Down()
    await a.set('User:id=8', 'v', { ttl: 60, tags: ['User'] })
    expect((await a.lookup('User:id=8')).entry?.tier).toBe('l1')
    // Before the poll starts judging, a writer without a bus invalidates: it must not count as older than the start.
    await new RedisCache({ client: rig.client(), prefix }).invalidateTags(['User'])
    await eventually(
      async () => (await a.lookup('User:id=8')).entry === undefined,
      'the L1 copy to stop being served',
      3000,
    )
    expect(a.stats().bus?.lostInvalidations).toBe(1)
  })

  it('an instance with localTagCheck off still announces its epochs: the others find no gap and keep their L1', async () => {
    const prefix = uniquePrefix()
    const [plain] = rig.track([
      new TieredCache(new MemoryCache(), new RedisCache({ client: rig.client(), prefix }), {
        bus: new RedisBus({ client: rig.client(), prefix }),
        localTagCheck: false,
      }),
    ])
    const { made } = await instances(1, {}, prefix)
    const [judging] = made as [Tiered]
    await eventually(() => plain!.stats().bus?.connected === true, 'the bus to be up')
    // What goes over the bus, as a subscriber of the channel hears it.
    const heard: Decoded[] = []
    const listener = rig.client().duplicate()
    await listener.subscribe(`${prefix}bus`)
    listener.on('message', (_channel: string, text: string) => {
      const decoded = decode(text)
      if (decoded && decoded.message !== 'beat' && decoded.message.kind !== 'ack') heard.push(decoded)
    })
    try {
      await judging.set('User:id=1', 'v', { ttl: 60, tags: ['User'] })
      await plain!.invalidateTags(['Post'])
      await eventually(() => judging.stats().bus!.received >= 1 && heard.length >= 1, 'the message to arrive')
      // Numbered like every invalidation (the epoch Redis gave it): the judging instance's run of epochs has no
      // gap, so it neither falls back to the check in Redis nor declares anything lost (the gap rule is tested
      // in known-invalidations.test.ts).
      const [message] = heard
      expect(message?.message).toMatchObject({
        kind: 'tags',
        tags: ['Post'],
        epochs: [await new RedisCache({ client: rig.client(), prefix }).currentEpoch()],
      })
      expect(judging.stats().bus?.lostInvalidations).toBe(0)
      expect((await judging.lookup('User:id=1')).entry?.tier).toBe('l1')
    } finally {
      listener.disconnect()
    }
  })

  it('the writer judges by its own invalidation at once (it hears no message of its own)', async () => {
    const { made } = await instances(1)
    const [a] = made as [Tiered]
    await a.set('User:id=9', 'v', { ttl: 60, tags: ['User:id=9'] })
    expect((await l2Read(a, 'User:id=9')).entry?.value).toBe('v')
    await a.invalidateTags(['User:id=9'])
    expect((await l2Read(a, 'User:id=9')).entry).toBeUndefined()
  })

  it('a fill after a miss judged here is stamped so that an invalidation racing it still wins', async () => {
    const { made } = await instances(2)
    const [a, b] = made as [Tiered, Tiered]
    const miss = await b.lookup('Post:id=1')
    expect(miss.snapshot).toBeDefined()
    // An invalidation lands between b's miss and b's write (b computed the value from the old row).
    await a.invalidateTags(['Post'])
    await b.set('Post:id=1', 'old row', { ttl: 60, tags: ['Post'], snapshot: miss.snapshot })
    await eventually(() => b.stats().bus!.received >= 1, 'b to hear the invalidation')
    expect((await l2Read(b, 'Post:id=1')).entry).toBeUndefined()
    expect((await l2Read(a, 'Post:id=1')).entry).toBeUndefined()
  })

  it('entries stamped before an instance subscribed are checked in Redis; later ones are judged here', async () => {
    const prefix = uniquePrefix()
    const writer = new RedisCache({ client: rig.client(), prefix })
    await writer.set('User:id=2', 'v', { ttl: 60, tags: ['User'] })
    await writer.invalidateTags(['User'])
    await writer.set('User:id=3', 'v3', { ttl: 60, tags: ['User'] })
    const { made } = await instances(1, {}, prefix)
    const [late] = made as [Tiered]
    // Stamped before the invalidation (epoch 0 < the epoch at subscription, 1): checked in Redis, which finds it stale.
    expect((await l2Read(late, 'User:id=2')).entry).toBeUndefined()
    expect(late.stats().l2LocalChecks).toBe(0)
    // Stamped at the epoch the instance subscribed at: nothing it could have missed is above it.
    expect((await l2Read(late, 'User:id=3')).entry?.value).toBe('v3')
    expect(late.stats().l2LocalChecks).toBe(1)
  })

  it('an invalidation that sends no bus message (a RedisCache without a bus) is noticed by polling the epoch', async () => {
    const { made, prefix } = await instances(1)
    const [a] = made as [Tiered]
    await a.set('User:id=5', 'v', { ttl: 60, tags: ['User'] })
    expect((await l2Read(a, 'User:id=5')).entry?.value).toBe('v')
    await new RedisCache({ client: rig.client(), prefix }).invalidateTags(['User'])
    // Within one poll (1 s) the gap is seen; from then on the entry goes to the check in Redis, which finds it stale.
    await eventually(
      async () => (await l2Read(a, 'User:id=5')).entry === undefined,
      'the stale entry to stop being served',
      3000,
    )
  })

  it('an invalidation owed while L2 failed (bus up) is judged by at once when it is replayed', async () => {
    const prefix = uniquePrefix()
    const l2 = new WrappedCache(new RedisCache({ client: rig.client(), prefix }))
    const [a] = rig.track([
      new TieredCache(new MemoryCache(), l2, {
        bus: new RedisBus({ client: rig.client(), prefix }),
        l2CircuitBreaker: false,
      }),
    ])
    await eventually(() => a!.stats().bus?.connected === true, 'the bus to be up')
    await a!.set('User:id=7', 'old row', { ttl: 60, tags: ['User:id=7'] })
    expect((await l2Read(a!, 'User:id=7')).entry?.value).toBe('old row')
    l2.broken = true
    await a!.invalidateTags(['User:id=7'])
    expect(a!.stats().pendingL2Invalidations).toBe(1)
    l2.broken = false
    // The next invalidation replays the owed one first; from then on the old entry must not be served.
    await a!.invalidateTags(['Other'])
    expect(a!.stats().pendingL2Invalidations).toBe(0)
    expect((await l2Read(a!, 'User:id=7')).entry).toBeUndefined()
  })

  it('when the epoch cannot be read as the bus comes up, it starts judging at the next poll', async () => {
    const { a } = await startingWithL2Down()
    await a.set('k', 1, { ttl: 60, tags: ['T'] })
    expect((await l2Read(a, 'k')).entry?.value).toBe(1)
    expect(a.stats().l2LocalChecks).toBe(0)
    await eventually(
      async () => (await l2Read(a, 'k')).entry?.value === 1 && a.stats().l2LocalChecks > 0,
      'local judging to start',
      3000,
    )
  })

  it('localTagCheck: false checks every L2 read in Redis', async () => {
    const { made } = await instances(1, { localTagCheck: false })
    const [a] = made as [Tiered]
    await a.set('k', 1, { ttl: 60, tags: ['T'] })
    expect((await l2Read(a, 'k')).entry?.value).toBe(1)
    expect(a.stats().l2LocalChecks).toBe(0)
    expect(
      () => new TieredCache(new MemoryCache(), new MemoryCache(), { localTagCheck: 'yes' as unknown as boolean }),
    ).toThrow(/localTagCheck must be a boolean/)
  })
})
