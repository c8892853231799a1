import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decode, encode, RedisBus } from '../../src/bus/invalidation-bus.js'
import { MemoryCache, RedisCache, TieredCache, type TieredCacheEvent } from '../../src/index.js'
import { eventually } from '../support/eventually.js'
import { l1Trusted } from '../support/l1-trusted.js'
import { useRedisServer } from '../support/use-redis.js'
import { startRedisCluster, startRedisServer } from '../support/redis.js'

let prefixes = 0
const uniquePrefix = () => `bus${process.pid}x${++prefixes}:`

/** An L1 whose `clear` waits, once `hold()` was called, until the release it returned is called; `clears` counts since. */
class HeldClear extends MemoryCache {
  clears = { started: 0, done: 0 }
  #held: Promise<void> | undefined
  hold(): () => void {
    this.clears = { started: 0, done: 0 }
    let release!: () => void
    this.#held = new Promise<void>((resolve) => (release = resolve))
    return release
  }
  override async clear(): Promise<void> {
    this.clears.started++
    await this.#held
    await super.clear()
    this.clears.done++
  }
}

/** Two instances sharing one Redis (L2 and bus), each with its own L1. */
function instances(client: Redis | Cluster, count = 2) {
  const prefix = uniquePrefix()
  return Array.from(
    { length: count },
    () =>
      new TieredCache(new MemoryCache(), new RedisCache({ client, prefix, operationTimeoutMs: 300 }), {
        bus: new RedisBus({ client, prefix }),
      }),
  )
}

describe('bus encoding', () => {
  it('is compact and round-trips every kind', () => {
    const messages = [
      { kind: 'tags', tags: ['User', 'User:id=1', 'a "quoted" tag'] },
      { kind: 'keys', keys: ['User:id=1'] },
      { kind: 'pattern', pattern: 'Post:*' },
      { kind: 'clear' },
      { kind: 'tags', tags: ['User', 'Post'], epochs: [41, 41] },
      { kind: 'clear', epoch: 42 },
    ] as const
    for (const message of messages) expect(decode(encode('abc', message))).toEqual({ from: 'abc', message })
    expect(encode('abc', { kind: 'tags', tags: ['User'] })).toBe('abc t ["User"]')
    expect(decode('garbage')).toBeUndefined()
    expect(decode('abc t not-json')).toBeUndefined()
    expect(encode('abc', { kind: 'clear', epoch: 7 })).toBe('abc C 7')
    // Numbered messages whose epochs do not match their tags are dropped, not half-applied.
    expect(decode('abc T {"t":["User","Post"],"e":[1]}')).toBeUndefined()
    // A numbered invalidation, an ack, a heartbeat.
    expect(decode(encode('abc/12', { kind: 'keys', keys: ['k'] }))).toEqual({
      from: 'abc',
      seq: 12,
      message: { kind: 'keys', keys: ['k'] },
    })
    expect(encode('xyz', { kind: 'ack', to: 'abc', seq: 12 })).toBe('xyz a {"to":"abc","s":12}')
    expect(decode('xyz a {"to":"abc","s":12}')).toEqual({ from: 'xyz', message: { kind: 'ack', to: 'abc', seq: 12 } })
    expect(decode('abc/3 h 0')).toEqual({ from: 'abc', seq: 3, message: 'beat' })
    expect(decode('abc/x t ["User"]')).toBeUndefined()
  })
})

