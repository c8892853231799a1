/**
 * The generic cache (src/cache) against bentocache, on the same Redis, in the same process, side by side.
 *
 * 1. get on an L1 hit          3. set (L1 + L2 write)
 * 2. get on an L2 hit          4. invalidate one tag carried by 1,000 keys
 * 5. floors: raw ioredis reads + parse, and the per-read copy costs (clone vs serializer round trips)
 * 6. compression: RedisCache set / get of a ~50 KB value with compressAbove: 16384 vs without (ours only)
 *
 * Every library gets its own key prefix (under `bench:<runId>:`) and its own ioredis connection.
 * The text in bench/benchmarks-intro.md explains the choices made here; keep the two in step.
 */
import { BentoCache, bentostore } from 'bentocache'
import { type MemoryDriver, memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import type { Redis } from 'ioredis'
import { isDeepStrictEqual } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import { Bench } from 'tinybench'
import { GET_CHECKED } from '../src/cache/redis/scripts.js'
import { cloneValue } from '../src/cache/index.js'
import {
  MemoryCache,
  type MemoryValueMode,
  msgpackSerializer,
  RedisCache,
  type Serializer,
  superjsonSerializer,
  TieredCache,
} from '../src/index.js'
import { l1Trusted } from '../test/support/l1-trusted.js'
import { removeKeys } from './cleanup.js'
import { type BenchUser, makeUser, userTags } from './payload.js'
import {
  type BenchContext,
  type Copies,
  fromSamples,
  fromTask,
  num,
  type Result,
  type RowMeta,
  type SuiteOutput,
} from './report.js'
import { interleave, type TimedTask } from './timing.js'

const TTL_SECONDS = 3600
const BENTO_TTL = '1h'
/** Both L1s hold the same number of entries (bentocache's default is 1,000, ours 10,000). */
const L1_MAX_ITEMS = 10_000
const USER_ID = 1
const KEY = `User:id=${USER_ID}`
const INVALIDATION_KEYS = 1000
/** Scenario 6: the serialized size of the large value, and RedisCache's compressAbove. */
const COMPRESSION_TARGET_BYTES = 50_000
const COMPRESS_ABOVE = 16_384

/**
 * A user with as many posts as it takes for its superjson text to reach `bytes`. Each post body is ~200
 * characters of words drawn (seeded) from a 300-word vocabulary, so the text compresses about as well as prose
 * does, not as well as 100 copies of one body would.
 */
function largeUser(bytes: number): BenchUser {
  let seed = 42
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296
  const syllables = [
    'ca',
    'che',
    'ti',
    'er',
    'red',
    'is',
    'pri',
    'sma',
    'que',
    'ry',
    'in',
    'va',
    'li',
    'da',
    'tion',
    'row',
    'key',
    'tag',
    'lo',
    'ad',
  ]
  const vocabulary = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => syllables[Math.floor(random() * syllables.length)]).join(
      '',
    ),
  )
  const prose = () => {
    const words: string[] = []
    while (words.join(' ').length < 200) words.push(vocabulary[Math.floor(random() * vocabulary.length)]!)
    return `${words.join(' ')}.`
  }
  const user = makeUser(2)
  user.posts = []
  for (let i = 0; Buffer.byteLength(superjsonSerializer.serialize(user)) < bytes; i++)
    user.posts.push(...makeUser(100 + i).posts.map((post) => ({ ...post, authorId: user.id, body: prose() })))
  return user
}

/** bentocache with our superjson instance as its serializer: the same value fidelity (Dates) as ours. */
const superjsonForBento = {
  serialize: (value: unknown) => superjsonSerializer.serialize(value),
  deserialize: (value: unknown) => superjsonSerializer.deserialize(String(value)),
}

type BentoVariant = 'json' | 'superjson' | 'noserialize'
const BENTO_LABEL: Record<BentoVariant, string> = {
  json: 'bento serialize:true (JSON, default)',
  superjson: 'bento serialize:true + superjson',
  noserialize: 'bento serialize:false',
}

interface BentoUnderTest {
  cache: BentoCache<{ tiered: ReturnType<typeof bentostore> }>
  /** The store's L1 driver (captured from the driver factory), to force L1 misses of one key. */
  l1(): MemoryDriver
}

