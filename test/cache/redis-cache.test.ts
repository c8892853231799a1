import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CacheKey,
  CacheTimeoutError,
  CacheUnavailableError,
  compressingSerializer,
  KeyPattern,
  msgpackSerializer,
  RedisCache,
  type Serializer,
  superjsonSerializer,
} from '../../src/index.js'
import {
  type RedisClusterService,
  type RedisService,
  startRedis,
  startRedisCluster,
  startRedisServer,
} from '../support/redis.js'
import type { EncodedValue } from '../../src/cache/index.js'
import { eventually } from '../support/eventually.js'
import { advanceRedisTtls } from '../support/redis-expiry.js'
import { describeConformance, redisTarget } from './conformance.js'

let prefixes = 0
const uniquePrefix = () => `t${process.pid}x${++prefixes}:`

describe('RedisCache on a standalone server', () => {
  let redis: RedisService
  let client: Redis
  beforeAll(async () => {
    redis = await startRedis()
    client = new Redis(redis.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await redis?.stop()
  })

  describeConformance('RedisCache standalone', () => redisTarget(client, uniquePrefix))

  describeConformance('RedisCache standalone, superjson', () =>
    redisTarget(client, uniquePrefix, { serializer: superjsonSerializer }),
  )

  it('treats a corrupt entry as a miss and deletes it', async () => {
    const cache = new RedisCache({ client, prefix: uniquePrefix() })
    const header = (format: string) => `[0,[],${Date.now() + 60_000},"${format}"]\n`
    const garbage = [
      'no header at all',
      'not json\n{}',
      '[1,"x"]\nbody',
      '[0,[]]\n{"json": not superjson',
      Buffer.concat([Buffer.from(header('msgpack')), Buffer.from([0, 0xdd, 0])]), // truncated MessagePack
      Buffer.concat([Buffer.from(header('msgpack')), msgpackSerializer.serialize(1)]), // bytes without their marker
      Buffer.concat([Buffer.from(header('msgpack+deflate')), Buffer.from([0, 1, 2, 3])]), // not deflate
      `${header('superjson')}{"json": not superjson`,
    ]
    for (const data of garbage) {
      await client.set(cache.keyspace.data('User:id=1'), data)
      expect(await cache.get('User:id=1')).toBeUndefined()
      expect(await client.exists(cache.keyspace.data('User:id=1'))).toBe(0)
    }
    expect(cache.stats().errors).toBe(garbage.length)
  })

  it('lookup with expectedTags is one plain MGET, judged in process; any entry it cannot judge goes to the read script', async () => {
    const own = new Redis(redis.url)
    const cache = new RedisCache({ client: own, prefix: uniquePrefix() })
    const scripts: string[] = []
    const evalsha = own.evalsha.bind(own)
    own.evalsha = ((...args: Parameters<typeof evalsha>) => (
      scripts.push('evalsha'),
      evalsha(...args)
    )) as typeof own.evalsha
    const callBuffer = own.callBuffer.bind(own)
    own.callBuffer = ((...args: Parameters<typeof callBuffer>) => {
      if (String(args[0]).toUpperCase() === 'EVALSHA') scripts.push('evalsha')
      return callBuffer(...args)
    }) as typeof own.callBuffer
    const expectedTags = ['User', 'User:id=1', 'User:*']
    await cache.set('User:id=1', 'row', { ttl: 60, tags: ['User', 'User:id=1'] })
    scripts.length = 0
    const hit = await cache.lookup('User:id=1', { expectedTags })
    expect(hit.entry?.value).toBe('row')
    expect(hit.entry?.remainingTtlMs).toBeGreaterThan(59_000)
    expect(scripts).toEqual([])

    // Stale: answered as a miss with the current epoch, counted, and removed (unless rewritten meanwhile).
    await cache.invalidateTags(['User:id=1'])
    scripts.length = 0
    const stale = await cache.lookup('User:id=1', { expectedTags })
    expect(stale.entry).toBeUndefined()
    expect(stale.snapshot?.version).toBe(String(await cache.currentEpoch()))
    expect(cache.stats().staleByTag).toBe(1)
    await eventually(
      async () => (await client.exists(cache.keyspace.data('User:id=1'))) === 0,
      'the stale entry removed',
    )

    // An entry with a tag nobody expected, an entry without expiresAt (older format), a corrupt one: the script.
    await cache.set('User:id=1', 'row', { ttl: 60, tags: ['User', 'User:id=1', 'Team:id=7'] })
    scripts.length = 0
    expect((await cache.lookup('User:id=1', { expectedTags })).entry?.value).toBe('row')
    expect(scripts).toHaveLength(1)
    await client.set(cache.keyspace.data('User:id=2'), `[0,["User"]]\n${JSON.stringify({ json: 'old format' })}`)
    scripts.length = 0
    expect((await cache.lookup('User:id=2', { expectedTags: ['User'] })).entry?.value).toBe('old format')
    expect(scripts).toHaveLength(1)
    await client.set(cache.keyspace.data('User:id=3'), 'not json\n{}')
    expect((await cache.lookup('User:id=3', { expectedTags: ['User'] })).entry).toBeUndefined()
    expect(await client.exists(cache.keyspace.data('User:id=3'))).toBe(0)
    own.disconnect()
  })

  it('invalidates 10,000 tagged keys with one O(1) script, and patterns by SCAN (never KEYS)', async () => {
    const own = await startRedisServer()
    const c = new Redis(own.url)
    try {
      const cache = new RedisCache({ client: c, prefix: uniquePrefix() })
      const items = Array.from({ length: 10_000 }, (_, i) => ({
        key: CacheKey.fields('Post', { id: i }),
        value: { i },
        options: { ttl: 60, tags: ['Post', `Post:id=${i}`] },
      }))
      await cache.setMany(items)
      await cache.set('User:id=1', 'keep', { ttl: 60, tags: ['User'] })
      expect(await cache.size()).toBe(10_001)
      await cache.invalidateTags(['Post'])
      const after = await cache.getMany(items.map((item) => item.key))
      expect(after.every((entry) => entry === undefined)).toBe(true)
      expect((await cache.get('User:id=1'))?.value).toBe('keep')

      await cache.setMany(items)
      expect(await cache.invalidatePattern(KeyPattern.entity('Post'))).toBe(10_000)
      expect(await cache.size()).toBe(1)
      const commandstats = await c.info('commandstats')
      expect(commandstats).not.toMatch(/cmdstat_keys:/)
      expect(commandstats).toMatch(/cmdstat_scan:/)
    } finally {
      c.disconnect()
      await own.stop()
    }
  })

  it('keeps memory bounded: 100,000 tagged entries that expire leave nothing behind', async () => {
    const own = await startRedisServer()
    const c = new Redis(own.url)
    try {
      const prefix = uniquePrefix()
      const cache = new RedisCache({ client: c, prefix, maxTtl: 2 })
      const baseline = await c.dbsize()
      let peak = 0
      for (let start = 0; start < 100_000; start += 5_000) {
        await cache.setMany(
          Array.from({ length: 5_000 }, (_, j) => ({
            key: `Post:id=${start + j}`,
            value: { title: 'x'.repeat(50) },
            options: { ttl: 2, tags: ['Post', `Post:id=${start + j}`, 'User'] },
          })),
        )
        // Record tags invalidated by writes: each leaves one tag key, kept 2 x maxTtl.
        await cache.invalidateTags(Array.from({ length: 5_000 }, (_, j) => `Post:id=${start + j}`))
        peak = Math.max(peak, await c.dbsize())
      }
      expect(cache.stats().writes).toBe(100_000)
      expect(peak).toBeGreaterThan(50_000)
      // 2 x maxTtl later (Redis's own expiry, moved forward): only the epoch counter remains, no tag sets, no
      // orphaned members; a key kept longer, or without a TTL, would still be there.
      await advanceRedisTtls(c, prefix, 2 * 2_000)
      expect(await c.dbsize()).toBeLessThanOrEqual(baseline + 1)
      const memory = await c.info('memory')
      const used = Number(/used_memory:(\d+)/.exec(memory)?.[1])
      expect(used).toBeLessThan(20 * 1024 * 1024)
    } finally {
      c.disconnect()
      await own.stop()
    }
  }, 60_000)

  it('recovers when the server lost its scripts (NOSCRIPT)', async () => {
    const cache = new RedisCache({ client, prefix: uniquePrefix() })
    await cache.set('a', 1, { ttl: 60 })
    await client.script('FLUSH')
    expect((await cache.get('a'))?.value).toBe(1)
    await client.script('FLUSH')
    await cache.invalidateTags(['x'])
  })

  it('opens and closes its own connection from a URL', async () => {
    const cache = new RedisCache({ url: redis.url, prefix: uniquePrefix() })
    await cache.set('u', 1, { ttl: 60 })
    expect((await cache.get('u'))?.value).toBe(1)
    expect((await cache.healthCheck()).ok).toBe(true)
    await cache.close()
    expect(cache.client.status).toBe('end')
  })

  it.each([
    ['MessagePack', msgpackSerializer],
    ['superjson', superjsonSerializer],
  ] as const)(
    'compresses values over compressAbove (%s), transparently, and reads uncompressed ones side by side',
    async (name, serializer) => {
      const prefix = uniquePrefix()
      const plain = new RedisCache({ client, prefix })
      const compressing = new RedisCache({ client, prefix, compressAbove: 1000, serializer })
      const big = { text: 'abc'.repeat(5000), at: new Date(0), n: 10n }
      await compressing.set('big', big, { ttl: 60 })
      await compressing.set('small', { text: 'tiny' }, { ttl: 60 })
      const stored = (await client.getBuffer(compressing.keyspace.data('big')))!
      expect(stored.length).toBeLessThan(2000)
      const newline = stored.indexOf('\n')
      expect(JSON.parse(stored.toString('utf8', 0, newline))[3]).toBe(`${serializer.format}+deflate`)
      expect(stored[newline + 1]).toBe(0)
      expect((await compressing.get('big'))?.value).toEqual(big)
      expect((await plain.get('big'))?.value).toEqual(big)
      expect((await compressing.get('small'))?.value).toEqual({ text: 'tiny' })
      await plain.set('plain', big, { ttl: 60 })
      expect((await compressing.get('plain'))?.value).toEqual(big)
      // Entries compressed before formats were named: superjson text, `z:` + base64 deflate.
      const legacy = compressingSerializer(superjsonSerializer, { above: 0 }).serialize(big)
      await client.set(compressing.keyspace.data('legacy'), `[0,[],${Date.now() + 60_000}]\n${legacy}`, 'PX', 60_000)
      expect((await compressing.get('legacy'))?.value).toEqual(big)
      expect(name).toBeTruthy()
    },
  )

  describe('entries name their format: a reader with another serializer decodes them or misses, never reads garbage', () => {
    const values: unknown[] = [
      53,
      5,
      0,
      -1,
      'x',
      '',
      { a: 1 },
      [1],
      null,
      true,
      false,
      1.5,
      10n,
      new Date(0),
      { at: new Date(1), n: -0 },
    ]

    it("MessagePack and superjson instances read each other's entries (a rolling deploy that changes serializer)", async () => {
      const prefix = uniquePrefix()
      const packing = new RedisCache({ client, prefix })
      const texting = new RedisCache({ client, prefix, serializer: superjsonSerializer })
      for (const [i, value] of values.entries()) {
        await packing.set(`m${i}`, value, { ttl: 60 })
        await texting.set(`s${i}`, value, { ttl: 60 })
        expect((await texting.get(`m${i}`))?.value, `superjson reads ${String(value)}`).toEqual(value)
        expect((await packing.get(`s${i}`))?.value, `MessagePack reads ${String(value)}`).toEqual(value)
      }
      expect(packing.stats().errors + texting.stats().errors).toBe(0)
    })

    it('reads entries written before formats were named (superjson text, no format in the header)', async () => {
      const cache = new RedisCache({ client, prefix: uniquePrefix() })
      for (const [i, value] of values.entries()) {
        await client.set(
          cache.keyspace.data(`old${i}`),
          `[0,["User"],${Date.now() + 60_000}]\n${superjsonSerializer.serialize(value)}`,
          'PX',
          60_000,
        )
        expect((await cache.get(`old${i}`))?.value).toEqual(value)
      }
    })

    it('a reader from before formats were named (superjson on the payload text) fails on every binary entry: a miss, never a value', async () => {
      const cache = new RedisCache({ client, prefix: uniquePrefix(), compressAbove: 64 })
      // What the previous release did with a stored entry: the text after the first newline, through superjson.
      const previousRelease = compressingSerializer(superjsonSerializer, { above: Number.POSITIVE_INFINITY })
      for (const [i, value] of [...values, 'long text '.repeat(20)].entries()) {
        await cache.set(`v${i}`, value, { ttl: 60 })
        const text = (await client.get(cache.keyspace.data(`v${i}`)))!
        // e.g. 53 packs as the single byte "5": without the marker byte, JSON.parse gives 5 and superjson undefined.
        expect(
          () => previousRelease.deserialize(text.slice(text.indexOf('\n') + 1)),
          `value ${String(value)}`,
        ).toThrow()
      }
    })

    it('an entry in a format this reader does not know is a miss, left in place, not an error', async () => {
      const cache = new RedisCache({ client, prefix: uniquePrefix() })
      const key = cache.keyspace.data('future')
      await client.set(key, `[0,[],${Date.now() + 60_000},"cbor"]\n\u0000abc`, 'PX', 60_000)
      expect(await cache.get('future')).toBeUndefined()
      expect((await cache.lookup('future', { expectedTags: [] })).entry).toBeUndefined()
      expect(await client.exists(key)).toBe(1)
      expect(cache.stats().errors).toBe(0)
      // A custom serializer with that name reads it.
      const cbor: Serializer = {
        format: 'cbor',
        binary: true,
        serialize: () => Buffer.from('abc'),
        deserialize: (bytes) => Buffer.from(bytes).toString(),
      }
      expect(
        (await new RedisCache({ client, prefix: cache.keyspace.prefix, serializer: cbor }).get('future'))?.value,
      ).toBe('abc')
    })

    it('a text serializer without a format writes and reads entries as before formats were named', async () => {
      const json: Serializer = {
        serialize: (value) => JSON.stringify(value),
        deserialize: (text) => JSON.parse(text) as unknown,
      }
      const cache = new RedisCache({ client, prefix: uniquePrefix(), serializer: json })
      await cache.set('k', { a: [1, 'b'] }, { ttl: 60 })
      const stored = (await client.get(cache.keyspace.data('k')))!
      expect(JSON.parse(stored.slice(0, stored.indexOf('\n')))).toHaveLength(3)
      expect(stored.slice(stored.indexOf('\n') + 1)).toBe('{"a":[1,"b"]}')
      expect((await cache.get('k'))?.value).toEqual({ a: [1, 'b'] })
    })

    it('rejects a serializer it could not name in entries', () => {
      const bytes = { binary: true, serialize: () => new Uint8Array(), deserialize: () => 1 } as unknown as Serializer
      expect(() => new RedisCache({ client, serializer: bytes })).toThrow(/a binary serializer needs a `format` name/)
      expect(() => new RedisCache({ client, serializer: { ...superjsonSerializer, format: 'no spaces' } })).toThrow(
        /serializer.format must be/,
      )
      expect(() => new RedisCache({ client, compressAbove: Number.NaN })).toThrow(/compressAbove/)
    })
  })

  it('writes the header in the room the serializer left in front of the bytes; what L1 keeps stays intact', async () => {
    const prefix = uniquePrefix()
    const withRoom = new RedisCache({ client, prefix })
    // The same MessagePack without serializeWithHeadroom: its bytes are copied behind the header.
    const { serializeWithHeadroom: _, ...plainPack } = msgpackSerializer
    const copying = new RedisCache({ client, prefix, serializer: plainPack })
    const values = Array.from({ length: 40 }, (_, i) => ({ id: i, name: `user ${i}`, at: new Date(i), big: BigInt(i) }))
    const kept: EncodedValue[] = []
    for (const [name, cache] of [
      ['room', withRoom],
      ['copy', copying],
    ] as const) {
      const snapshot = await cache.snapshot()
      for (const [i, value] of values.entries()) {
        const onEncoded = (encoded: EncodedValue) => void kept.push(encoded)
        await cache.set(`${name}${i}`, value, { ttl: 60, tags: [`User:id=${i}`], snapshot, onEncoded })
      }
    }
    for (const [i, value] of values.entries()) {
      const [room, copy] = await Promise.all(
        ['room', 'copy'].map((n) => client.getBuffer(withRoom.keyspace.data(`${n}${i}`))),
      )
      const lines = [room!, copy!].map((stored) => stored.subarray(0, stored.indexOf('\n')).toString())
      expect(lines.map((line) => (JSON.parse(line) as unknown[]).slice(0, 2))).toEqual([
        [0, [`User:id=${i}`]],
        [0, [`User:id=${i}`]],
      ])
      expect(room!.subarray(lines[0]!.length + 1).equals(copy!.subarray(lines[1]!.length + 1))).toBe(true)
      expect((await withRoom.get(`copy${i}`))?.value).toEqual(value)
      expect((await copying.get(`room${i}`))?.value).toEqual(value)
    }
    // The room path keeps views: consecutive small entries share the serializer's working buffer (8 KiB).
    const roomBuffers = kept.slice(0, values.length).map((encoded) => (encoded.data as Uint8Array).buffer)
    expect(roomBuffers[0]!.byteLength).toBeLessThanOrEqual(8192)
    expect(roomBuffers[1]).toBe(roomBuffers[0])
    // The kept bytes of one entry are not written over by the next ones (views of one working buffer).
    expect(kept.map((encoded) => msgpackSerializer.deserialize(encoded.data as Uint8Array))).toEqual([
      ...values,
      ...values,
    ])
    // A large entry is not kept as a view of the serializer's working buffer (several times its size): a copy.
    let large: EncodedValue | undefined
    const snapshot = await withRoom.snapshot()
    const onEncoded = (encoded: EncodedValue) => void (large = encoded)
    await withRoom.set('large', { text: 'x'.repeat(50_000) }, { ttl: 60, snapshot, onEncoded })
    const data = large!.data as Uint8Array
    expect(data.buffer.byteLength).toBeLessThan(data.byteLength + 100)
    expect(msgpackSerializer.deserialize(data)).toEqual({ text: 'x'.repeat(50_000) })
  })

  it('skips values over maxEntryBytes and drops the older value of the key', async () => {
    const cache = new RedisCache({ client, prefix: uniquePrefix(), maxEntryBytes: 1000 })
    await cache.set('big', 'small', { ttl: 60 })
    await cache.set('big', 'x'.repeat(2000), { ttl: 60 })
    expect(await cache.get('big')).toBeUndefined()
    expect(cache.stats().rejectedTooLarge).toBe(1)
  })

  it('rejects bad options with errors naming them', () => {
    expect(() => new RedisCache({ client, prefix: 'a{b}' })).toThrow(/prefix must be a non-empty string without "\{"/)
    expect(() => new RedisCache({ client, prefix: '' })).toThrow(/prefix/)
    expect(() => new RedisCache({})).toThrow(/exactly one of `client`/)
    expect(() => new RedisCache({ client, operationTimeoutMs: -1 })).toThrow(/operationTimeoutMs/)
    expect(() => new RedisCache({ client: {} as Redis })).toThrow(
      /`client` must be a Redis client \(ioredis 5 or 6, iovalkey; standalone or Cluster\); this Object has no get, getBuffer, set, mget, mgetBuffer/,
    )
    // Reads from replicas could miss a completed invalidation.
    const replicaReads = new Cluster([{ host: '127.0.0.1', port: 1 }], { scaleReads: 'slave', lazyConnect: true })
    const replica = new Redis({
      sentinels: [{ host: '127.0.0.1', port: 1 }],
      name: 'mymaster',
      role: 'slave',
      lazyConnect: true,
    })
    try {
      expect(() => new RedisCache({ client: replicaReads })).toThrow(/reads from replicas \(scaleReads: "slave"\)/)
      expect(() => new RedisCache({ client: replica })).toThrow(/reads from replicas \(role: 'slave'\)/)
    } finally {
      replicaReads.disconnect()
      replica.disconnect()
    }
  })
})

describe('RedisCache when the server is down', () => {
  it('fails each operation within the operation timeout and reports health', async () => {
    const server = await startRedisServer()
    const cache = new RedisCache({ url: server.url, prefix: uniquePrefix(), operationTimeoutMs: 200 })
    try {
      await cache.set('k', 1, { ttl: 60 })
      expect((await cache.healthCheck()).ok).toBe(true)
      await server.stop()
      const started = performance.now()
      const error = await cache.get('k').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      // Bounded by the timeout (plus scheduling slack), whatever ioredis does while reconnecting.
      expect(performance.now() - started).toBeLessThan(2000)
      const health = await cache.healthCheck()
      expect(health.ok).toBe(false)
      expect(health.error).toBeDefined()
      expect(cache.stats().errors).toBeGreaterThanOrEqual(1)
      await server.start()
      await eventually(async () => (await cache.healthCheck()).ok, 'the cache to reach the restarted server', 10_000)
      expect(await cache.get('k')).toBeUndefined()
    } finally {
      await cache.close()
      await server.stop()
    }
  })

  it('fails at once, without waiting the timeout, while a client that was connected is reconnecting', async () => {
    // On the old code the read waited the (here one-minute) operation timeout: the test timed out.
    const server = await startRedisServer()
    const client = new Redis(server.url, { maxRetriesPerRequest: 20 })
    client.on('error', () => {})
    const cache = new RedisCache({ client, prefix: uniquePrefix(), operationTimeoutMs: 60_000 })
    try {
      await cache.set('k', 1, { ttl: 60 })
      await server.stop()
      await eventually(() => client.status === 'reconnecting', 'the client to notice')
      await expect(cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError)
      await expect(cache.invalidateTags(['User'])).rejects.toThrow(/the Redis client is reconnecting/)
      await server.start()
      await eventually(() => client.status === 'ready', 'the client to reconnect', 10_000)
      await cache.set('k', 2, { ttl: 60 })
      expect((await cache.get('k'))?.value).toBe(2)
    } finally {
      client.disconnect()
      await server.stop()
    }
  })

  it('names the timeout', () => {
    expect(new CacheTimeoutError('redis get', 200).message).toBe('Cache operation redis get timed out after 200 ms')
  })
})

describe('RedisCache on a 3-node Redis Cluster', () => {
  let service: RedisClusterService
  let cluster: Cluster
  beforeAll(async () => {
    service = await startRedisCluster()
    cluster = new Cluster(service.nodes)
    await cluster.ping()
  })
  afterAll(async () => {
    cluster?.disconnect()
    await service?.stop()
  })

  describeConformance('RedisCache cluster', () => redisTarget(cluster, uniquePrefix))

  describeConformance('RedisCache cluster, superjson', () =>
    redisTarget(cluster, uniquePrefix, { serializer: superjsonSerializer }),
  )

  it('spreads entries over every master and invalidates 10,000 of them by tag and by pattern without CROSSSLOT', async () => {
    const cache = new RedisCache({ client: cluster, prefix: uniquePrefix() })
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      key: CacheKey.fields('Post', { id: i }),
      value: { i },
      options: { ttl: 60, tags: ['Post', `Post:id=${i}`] },
    }))
    await cache.setMany(items)
    const perMaster = await Promise.all(cluster.nodes('master').map((node) => node.dbsize()))
    expect(perMaster.every((n) => n > 1000)).toBe(true)
    expect(await cache.size()).toBe(10_000)
    const hits = await cache.getMany(items.map((item) => item.key))
    expect(hits.every((entry) => entry !== undefined)).toBe(true)
    await cache.invalidateTags(items.slice(0, 600).map((item) => `Post:id=${item.value.i}`))
    const partly = await cache.getMany(items.map((item) => item.key))
    expect(partly.filter((entry) => entry === undefined)).toHaveLength(600)
    await cache.invalidateTags(['Post'])
    expect((await cache.getMany(items.map((item) => item.key))).every((entry) => entry === undefined)).toBe(true)
    await cache.setMany(items)
    expect(await cache.invalidatePattern(KeyPattern.entity('Post'))).toBe(10_000)
    expect(await cache.size()).toBe(0)
  })

  it('reports health for every master', async () => {
    const cache = new RedisCache({ client: cluster, prefix: uniquePrefix() })
    expect(await cache.healthCheck()).toMatchObject({ ok: true, mode: 'cluster' })
  })
})