describe('RedisBus on a standalone server', () => {
  const rig = useRedisServer()
  const make = (count = 2) => rig.track(instances(rig.client(), count))
  const up = (cache: TieredCache) => l1Trusted(cache)

  it('an invalidation on one instance reaches the other instances’ L1; the sender ignores its own', async () => {
    const [a, b, c] = make(3)
    for (const cache of [a!, b!, c!]) await up(cache)
    await a!.set('User:id=1', 'v1', { ttl: 60, tags: ['User'] })
    for (const cache of [b!, c!]) expect((await cache.get('User:id=1'))?.value).toBe('v1')
    expect(await b!.l1.has('User:id=1')).toBe(true)
    await a!.invalidateTags(['User'])
    await eventually(
      async () => !(await b!.l1.has('User:id=1')) && !(await c!.l1.has('User:id=1')),
      'the other L1s to drop the entry',
    )
    expect(a!.stats().bus).toMatchObject({ published: 1, received: 0 })
    expect(b!.stats().bus?.received).toBe(1)

    for (const [op, check] of [
      [() => a!.delete('k'), () => b!.l1.has('k')],
      [() => a!.invalidatePattern('k*'), () => b!.l1.has('k')],
      [() => a!.clear(), () => b!.l1.has('k')],
    ] as const) {
      await a!.set('k', 1, { ttl: 60 })
      await b!.get('k')
      expect(await b!.l1.has('k')).toBe(true)
      await op()
      await eventually(async () => !(await check()), 'the other L1 to drop k')
    }
  })

  it('a TieredCache over a RedisCache gets a bus by default, on a duplicate connection it closes; bus: false is told once', async () => {
    // On the old code there was no bus unless one was named: b kept serving the old row from its L1.
    const prefix = uniquePrefix()
    const subscribers = async () =>
      String(await rig.client().call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
        .split('\n')
        .filter((line) => line.includes('sub=1')).length
    const before = await subscribers()
    const [a, b] = rig.track(
      [0, 1].map(() => new TieredCache(new MemoryCache(), new RedisCache({ client: rig.client(), prefix }))),
    )
    await a!.ready
    await b!.ready
    expect(a!.bus).toBeInstanceOf(RedisBus)
    expect((a!.bus as RedisBus).channel).toBe(`${prefix}bus`)
    expect(await subscribers()).toBe(before + 2)
    await a!.set('User:id=1', 'old', { ttl: 60, tags: ['User'] })
    expect((await b!.get('User:id=1'))?.value).toBe('old')
    await a!.invalidateTags(['User'])
    await eventually(async () => !(await b!.l1.has('User:id=1')), 'b to hear the invalidation')
    await a!.close()
    expect(await subscribers()).toBe(before + 1)

    const events: TieredCacheEvent[] = []
    const off = new TieredCache(new MemoryCache(), new RedisCache({ client: rig.client(), prefix }), {
      bus: false,
      onEvent: (event) => events.push(event),
    })
    const heard: TieredCacheEvent[] = []
    off.on((event) => heard.push(event))
    await Promise.resolve()
    expect(off.bus).toBeUndefined()
    expect(events).toEqual([
      { type: 'bus-disabled', message: expect.stringMatching(/bus: false over a shared L2 \(redis\)/) },
    ])
    expect(heard).toEqual(events)
    await off.invalidateTags(['User'])
    expect(events).toHaveLength(1)
    // Over an L2 that is not shared there is nothing to tell.
    const local: TieredCacheEvent[] = []
    new TieredCache(new MemoryCache(), new MemoryCache(), { bus: false, onEvent: (event) => local.push(event) })
    await Promise.resolve()
    expect(local).toEqual([])
  })

  it('when its subscription drops, an instance stops trusting its L1, and empties it when the bus is back', async () => {
    const [a, b] = make()
    await up(a!)
    await up(b!)
    await a!.set('User:id=2', 'old', { ttl: 60, tags: ['User'] })
    await b!.get('User:id=2')
    expect(await b!.l1.has('User:id=2')).toBe(true)
    // Drop every pub/sub connection of the server (a network blip for the subscribers only).
    await rig.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await eventually(() => b!.stats().bus?.connected === false, 'b to notice', 2000).catch(() => undefined)
    // Meanwhile a writes (its message may be lost): b must not serve its L1 copy.
    await a!.invalidateTags(['User'])
    await a!.set('User:id=2', 'new', { ttl: 60, tags: ['User'] })
    expect((await b!.get('User:id=2'))?.value).toBe('new')
    await up(b!)
    expect((await b!.get('User:id=2'))?.value).toBe('new')
  })

  it('a drop while the instance is coming back up (emptying its L1) leaves L1 untrusted until the next up', async () => {
    const prefix = uniquePrefix()
    const l1 = new HeldClear()
    const bus = new RedisBus({ client: rig.client(), prefix })
    const [cache] = rig.track([
      new TieredCache(l1, new RedisCache({ client: rig.client(), prefix, operationTimeoutMs: 300 }), { bus }),
    ])
    await up(cache!)
    // The next up empties L1, held until the server has gone away.
    const release = l1.hold()
    await rig.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await eventually(() => l1.clears.started === 1, 'the instance to be coming back up')
    await rig.server().stop()
    await eventually(() => !bus.connected, 'the bus to notice the drop')
    release()
    // The rest of that up follows the clear at once (the bus is down: no epoch to read): let it run out.
    await eventually(() => l1.clears.done === 1, 'L1 emptied')
    await new Promise((resolve) => setImmediate(resolve))
    expect((await cache!.health()).l1).toMatchObject({ trusted: false })
    expect(cache!.stats().bus?.connected).toBe(false)
    await rig.server().start()
    await up(cache!)
    expect((await cache!.health()).l1).toMatchObject({ trusted: true })
  })

  it('a real Redis outage: instances serve nothing stale from L1 and resume by themselves', async () => {
    const [a, b] = make()
    await up(a!)
    await up(b!)
    await a!.set('Post:id=1', 'before', { ttl: 60, tags: ['Post'] })
    await b!.get('Post:id=1')
    await rig.server().stop()
    await eventually(() => b!.stats().bus?.connected === false, 'b to see the outage')
    // L1 is not trusted while the bus is down: the read goes to L2, which is down, so it misses.
    expect(await b!.get('Post:id=1')).toBeUndefined()
    // A readiness probe sees it (it said ok: true before: issue 13).
    expect(await b!.health()).toMatchObject({
      ok: false,
      status: 'degraded',
      l1: { trusted: false },
      l2: { ok: false },
      bus: { connected: false },
    })
    await rig.server().start()
    await up(a!)
    await up(b!)
    await eventually(async () => (await b!.health()).status === 'ok', 'b to be healthy again')
    expect(await b!.health()).toMatchObject({ ok: true, l2: { ok: true, circuit: 'closed' }, bus: { connected: true } })
    expect(await b!.l1.has('Post:id=1')).toBe(false)
    await a!.set('Post:id=1', 'after', { ttl: 60, tags: ['Post'] })
    expect((await b!.get('Post:id=1'))?.value).toBe('after')
  })
})

describe('RedisBus on a 3-node Redis Cluster', () => {
  let service: Awaited<ReturnType<typeof startRedisCluster>>
  let cluster: Cluster
  const caches: TieredCache[] = []
  beforeAll(async () => {
    service = await startRedisCluster()
    cluster = new Cluster(service.nodes)
    await cluster.ping()
  })
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    cluster?.disconnect()
    await service?.stop()
  })

  it('carries invalidations between instances', async () => {
    const [a, b] = instances(cluster)
    caches.push(a!, b!)
    await l1Trusted(a!, b!)
    await a!.set('User:id=1', 'v1', { ttl: 60, tags: ['User'] })
    await b!.get('User:id=1')
    expect(await b!.l1.has('User:id=1')).toBe(true)
    await a!.invalidateTags(['User', 'User:id=1'])
    await eventually(async () => !(await b!.l1.has('User:id=1')), 'b to drop the entry')
  })
})