function makeBento(client: Redis, prefix: string, variant: BentoVariant): BentoUnderTest {
  const base = memoryDriver({ maxItems: L1_MAX_ITEMS, serialize: variant !== 'noserialize' })
  let driver: MemoryDriver | undefined
  const l1 = { options: base.options, factory: (config: unknown) => (driver = base.factory(config)) }
  const cache = new BentoCache({
    default: 'tiered',
    prefix,
    ...(variant === 'superjson' ? { serializer: superjsonForBento } : {}),
    stores: {
      tiered: bentostore()
        .useL1Layer(l1)
        .useL2Layer(redisDriver({ connection: client })),
    },
  })
  return {
    cache,
    l1: () => {
      if (driver === undefined) throw new Error('bentocache has not created its L1 driver yet (it does on first use)')
      return driver
    },
  }
}

/**
 * Ours as a user writes it: `new TieredCache(new MemoryCache(...), new RedisCache(...))`, which opens its bus on
 * the RedisCache's client (an L2 hit is then a plain GET judged from the invalidations heard: localTagCheck), or
 * with `bus: false` (every L2 read checks the entry's tags in Redis, a script). `serializer` for both tiers
 * (superjson, to compare with the previous default). Resolves once its L1 may be served (the bus up, its lease
 * held); `opened` gets it, to be closed at the end.
 */
async function makeOurs(
  opened: TieredCache[],
  client: Redis,
  prefix: string,
  values: MemoryValueMode,
  options: { serializer?: Serializer; bus?: false } = {},
): Promise<TieredCache<MemoryCache, RedisCache>> {
  const chosen = options.serializer === undefined ? {} : { serializer: options.serializer }
  const cache = new TieredCache(
    new MemoryCache({ values, max: L1_MAX_ITEMS, ...chosen }),
    new RedisCache({ client, prefix, ...chosen }),
    options.bus === false ? { bus: false } : {},
  )
  opened.push(cache)
  await l1Trusted(cache)
  return cache
}

/** The rows of ours with superjson instead of the default MessagePack in Redis (the previous default). */
const SUPERJSON_SUFFIX = ', superjson'
/** The row of ours writing under a snapshot, as every read-through fill does (a plain SET, no script). */
const SNAPSHOT_SUFFIX = ', with a snapshot (a fill)'
/** The row of ours without its default bus: every L2 read checks the entry's tags in Redis (a script). */
const NO_BUS_SUFFIX = ', bus: false (tags checked in Redis)'

/**
 * Writes a fresh copy of the payload, reads it, mutates the result, reads again: did the mutation reach the
 * second reader? Also reports what a Date field came back as. Never touches the shared `payload` object.
 */
async function inspect(
  write: (value: BenchUser) => Promise<unknown>,
  read: () => Promise<BenchUser | undefined>,
  between: () => Promise<void> = async () => {},
): Promise<{ copies: Copies; note: string }> {
  await write(makeUser(USER_ID))
  await between()
  const first = await read()
  if (first === undefined) throw new Error('inspect: expected a hit')
  const createdAt = first.createdAt instanceof Date ? 'Date' : typeof first.createdAt
  first.posts[0]!.title = 'MUTATED BY CALLER'
  await between()
  const second = await read()
  if (second === undefined) throw new Error('inspect: expected a hit on the second read')
  const copies: Copies = second.posts[0]!.title === 'MUTATED BY CALLER' ? 'shared references' : 'safe copies'
  return { copies, note: `createdAt comes back as ${createdAt}` }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A full GC on demand without a node flag on the command line (`npm run bench` stays `tsx … bench/run.ts`).
 * Used only before hand-timed one-off calls, so the garbage of their untimed setup (1,000 writes and reads)
 * is not collected inside the timed call. Steady-state loops keep paying for their own garbage.
 */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc')
  const gc: unknown = vm.runInNewContext('gc')
  if (typeof gc !== 'function') throw new Error('could not expose gc()')
  return gc as () => void
}

async function settle(gc: () => void): Promise<void> {
  gc()
  await sleep(5)
}