describe('RedisBus heartbeat', () => {
  it('declares a subscription that hears nothing down, and brings it back', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    const events: string[] = []
    const bus = new RedisBus({ client, prefix: uniquePrefix(), heartbeatMs: 50 })
    try {
      await bus.start({ onMessage: () => {}, onDown: () => events.push('down'), onUp: () => void events.push('up') })
      await eventually(() => bus.connected, 'the bus to be up')
      // The subscriber stops hearing (its socket stays open): CLIENT PAUSE blocks the server's replies to it.
      await client.call('CLIENT', 'PAUSE', '400', 'ALL')
      await eventually(() => events.includes('down'), 'the heartbeat to notice', 3000)
      await eventually(
        () => bus.connected && events.filter((e) => e === 'up').length >= 2,
        'the bus to come back',
        5000,
      )
    } finally {
      await bus.close()
      client.disconnect()
      await server.stop()
    }
  })
})

describe('RedisBus re-subscribing', () => {
  it('a SUBSCRIBE refused after a reconnect is no unhandled rejection, and is tried again until it succeeds', async () => {
    const server = await startRedisServer()
    const admin = new Redis(server.url)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    let bus: RedisBus | undefined
    let client: Redis | undefined
    try {
      await admin.call('ACL', 'SETUSER', 'bus', 'on', '>secret', '~*', '&*', '+@all')
      client = new Redis(server.url, { username: 'bus', password: 'secret' })
      bus = new RedisBus({ client, prefix: uniquePrefix(), heartbeatMs: 50 })
      const events: string[] = []
      await bus.start({ onMessage: () => {}, onDown: () => events.push('down'), onUp: () => void events.push('up') })
      await eventually(() => bus!.connected, 'the bus to be up')
      // The user may no longer subscribe; its subscriber connection is dropped and reconnects.
      await admin.call('ACL', 'SETUSER', 'bus', '-subscribe')
      await admin.call('CLIENT', 'KILL', 'USER', 'bus', 'SKIPME', 'yes')
      await eventually(() => events.includes('down'), 'the bus to go down')
      // Reconnected and refused: Redis logs the denied SUBSCRIBE (ACL LOG); the bus stays down meanwhile.
      await admin.call('ACL', 'LOG', 'RESET')
      await eventually(
        async () => JSON.stringify(await admin.call('ACL', 'LOG')).includes('subscribe'),
        'a SUBSCRIBE to be refused',
      )
      expect(bus.connected).toBe(false)
      await admin.call('ACL', 'SETUSER', 'bus', '+subscribe')
      await eventually(() => bus!.connected, 'the bus to be up again', 3000)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await bus?.close()
      client?.disconnect()
      admin.disconnect()
      await server.stop()
    }
  })
})