export async function cacheScenarios(ctx: BenchContext): Promise<SuiteOutput> {
  const oursClient = await ctx.client('ours')
  const bentoClient = await ctx.client('bentocache')
  const rawClient = await ctx.client('baseline')
  const prefix = (name: string) => `bench:${ctx.runId}:${name}`
  const payload = makeUser(USER_ID)
  const tags = userTags(USER_ID)
  const results: Result[] = []
  const floorRows: Result[] = []
  const notes: string[] = []
  const timing = { timeMs: ctx.timeMs, warmupMs: ctx.warmupMs }
  /** Our caches (each with its bus's subscriber connection, unless bus: false), closed at the end. */
  const opened: TieredCache[] = []

  const ourModes: MemoryValueMode[] = ['clone', 'serialize', 'reference']
  const bentoVariants: BentoVariant[] = ['json', 'superjson', 'noserialize']
  const oursName = (scenario: string, mode: MemoryValueMode) => `${scenario} · ours values:'${mode}'`
  const bentoName = (scenario: string, variant: BentoVariant) => `${scenario} · ${BENTO_LABEL[variant]}`
  /** Which bentocache rows each of our modes is compared with. */
  const pairs: Record<MemoryValueMode, BentoVariant[]> = {
    clone: ['json', 'superjson'],
    serialize: ['superjson'],
    reference: ['noserialize'],
  }
  const copiesOf = (mode: MemoryValueMode | BentoVariant): Copies =>
    mode === 'reference' || mode === 'noserialize' ? 'shared references' : 'safe copies'

  /** L1s hold other entries too, as in production (an LRU emptied by the last delete behaves differently). */
  const neighbours = Array.from({ length: 100 }, (_, i) => makeUser(1000 + i))
  const fillOurs = (cache: TieredCache) =>
    Promise.all(neighbours.map((u) => cache.set(`User:id=${u.id}`, u, { ttl: TTL_SECONDS, tags: userTags(u.id) })))
  const fillBento = (cache: BentoUnderTest['cache']) =>
    Promise.all(
      neighbours.map((u) => cache.set({ key: `User:id=${u.id}`, value: u, ttl: BENTO_TTL, tags: userTags(u.id) })),
    )

  const collect = (samples: Map<string, number[]>, meta: Map<string, RowMeta>, into: Result[] = results) => {
    for (const [name, m] of meta) into.push(fromSamples(name, samples.get(name)!, m))
  }

  // ---- 1. get on an L1 hit ---------------------------------------------------------------------------
  {
    const scenario = '1. get, L1 hit'
    ctx.log(scenario)
    const tasks: TimedTask[] = []
    const meta = new Map<string, RowMeta>()
    for (const mode of ourModes) {
      const cache = await makeOurs(opened, oursClient, prefix(`ptc-l1-${mode}:`), mode)
      await fillOurs(cache)
      const seen = await inspect(
        (value) => cache.set(KEY, value, { ttl: TTL_SECONDS, tags }),
        async () => (await cache.get<BenchUser>(KEY))?.value,
      )
      await cache.set(KEY, payload, { ttl: TTL_SECONDS, tags })
      const name = oursName('L1', mode)
      meta.set(name, {
        scenario,
        library: 'prisma-tiered-cache',
        copies: seen.copies,
        note: seen.note,
        compareWith: pairs[mode].map((v) => bentoName('L1', v)),
      })
      tasks.push({
        name,
        fn: async () => {
          if ((await cache.get<BenchUser>(KEY)) === undefined) throw new Error(`${name}: miss`)
        },
      })
    }
    for (const variant of bentoVariants) {
      const { cache } = makeBento(bentoClient, prefix(`bento-l1-${variant}`), variant)
      await fillBento(cache)
      const seen = await inspect(
        (value) => cache.set({ key: KEY, value, ttl: BENTO_TTL, tags }),
        () => cache.get<BenchUser | undefined>({ key: KEY }),
      )
      await cache.set({ key: KEY, value: payload, ttl: BENTO_TTL, tags })
      const name = bentoName('L1', variant)
      meta.set(name, { scenario, library: 'bentocache', copies: seen.copies, note: seen.note })
      tasks.push({
        name,
        fn: async () => {
          if ((await cache.get<BenchUser | undefined>({ key: KEY })) === undefined) throw new Error(`${name}: miss`)
        },
      })
    }
    collect(await interleave(tasks, timing), meta)
  }

  // ---- 2. get on an L2 hit (+ the Redis floors, timed in the same interleaved run) ------------------
  // Before every call (outside the timed part) the key is deleted from that library's own L1 only, so the
  // timed get misses L1, reads Redis, checks tags and refills L1 — the real L2-hit path of a tiered cache.
  {
    const scenario = '2. get, L2 hit (L1 refilled)'
    ctx.log(scenario)
    const tasks: TimedTask[] = []
    const meta = new Map<string, RowMeta>()
    const variants = [
      { mode: 'clone', serializer: undefined, bus: true },
      { mode: 'reference', serializer: undefined, bus: true },
      { mode: 'clone', serializer: superjsonSerializer, bus: true },
      { mode: 'clone', serializer: undefined, bus: false },
    ] as const
    for (const { mode, serializer, bus } of variants) {
      const suffix = (serializer === undefined ? '' : SUPERJSON_SUFFIX) + (bus ? '' : NO_BUS_SUFFIX)
      const cache = await makeOurs(
        opened,
        oursClient,
        prefix(`ptc-l2-${mode}${serializer ? '-sj' : ''}${bus ? '' : '-nobus'}:`),
        mode,
        { ...(serializer ? { serializer } : {}), ...(bus ? {} : { bus: false as const }) },
      )
      await fillOurs(cache)
      const dropL1 = async () => {
        await cache.l1.delete(KEY)
      }
      const seen = await inspect(
        (value) => cache.set(KEY, value, { ttl: TTL_SECONDS, tags }),
        async () => (await cache.get<BenchUser>(KEY))?.value,
        dropL1,
      )
      await cache.set(KEY, payload, { ttl: TTL_SECONDS, tags })
      const name = oursName('L2', mode) + suffix
      const compareWith =
        serializer === undefined ? pairs[mode].map((v) => bentoName('L2', v)) : [bentoName('L2', 'superjson')]
      meta.set(name, { scenario, library: 'prisma-tiered-cache', copies: copiesOf(mode), note: seen.note, compareWith })
      tasks.push({
        name,
        beforeEach: dropL1,
        fn: async () => {
          if ((await cache.get<BenchUser>(KEY)) === undefined) throw new Error(`${name}: miss`)
        },
      })
    }
    for (const variant of bentoVariants) {
      const bento = makeBento(bentoClient, prefix(`bento-l2-${variant}`), variant)
      await fillBento(bento.cache)
      const dropL1 = () => {
        bento.l1().delete(KEY)
      }
      // The first read also leaves bentocache's tag timestamps in its L1, as they would be in production.
      const seen = await inspect(
        (value) => bento.cache.set({ key: KEY, value, ttl: BENTO_TTL, tags }),
        () => bento.cache.get<BenchUser | undefined>({ key: KEY }),
        async () => dropL1(),
      )
      await bento.cache.set({ key: KEY, value: payload, ttl: BENTO_TTL, tags })
      const name = bentoName('L2', variant)
      meta.set(name, { scenario, library: 'bentocache', copies: copiesOf(variant), note: seen.note })
      tasks.push({
        name,
        beforeEach: dropL1,
        fn: async () => {
          if ((await bento.cache.get<BenchUser | undefined>({ key: KEY })) === undefined)
            throw new Error(`${name}: miss`)
        },
      })
    }

    // Floors: the same reads without a cache library around them.
    const floorScenario = '5a. L2 floor (no cache library)'
    const floorMeta = new Map<string, RowMeta>()
    const text = superjsonSerializer.serialize(payload)
    const packed = Buffer.from(msgpackSerializer.serialize(payload))
    const json = JSON.stringify(payload)
    const rawSuperjsonKey = prefix('raw:superjson')
    const rawMsgpackKey = prefix('raw:msgpack')
    const rawJsonKey = prefix('raw:json')
    await rawClient.set(rawSuperjsonKey, text, 'PX', TTL_SECONDS * 1000)
    await rawClient.set(rawMsgpackKey, packed, 'PX', TTL_SECONDS * 1000)
    await rawClient.set(rawJsonKey, json, 'PX', TTL_SECONDS * 1000)
    // Our L2 read script on an entry written by RedisCache, called directly (no TieredCache/RedisCache around it).
    const scripted = new RedisCache({ client: rawClient, prefix: prefix('raw-ptc:') })
    await scripted.set(KEY, payload, { ttl: TTL_SECONDS, tags })
    const scriptKeys = [scripted.keyspace.data(KEY)]
    const scriptArgs = [scripted.keyspace.tagPrefix, scripted.keyspace.all]
    await GET_CHECKED.load(rawClient)
    // Bytes per entry in Redis (STRLEN: the header line with 3 tags, then the payload), with each serializer.
    const superjsonEntry = new RedisCache({
      client: rawClient,
      prefix: prefix('raw-sj:'),
      serializer: superjsonSerializer,
    })
    await superjsonEntry.set(KEY, payload, { ttl: TTL_SECONDS, tags })
    const entryBytes = {
      msgpack: await rawClient.strlen(scripted.keyspace.data(KEY)),
      superjson: await rawClient.strlen(superjsonEntry.keyspace.data(KEY)),
    }
    notes.push(
      `Payload: a user with a profile and 5 posts (6 Dates); MessagePack ${packed.length} bytes, superjson text ${Buffer.byteLength(text)} bytes, JSON ${Buffer.byteLength(json)} bytes; 3 tags per entry (${tags.join(', ')}). ` +
        `Redis bytes per entry (STRLEN, header line included): ${entryBytes.msgpack} with MessagePack (the default), ${entryBytes.superjson} with superjson (${(entryBytes.msgpack / entryBytes.superjson).toFixed(2)}×).`,
    )
    notes.push(
      msgpackSerializer.accelerated
        ? 'MessagePack strings decoded natively: msgpackr-extract (an optional peer) is installed here. MSGPACKR_NATIVE_ACCELERATION_DISABLED=true npm run bench gives the figures of an install without it.'
        : 'MessagePack decoded in JavaScript: msgpackr-extract (an optional peer) is not installed or MSGPACKR_NATIVE_ACCELERATION_DISABLED=true; with it, strings are decoded natively.',
    )
    const floors: Array<[string, string, () => Promise<unknown>]> = [
      [
        'floor · ioredis GET + superjson.parse',
        'the least an L2 hit stored with superjson can cost',
        async () => superjsonSerializer.deserialize((await rawClient.get(rawSuperjsonKey))!),
      ],
      [
        'floor · ioredis GET (bytes) + MessagePack unpack',
        'the least an L2 hit stored with our MessagePack serializer can cost',
        async () => msgpackSerializer.deserialize((await rawClient.getBuffer(rawMsgpackKey))!),
      ],
      [
        'floor · ioredis EVALSHA get-checked (bytes) + MessagePack unpack',
        'our L2 read script (GET + tag epochs + PTTL, one round trip) without TieredCache/RedisCache around it',
        async () => {
          const reply = (await rawClient.callBuffer('evalsha', GET_CHECKED.sha, 1, ...scriptKeys, ...scriptArgs)) as [
            Buffer,
            number,
          ]
          // The payload after the header's newline and the bytes marker.
          return msgpackSerializer.deserialize(reply[0].subarray(reply[0].indexOf(10) + 2))
        },
      ],
      [
        'floor · ioredis GET + JSON.parse',
        "bentocache's default L2 format (Dates come back as strings)",
        async () => JSON.parse((await rawClient.get(rawJsonKey))!),
      ],
      ['floor · ioredis GET (no parse)', 'one round trip to Redis, nothing else', () => rawClient.get(rawSuperjsonKey)],
      [
        'floor · ioredis EVALSHA get-checked (no parse)',
        'our L2 read script alone: the round trip plus the tag checks inside Redis',
        () => rawClient.evalsha(GET_CHECKED.sha, 1, ...scriptKeys, ...scriptArgs),
      ],
    ]
    for (const [name, note, fn] of floors) {
      floorMeta.set(name, { scenario: floorScenario, library: 'baseline', copies: '—', note })
      tasks.push({ name, fn })
    }
    const samples = await interleave(tasks, timing)
    collect(samples, meta)
    collect(samples, floorMeta, floorRows)
  }

  // ---- 3. set: L1 + L2 write -------------------------------------------------------------------------
  {
    const scenario = '3. set (L1 + L2)'
    ctx.log(scenario)
    const tasks: TimedTask[] = []
    const meta = new Map<string, RowMeta>()
    const keys = Array.from({ length: 1000 }, (_, i) => `User:id=${i}`)
    const variants = [
      { mode: 'clone', serializer: undefined, snapshot: false },
      { mode: 'reference', serializer: undefined, snapshot: false },
      { mode: 'clone', serializer: superjsonSerializer, snapshot: false },
      { mode: 'clone', serializer: undefined, snapshot: true },
    ] as const
    for (const { mode, serializer, snapshot } of variants) {
      const suffix = (serializer === undefined ? '' : SUPERJSON_SUFFIX) + (snapshot ? SNAPSHOT_SUFFIX : '')
      const cache = await makeOurs(
        opened,
        oursClient,
        prefix(`ptc-set-${mode}${serializer ? '-sj' : ''}${snapshot ? '-snap' : ''}:`),
        mode,
        serializer ? { serializer } : {},
      )
      // A read-through fill writes under the snapshot its lookup took: a plain SET. Without one, `set` means "as
      // of now", which RedisCache writes with a script that reads the epoch (SET_NOW).
      const taken = snapshot ? await cache.snapshot() : undefined
      let i = 0
      const name = oursName('set', mode) + suffix
      const compareWith =
        serializer === undefined ? pairs[mode].map((v) => bentoName('set', v)) : [bentoName('set', 'superjson')]
      meta.set(name, { scenario, library: 'prisma-tiered-cache', copies: copiesOf(mode), compareWith })
      tasks.push({
        name,
        fn: async () => {
          await cache.set(keys[i++ % keys.length]!, payload, {
            ttl: TTL_SECONDS,
            tags,
            ...(taken ? { snapshot: taken } : {}),
          })
        },
      })
    }
    for (const variant of bentoVariants) {
      const { cache } = makeBento(bentoClient, prefix(`bento-set-${variant}`), variant)
      let i = 0
      const name = bentoName('set', variant)
      meta.set(name, { scenario, library: 'bentocache', copies: copiesOf(variant) })
      tasks.push({
        name,
        fn: async () => {
          await cache.set({ key: keys[i++ % keys.length]!, value: payload, ttl: BENTO_TTL, tags })
        },
      })
    }
    collect(await interleave(tasks, timing), meta)
  }

  // ---- 4. invalidate one tag carried by 1,000 keys ---------------------------------------------------
  // Hand-timed rounds, the two libraries alternating: write 1,000 keys tagged 'Post' + their record tag
  // (untimed), check some hit (untimed), time the invalidation call alone, then check all 1,000 miss (untimed).
  {
    const scenario = `4. invalidate tag 'Post' (${INVALIDATION_KEYS.toLocaleString('en-US')} keys)`
    ctx.log(`${scenario}: ${ctx.rounds} rounds each`)
    const keys = Array.from({ length: INVALIDATION_KEYS }, (_, i) => `Post:id=${i}`)
    const keyTags = keys.map((key) => ['Post', key])
    const gc = exposeGc()
    const ours = await makeOurs(opened, oursClient, prefix('ptc-inv:'), 'clone')
    const bento = makeBento(bentoClient, prefix('bento-inv'), 'json').cache

    const oursRound = async (): Promise<number> => {
      await ours.setMany(
        keys.map((key, i) => ({ key, value: payload, options: { ttl: TTL_SECONDS, tags: keyTags[i]! } })),
      )
      const before = await ours.getMany([keys[0]!, keys[keys.length - 1]!])
      if (before.some((e) => e === undefined))
        throw new Error('ours: a key written for the invalidation round is missing')
      await settle(gc)
      const started = process.hrtime.bigint()
      await ours.invalidateTags(['Post'])
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const after = await ours.getMany(keys)
      const hits = after.filter((e) => e !== undefined).length
      if (hits > 0) throw new Error(`ours: ${hits} of ${keys.length} keys still hit after invalidateTags(['Post'])`)
      return ms
    }
    const bentoRound = async (): Promise<number> => {
      // bentocache compares createdAt <= invalidatedAt in whole milliseconds: never write in the ms of the previous invalidation.
      await sleep(2)
      await Promise.all(keys.map((key, i) => bento.set({ key, value: payload, ttl: BENTO_TTL, tags: keyTags[i]! })))
      const before = await Promise.all([keys[0]!, keys[keys.length - 1]!].map((key) => bento.get({ key })))
      if (before.some((v) => v === undefined))
        throw new Error('bentocache: a key written for the invalidation round is missing')
      await settle(gc)
      const started = process.hrtime.bigint()
      await bento.deleteByTag({ tags: ['Post'] })
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const after = await Promise.all(keys.map((key) => bento.get({ key })))
      const hits = after.filter((v) => v !== undefined).length
      if (hits > 0) throw new Error(`bentocache: ${hits} of ${keys.length} keys still hit after deleteByTag(['Post'])`)
      return ms
    }
    for (let i = 0; i < 3; i++) {
      await oursRound()
      await bentoRound()
    }
    const oursMs: number[] = []
    const bentoMs: number[] = []
    for (let i = 0; i < ctx.rounds; i++) {
      oursMs.push(await oursRound())
      bentoMs.push(await bentoRound())
    }
    const bentoRow = fromSamples(`inv · bento deleteByTag (serialize:true, JSON)`, bentoMs, {
      scenario,
      library: 'bentocache',
      copies: '—',
    })
    results.push(
      fromSamples(`inv · ours invalidateTags (values:'clone')`, oursMs, {
        scenario,
        library: 'prisma-tiered-cache',
        copies: '—',
        compareWith: [bentoRow.name],
      }),
      bentoRow,
    )
    notes.push(
      `Invalidation: ${ctx.rounds} timed rounds per library (after 3 warm-up rounds); in every round all ${INVALIDATION_KEYS} keys were checked to hit before and to miss after the call (outside the timed part), and a full GC ran before each timed call so that the setup's garbage is not collected inside it. With ${ctx.rounds} samples, p99 is the slowest round or close to it.`,
    )
  }

  // ---- 5. floors -------------------------------------------------------------------------------------
  // 5a (Redis reads) was timed together with scenario 2. 5b: CPU only, with tinybench.
  results.push(...floorRows)
  {
    const scenario = '5b. per-read copy cost (CPU only)'
    ctx.log(scenario)
    const bench = new Bench({
      name: scenario,
      time: ctx.timeMs,
      warmupTime: ctx.warmupMs,
      timestampProvider: 'hrtimeNow',
      throws: true,
    })
    const text = superjsonSerializer.serialize(payload)
    const packed = msgpackSerializer.serialize(payload)
    // What bentocache keeps per entry (serialize:true) and parses on every L1 hit.
    const bentoEntry = JSON.stringify({
      value: payload,
      createdAt: Date.now(),
      logicalExpiration: Date.now() + 3_600_000,
      tags,
    })
    const rows: Array<[string, string, () => unknown]> = [
      ['copy · cloneValue(payload)', "what values:'clone' pays per L1 read (and per write)", () => cloneValue(payload)],
      [
        'copy · MessagePack unpack(bytes)',
        "what every L2 hit pays (and values:'serialize' per L1 read), default serializer",
        () => msgpackSerializer.deserialize(packed),
      ],
      [
        'copy · MessagePack pack(payload)',
        "what every set pays for L2 (and values:'serialize' for L1), default serializer",
        () => msgpackSerializer.serialize(payload),
      ],
      [
        'copy · MessagePack pack + unpack',
        'a full serializer round trip of the same value',
        () => msgpackSerializer.deserialize(msgpackSerializer.serialize(payload)),
      ],
      [
        'copy · superjson.parse(text)',
        'the same with serializer: superjsonSerializer (the default before MessagePack)',
        () => superjsonSerializer.deserialize(text),
      ],
      [
        'copy · superjson.stringify(payload)',
        'the same with serializer: superjsonSerializer',
        () => superjsonSerializer.serialize(payload),
      ],
      [
        'copy · superjson stringify + parse',
        'a full serializer round trip of the same value',
        () => superjsonSerializer.deserialize(superjsonSerializer.serialize(payload)),
      ],
      [
        'copy · JSON.parse(bentocache entry)',
        'what bentocache serialize:true pays per L1 read',
        () => JSON.parse(bentoEntry),
      ],
      [
        'copy · JSON.stringify(payload)',
        "what bentocache's default serializer pays per set",
        () => JSON.stringify(payload),
      ],
      [
        'copy · structuredClone(payload)',
        'for reference (drops class prototypes such as Prisma.Decimal)',
        () => structuredClone(payload),
      ],
    ]
    for (const [name, , fn] of rows) bench.add(name, fn)
    await bench.run()
    for (const [name, note] of rows) {
      const task = bench.getTask(name)
      if (task === undefined) throw new Error(`no task ${name}`)
      results.push(fromTask(task, { scenario, library: 'baseline', copies: '—', note }))
    }
  }

  // ---- 6. compression: RedisCache set and get of a ~50 KB value, compressAbove: 16384 vs none ----------
  // RedisCache alone (no L1), so every get reads Redis; the same connection for both; interleaved timing.
  {
    const scenario = `6. compression: RedisCache set / get of a ~${Math.round(COMPRESSION_TARGET_BYTES / 1000)} KB value`
    ctx.log(scenario)
    const big = largeUser(COMPRESSION_TARGET_BYTES)
    const packed = msgpackSerializer.serialize(big)
    const variants = [
      {
        id: 'deflate',
        label: `compressAbove: ${COMPRESS_ABOVE}`,
        cache: new RedisCache({ client: oursClient, prefix: prefix('ptc-z-deflate:'), compressAbove: COMPRESS_ABOVE }),
      },
      {
        id: 'plain',
        label: 'no compression (default)',
        cache: new RedisCache({ client: oursClient, prefix: prefix('ptc-z-plain:') }),
      },
    ]
    const tasks: TimedTask[] = []
    const meta = new Map<string, RowMeta>()
    const stored = new Map<string, number>()
    for (const v of variants) {
      const getKey = 'Big:get'
      await v.cache.set(getKey, big, { ttl: TTL_SECONDS, tags })
      const back = await v.cache.get<typeof big>(getKey)
      if (back === undefined || !isDeepStrictEqual(back.value, big))
        throw new Error(`compression (${v.label}): the value read back differs from the one written`)
      const bytes = await rawClient.strlen(v.cache.keyspace.data(getKey))
      stored.set(v.id, bytes)
      const setName = `compress · set · ${v.label}`
      const getName = `compress · get · ${v.label}`
      meta.set(setName, {
        scenario,
        library: 'prisma-tiered-cache',
        copies: '—',
        note: `MessagePack pack${v.id === 'deflate' ? ' + deflate' : ''} + one Redis write; ${bytes.toLocaleString('en-US')} bytes stored`,
      })
      meta.set(getName, {
        scenario,
        library: 'prisma-tiered-cache',
        copies: '—',
        note: `one Redis read (get-checked)${v.id === 'deflate' ? ' + inflate' : ''} + MessagePack unpack`,
      })
      tasks.push({ name: setName, fn: () => v.cache.set('Big:set', big, { ttl: TTL_SECONDS, tags }) })
      tasks.push({
        name: getName,
        fn: async () => {
          if ((await v.cache.get(getKey)) === undefined) throw new Error(`${getName}: miss`)
        },
      })
    }
    const samples = await interleave(tasks, timing)
    const rows = [...meta].map(([name, m]) => fromSamples(name, samples.get(name)!, m))
    results.push(...rows)
    const mean = (name: string) => rows.find((r) => r.name === name)!.meanUs
    const [z, p] = variants as [(typeof variants)[0], (typeof variants)[0]]
    const zTotal = mean(`compress · set · ${z.label}`) + mean(`compress · get · ${z.label}`)
    const pTotal = mean(`compress · set · ${p.label}`) + mean(`compress · get · ${p.label}`)
    notes.push(
      `Compression: a user with ${big.posts.length} posts (bodies: seeded random words, compressible like prose), MessagePack ${packed.byteLength.toLocaleString('en-US')} bytes. Stored in Redis (STRLEN of the entry, header line included): ${stored.get('deflate')!.toLocaleString('en-US')} bytes with compressAbove: ${COMPRESS_ABOVE} (deflate level 6, raw bytes) vs ${stored.get('plain')!.toLocaleString('en-US')} bytes without (${(stored.get('plain')! / stored.get('deflate')!).toFixed(1)}× smaller). Mean set + get: ${num(zTotal)} µs compressed vs ${num(pTotal)} µs plain (${(zTotal / pTotal).toFixed(2)}×); both values read back deep-equal to the one written.`,
    )
  }

  // ---- cleanup: this run's keys only -----------------------------------------------------------------
  await Promise.allSettled(opened.map((cache) => cache.close()))
  const removed = await removeKeys(rawClient, [`bench:${ctx.runId}:*`])
  ctx.log(`removed ${removed} keys under bench:${ctx.runId}:`)
  return { results, notes }
}
