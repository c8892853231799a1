/**
 * The Prisma extension (src/prisma) on real databases — SQLite (libsql adapter) and PostgreSQL (pg adapter) —
 * against plain Prisma, Prisma's own dispatch cost, a raw Redis read, and prisma-extension-redis 5, all in the
 * same process, on the same data and the same Redis, interleaved (bench/timing.ts).
 *
 * Per database and per query shape (`findUnique({ where: { id } })`, and the same with `include: { posts: true }`),
 * over 100 seeded users (each with a profile and 5 posts), ids rotating:
 *
 *   uncached         the plain client
 *   ours L1 hit      cacheExtension over TieredCache(MemoryCache, RedisCache), every key warm
 *   ours L2 hit      the same; before each call (untimed) the key is dropped from that cache's L1 only
 *   ours miss        the same; before each call (untimed) the key is deleted from both tiers: query + fill
 *   p-e-redis hit    prisma-extension-redis 5 (auto-cache, STRING), every key warm; its default JSON
 *                    serializer and our superjson instance as its `transformer`
 *   GET + decode     ioredis GET + our default serializer's decode (MessagePack) of the same payload (no Prisma,
 *                    no cache library)
 *   constant ext.    a query extension returning a constant: Prisma's own dispatch, no database
 *
 * Every cached client sits on the plain client (`base.$extends(...)`: one connection pool per database), has
 * its own cache (own L1, own Redis prefix under `bench:<runId>:`), and is checked during the run: the hits
 * really were hits of the tier named (per-tier counters), the misses misses, and results equal uncached ones.
 * bench/benchmarks-intro.md explains the choices; keep the two in step.
 */
import { isDeepStrictEqual } from 'node:util'
import { PrismaExtensionRedis, snakeCase } from 'prisma-extension-redis'
import {
  cacheExtension,
  defaultSerializer,
  MemoryCache,
  NoopCache,
  RedisCache,
  registerPrismaTypes,
  superjsonSerializer,
  TieredCache,
} from '../src/index.js'
import { type Provider, startDatabase, type TestDatabase, type TestPrismaClient } from '../test/support/database.js'
import { l1Trusted } from '../test/support/l1-trusted.js'
import { removeKeys } from './cleanup.js'
import { envNumber } from './env.js'
import { POSTS_PER_USER, seedUsers } from './seed.js'
import {
  type BenchContext,
  fromSamples,
  type Result,
  type RowMeta,
  type SuiteOutput,
  type TargetCheck,
} from './report.js'
import { interleave, type TimedTask } from './timing.js'

const USERS = 100
const TTL_SECONDS = 60
const PROVIDERS: readonly Provider[] = ['sqlite', 'postgresql', 'mysql']
const PROVIDER_LABEL: Record<Provider, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL', mysql: 'MariaDB' }
const PROVIDER_SHORT: Record<Provider, string> = { sqlite: 'sqlite', postgresql: 'pg', mysql: 'maria' }

interface Shape {
  id: 'row' | 'posts'
  label: string
  args(id: number): Record<string, unknown>
}
const SHAPES: readonly Shape[] = [
  { id: 'row', label: 'findUnique({ where: { id } })', args: (id) => ({ where: { id } }) },
  {
    id: 'posts',
    label: 'findUnique({ where: { id }, include: { posts: true } })',
    args: (id) => ({ where: { id }, include: { posts: true } }),
  },
]

/** The shape every client's `user` delegate is called through (each client's own types differ by extension). */
interface UserDelegate {
  findUnique(args: Record<string, unknown>): PromiseLike<unknown>
}
const users = (client: unknown) => (client as { user: UserDelegate }).user

function seed(base: TestPrismaClient): Promise<number[]> {
  return seedUsers(base, { users: USERS, emailPrefix: 'bench', profiles: true })
}

/**
 * What the extension prepends to every key for a client built on `base` (`$cache.namespace`: the schema fingerprint
 * and the client's shape); checked against the L1 after warming, so a change in src/ fails loudly.
 */
function extensionNamespace(base: TestPrismaClient): string {
  return base.$extends(cacheExtension({ cache: new NoopCache() })).$cache.namespace
}

/** The floors an L2 hit is judged against: a Redis GET and the default serializer's decode, alone and after dispatch. */
const GET_DECODE = 'floor · ioredis GET + MessagePack decode'
const THEN_GET_DECODE = 'floor · constant query extension, then GET + MessagePack decode'

/** A task that counts its calls (warm-up included), to check per-tier counters afterwards. */
interface Counted {
  calls: number
}

export async function prismaScenarios(ctx: BenchContext): Promise<SuiteOutput> {
  const timing = {
    timeMs: envNumber('BENCH_PRISMA_TIME_MS', ctx.timeMs),
    warmupMs: envNumber('BENCH_PRISMA_WARMUP_MS', ctx.warmupMs),
  }
  const results: Result[] = []
  const notes: string[] = []
  const targets: TargetCheck[] = []
  registerPrismaTypes()
  const oursClient = await ctx.client('prisma-ours')
  const perClient = await ctx.client('prisma-extension-redis')
  const rawClient = await ctx.client('prisma-baseline')
  const prefix = (name: string) => `bench:${ctx.runId}:${name}`
  /** Caches with a bus (their subscriber connections) to close when a database's groups are done. */
  const closers: Array<() => Promise<void>> = []
  /** prisma-extension-redis snake_cases its key prefix: the prefixes as they land in Redis, for the cleanup. */
  const perPrefixes: string[] = []
  notes.push(
    `Each group below (one database, one query shape) ran its tasks interleaved in ~5 ms turns for ${timing.timeMs} ms of timed calls each after ${timing.warmupMs} ms of warm-up (BENCH_TIME_MS / BENCH_WARMUP_MS, or BENCH_PRISMA_TIME_MS / BENCH_PRISMA_WARMUP_MS for this suite only). ${USERS} users with a profile and ${POSTS_PER_USER} posts each; every task rotates over the ${USERS} ids.`,
  )

  for (const provider of PROVIDERS) {
    ctx.log(`prisma: starting ${PROVIDER_LABEL[provider]}`)
    const db: TestDatabase = await startDatabase(provider)
    try {
      const base = db.createClient()
      const ids = await seed(base)
      if (provider === 'postgresql') {
        const [row] = await db.query('SHOW server_version')
        notes.push(
          `PostgreSQL ${String(row?.['server_version'] ?? '?')} (${db.serverPid === undefined ? 'not a local process' : 'local server process started by the bench rig'}), pg pool max 5; SQLite through @libsql/client on a file in WAL mode.`,
        )
      }
      if (provider === 'mysql') {
        const [row] = await db.query('SELECT VERSION() AS version')
        notes.push(`MariaDB ${String(row?.['version'] ?? '?')} through @prisma/adapter-mariadb, pool max 5.`)
      }
      const namespace = extensionNamespace(base)

      for (const shape of SHAPES) {
        const scenario = `${PROVIDER_LABEL[provider]} · ${shape.label}`
        const tag = `${PROVIDER_SHORT[provider]} ${shape.id}`
        ctx.log(`prisma: ${scenario}`)
        const name = (task: string) => `${tag} · ${task}`
        const plainArgs = ids.map((id) => shape.args(id))
        const cachedArgs = ids.map((id) => ({ ...shape.args(id), cache: TTL_SECONDS }))
        const expected = await Promise.all(plainArgs.map((args) => users(base).findUnique(args)))
        const tasks: TimedTask[] = []
        const meta = new Map<string, RowMeta>()
        const next = () => {
          let i = 0
          return () => i++ % ids.length
        }
        const sameAsDatabase = async (read: (args: Record<string, unknown>, index: number) => PromiseLike<unknown>) => {
          for (let i = 0; i < ids.length; i += 17) {
            const value = await read(plainArgs[i]!, i)
            if (!isDeepStrictEqual(value, expected[i]))
              throw new Error(`${scenario}: a cached result differs from the database's for id ${ids[i]}`)
          }
        }

        // -- plain Prisma ------------------------------------------------------------------------------
        {
          const at = next()
          const row = name('uncached (plain client)')
          meta.set(row, { scenario, library: 'prisma', copies: 'safe copies', note: 'a database round trip per call' })
          tasks.push({ name: row, fn: () => users(base).findUnique(plainArgs[at()]!) })
        }

        // -- ours: L1 hit, L2 hit, miss; the L2 hit and the miss with and without a bus --------------------
        const ours = async (kind: string, options: { backgroundFill?: boolean; bus?: boolean } = {}) => {
          const keyPrefix = prefix(`prisma-${PROVIDER_SHORT[provider]}-${shape.id}-${kind}:`)
          // With a bus: the one a TieredCache over a RedisCache opens by default; without: `bus: false`.
          const tiered = new TieredCache(
            new MemoryCache(),
            new RedisCache({ client: oursClient, prefix: keyPrefix }),
            options.bus ? {} : { bus: false },
          )
          closers.push(() => tiered.close())
          await l1Trusted(tiered)
          const client = base.$extends(
            cacheExtension({
              cache: tiered,
              ttl: TTL_SECONDS,
              ...(options.backgroundFill === undefined ? {} : { backgroundFill: options.backgroundFill }),
            }),
          )
          const keys = plainArgs.map((args) => namespace + client.$cache.keyFor('User', 'findUnique', args).toString())
          return { tiered, client, keys, calls: 0 }
        }
        type Ours = Awaited<ReturnType<typeof ours>>
        const warm = async (o: Ours) => {
          for (const args of cachedArgs) await users(o.client).findUnique(args)
          await o.client.$cache.flush()
          for (const key of o.keys)
            if ((await o.tiered.l1.get(key)) === undefined || (await o.tiered.l2.get(key)) === undefined)
              throw new Error(
                `${scenario}: key ${key} is not in both tiers after warming (has PrismaCache.namespace changed?)`,
              )
        }
        const l1 = await ours('l1')
        const l2 = await ours('l2')
        const l2Bus = await ours('l2-bus', { bus: true })
        const miss = await ours('miss')
        const missBus = await ours('miss-bus', { bus: true })
        const missWaiting = await ours('miss-wait', { backgroundFill: false })
        for (const o of [l1, l2, l2Bus, miss, missBus, missWaiting]) await warm(o)
        await sameAsDatabase((args) => users(l1.client).findUnique({ ...args, cache: TTL_SECONDS }))
        for (const o of [l2, l2Bus]) {
          await sameAsDatabase(async (args, i) => {
            await o.tiered.l1.delete(o.keys[i]!)
            return users(o.client).findUnique({ ...args, cache: TTL_SECONDS })
          })
        }
        // Safe copies: mutate what one L1 hit returned, read again.
        const first = (await users(l1.client).findUnique(cachedArgs[0]!)) as { name: string }
        first.name = 'MUTATED BY CALLER'
        const second = (await users(l1.client).findUnique(cachedArgs[0]!)) as { name: string }
        if (second.name === 'MUTATED BY CALLER') throw new Error(`${scenario}: an L1 hit handed out a shared reference`)
        const measured = [l1, l2, l2Bus, miss, missBus]
        const before = new Map(
          measured.map((o) => [o, { tiered: o.tiered.stats(), model: o.client.$cache.stats().models['User'] }]),
        )
        {
          const at = next()
          const row = name('ours L1 hit')
          meta.set(row, {
            scenario,
            library: 'prisma-tiered-cache',
            copies: 'safe copies',
            note: "TieredCache(MemoryCache values:'clone', RedisCache); checked: mutating one result does not change the next",
          })
          tasks.push({
            name: row,
            fn: () => {
              l1.calls++
              return users(l1.client).findUnique(cachedArgs[at()]!)
            },
          })
        }
        const l2Task = (o: Ours, row: string, note: string) => {
          const at = next()
          let index = 0
          meta.set(row, {
            scenario,
            library: 'prisma-tiered-cache',
            copies: 'safe copies',
            note: `untimed before each call: tiered.l1.delete(namespace + keyFor(...)); ${note}`,
          })
          tasks.push({
            name: row,
            beforeEach: () => o.tiered.l1.delete(o.keys[(index = at())]!),
            fn: () => {
              o.calls++
              return users(o.client).findUnique(cachedArgs[index]!)
            },
          })
        }
        l2Task(
          l2,
          name('ours L2 hit'),
          'no bus: the call reads the entry and the epochs of the tags the read expects in one MGET, judges them in process, parses, refills L1 with the text',
        )
        l2Task(
          l2Bus,
          name('ours L2 hit, with a bus'),
          'with a bus (localTagCheck): the call reads Redis with a plain GET, judges the tags from the invalidations heard, parses, refills L1 with the text',
        )
        const missTask = (o: Ours, row: string, note: string, counted = true) => {
          const at = next()
          let index = 0
          meta.set(row, { scenario, library: 'prisma-tiered-cache', copies: 'safe copies', note })
          tasks.push({
            name: row,
            beforeEach: async () => {
              // Each tier's own delete: TieredCache.delete would also announce it on the bus, and that message,
              // coming back to this instance's subscriber, would be handled inside the timed call.
              await o.client.$cache.flush()
              const key = o.keys[(index = at())]!
              await o.tiered.l2.delete(key)
              await o.tiered.l1.delete(key)
            },
            fn: () => {
              if (counted) o.calls++
              return users(o.client).findUnique(cachedArgs[index]!)
            },
          })
        }
        missTask(
          miss,
          name('ours miss (query + fill)'),
          "no bus, backgroundFill (the default). Untimed before each call: $cache.flush() (the previous call's background L2 write) and the key deleted from each tier; the call misses L1 and L2 (one MGET, which also returns the epoch), queries, fills L1; the L2 write runs in the background",
        )
        missTask(
          missBus,
          name('ours miss, with a bus'),
          'as the miss above, with a bus (localTagCheck): the L2 read is a plain GET and the fill is stamped with the epoch heard over the bus',
        )
        missTask(
          missWaiting,
          name('ours miss, backgroundFill: false'),
          'as the miss without a bus, but the call also waits for the L2 write (serialization + a Redis round trip after the query)',
          false,
        )
        // The embedded default (L1 only): what the extension itself adds to a miss, without any Redis round trip.
        const memoryOnly = new MemoryCache()
        const embedded = base.$extends(cacheExtension({ cache: memoryOnly, ttl: TTL_SECONDS }))
        const embeddedCalls = { calls: 0, missesBefore: 0 }
        {
          const at = next()
          let index = 0
          const row = name('ours miss, L1 only (the embedded default)')
          meta.set(row, {
            scenario,
            library: 'prisma-tiered-cache',
            copies: 'safe copies',
            note: 'cacheExtension({ cache: MemoryCache, ttl }); untimed before each call: the key deleted from the MemoryCache; the call misses, queries, stores a copy',
          })
          for (const args of cachedArgs) await users(embedded).findUnique(args)
          embeddedCalls.missesBefore = embedded.$cache.stats().models['User']?.misses ?? 0
          tasks.push({
            name: row,
            beforeEach: () =>
              memoryOnly.delete(
                namespace + embedded.$cache.keyFor('User', 'findUnique', plainArgs[(index = at())]!).toString(),
              ),
            fn: () => {
              embeddedCalls.calls++
              return users(embedded).findUnique(cachedArgs[index]!)
            },
          })
        }

        // -- prisma-extension-redis 5 -------------------------------------------------------------------
        const perVariants = [
          { id: 'json', label: 'JSON (default)', transformer: undefined },
          {
            id: 'superjson',
            label: 'transformer: our superjson',
            // Its transformer must produce text: our superjson serializer (the same types as ours come back).
            transformer: {
              serialize: (value: unknown) => superjsonSerializer.serialize(value),
              deserialize: (value: unknown) => superjsonSerializer.deserialize(String(value)),
            },
          },
        ] as const
        const perRows: string[] = []
        const perChecks: Array<() => string | undefined> = []
        for (const variant of perVariants) {
          const perPrefix = prefix(`per-${PROVIDER_SHORT[provider]}-${shape.id}-${variant.id}`)
          perPrefixes.push(snakeCase(perPrefix))
          const events = { hits: 0, misses: 0, errors: [] as unknown[] }
          const client = base.$extends(
            PrismaExtensionRedis({
              client: perClient,
              config: {
                auto: true,
                type: 'STRING',
                ttl: TTL_SECONDS,
                stale: 0,
                cacheKey: { prefix: perPrefix },
                ...(variant.transformer ? { transformer: variant.transformer } : {}),
                onHit: () => events.hits++,
                onMiss: () => events.misses++,
                onError: (error) => events.errors.push(error),
              },
            }),
          )
          for (const args of plainArgs) await users(client).findUnique(args)
          const warmHits = events.hits
          for (const args of plainArgs) await users(client).findUnique(args)
          const row = name(`prisma-extension-redis hit · ${variant.label}`)
          if (events.hits - warmHits !== ids.length || events.errors.length > 0) {
            const error = events.errors[0]
            notes.push(
              `${scenario}: prisma-extension-redis with ${variant.label} does not cache this read (${events.hits - warmHits} of ${ids.length} second reads were hits; ${events.errors.length} errors${error === undefined ? '' : `, first: ${error instanceof Error ? error.message : String(error)}`}), so it has no row here: its hits cannot be measured.`,
            )
            continue
          }
          const sample = await users(client).findUnique(plainArgs[0]!)
          const equal = isDeepStrictEqual(sample, expected[0])
          const createdAt = (sample as { createdAt?: unknown }).createdAt
          meta.set(row, {
            scenario,
            library: 'prisma-extension-redis',
            copies: 'safe copies',
            note: `auto-cache, type STRING; a GET + parse of its envelope per call; createdAt comes back as ${createdAt instanceof Date ? 'Date' : typeof createdAt}; ${equal ? 'equal to' : 'NOT equal to'} the uncached result`,
          })
          perRows.push(row)
          const at = next()
          const hitsBefore = events.hits
          const missesBefore = events.misses
          const count: Counted = { calls: 0 }
          tasks.push({
            name: row,
            fn: () => {
              count.calls++
              return users(client).findUnique(plainArgs[at()]!)
            },
          })
          perChecks.push(() =>
            events.hits - hitsBefore === count.calls && events.misses === missesBefore && events.errors.length === 0
              ? undefined
              : `${row}: ${events.hits - hitsBefore} hits, ${events.misses - missesBefore} misses, ${events.errors.length} errors in ${count.calls} calls`,
          )
        }

        // -- floors ------------------------------------------------------------------------------------
        const rawKeys = ids.map((id) => prefix(`raw-${PROVIDER_SHORT[provider]}-${shape.id}:${id}`))
        {
          await Promise.all(
            rawKeys.map((key, i) =>
              rawClient.set(key, Buffer.from(defaultSerializer.serialize(expected[i])), 'PX', TTL_SECONDS * 1000),
            ),
          )
          const at = next()
          const row = name(GET_DECODE)
          meta.set(row, {
            scenario,
            library: 'baseline',
            copies: '—',
            note: 'the same payload, our default serializer (MessagePack, Prisma types registered), no Prisma, no cache library',
          })
          tasks.push({
            name: row,
            fn: async () => defaultSerializer.deserialize((await rawClient.getBuffer(rawKeys[at()]!))!),
          })
        }
        {
          // What any read-through cache's miss must at least cost: one Redis read that finds nothing, then the query.
          const missingKey = prefix(`raw-${PROVIDER_SHORT[provider]}-${shape.id}:missing`)
          const at = next()
          const row = name('floor · ioredis GET (nothing there), then the query')
          meta.set(row, {
            scenario,
            library: 'baseline',
            copies: 'safe copies',
            note: 'the least a read-through miss costs: a Redis GET that finds nothing, then the plain query; no cache library',
          })
          tasks.push({
            name: row,
            fn: async () => {
              if ((await rawClient.get(missingKey)) !== null) throw new Error(`${scenario}: ${missingKey} exists`)
              return users(base).findUnique(plainArgs[at()]!)
            },
          })
        }
        {
          const constant = expected[0]
          const client = base.$extends({
            query: {
              $allModels: {
                async findUnique() {
                  return constant
                },
              },
            },
          })
          if ((await users(client).findUnique(plainArgs[1]!)) !== constant)
            throw new Error(`${scenario}: the constant query extension did not answer`)
          const at = next()
          const row = name('floor · constant query extension')
          meta.set(row, {
            scenario,
            library: 'baseline',
            copies: 'shared references',
            note: "query: { $allModels: { findUnique: () => CONSTANT } }: Prisma's model dispatch + query-extension pipeline, no database",
          })
          tasks.push({ name: row, fn: () => users(client).findUnique(plainArgs[at()]!) })
          // The three steps of an L2 hit's least cost, in sequence in one call: the row the L2-hit target is
          // judged against (the sum of the two rows above runs each step in its best conditions: back to back).
          const combined = name(THEN_GET_DECODE)
          const atRaw = next()
          meta.set(combined, {
            scenario,
            library: 'baseline',
            copies: '—',
            note: 'one call: the constant query extension, then ioredis GET + MessagePack decode of the payload; no cache library',
          })
          tasks.push({
            name: combined,
            fn: async () => {
              const index = atRaw()
              await users(client).findUnique(plainArgs[index]!)
              return defaultSerializer.deserialize((await rawClient.getBuffer(rawKeys[index]!))!)
            },
          })
        }

        const samples = await interleave(tasks, timing)
        for (const [row, m] of meta) results.push(fromSamples(row, samples.get(row)!, m))

        // -- checks: every timed call took the path its row is named after --------------------------------
        const problems: string[] = []
        for (const [o, label] of [
          [l1, 'L1 hit'],
          [l2, 'L2 hit'],
          [l2Bus, 'L2 hit with a bus'],
          [miss, 'miss'],
          [missBus, 'miss with a bus'],
        ] as const) {
          const b = before.get(o)!
          const a = { tiered: o.tiered.stats(), model: o.client.$cache.stats().models['User'] }
          const d = {
            l1: a.tiered.l1Hits - b.tiered.l1Hits,
            l2: a.tiered.l2Hits - b.tiered.l2Hits,
            local: a.tiered.l2LocalChecks - b.tiered.l2LocalChecks,
            misses: (a.model?.misses ?? 0) - (b.model?.misses ?? 0),
            writes: a.tiered.writes - b.tiered.writes,
          }
          const expected = {
            l1: o === l1 ? o.calls : 0,
            l2: o === l2 || o === l2Bus ? o.calls : 0,
            local: o === l2Bus ? o.calls : 0,
            misses: o === miss || o === missBus ? o.calls : 0,
            writes: o === miss || o === missBus ? o.calls : 0,
          }
          if (JSON.stringify(d) !== JSON.stringify(expected))
            problems.push(`${label}: ${JSON.stringify(d)} in ${o.calls} calls, expected ${JSON.stringify(expected)}`)
        }
        for (const check of perChecks) {
          const problem = check()
          if (problem !== undefined) problems.push(problem)
        }
        const embeddedMisses = (embedded.$cache.stats().models['User']?.misses ?? 0) - embeddedCalls.missesBefore
        if (embeddedMisses !== embeddedCalls.calls)
          problems.push(`miss, L1 only: ${embeddedMisses} misses in ${embeddedCalls.calls} calls`)
        if (problems.length > 0)
          throw new Error(`${scenario}: a timed path was not the one measured: ${problems.join('; ')}`)
        notes.push(
          `${scenario}: checked after the run — ours L1 ${l1.calls} calls = ${l1.calls} L1 hits; L2 ${l2.calls} calls = ${l2.calls} L2 hits; L2 with a bus ${l2Bus.calls} calls = ${l2Bus.calls} L2 hits, each judged from what the bus told (localTagCheck); miss ${miss.calls} and ${missBus.calls} (with a bus) calls = as many misses and fills; ${perRows.length > 0 ? 'prisma-extension-redis: every call a hit; ' : ''}before the run, L1 and L2 hits for every 17th id deep-equal the uncached results and a mutated L1 result did not reach the next reader.`,
        )

        // -- targets -----------------------------------------------------------------------------------
        const constantRow = name('floor · constant query extension')
        const getParseRow = name(GET_DECODE)
        const where = `${PROVIDER_LABEL[provider]} · ${shape.id === 'row' ? 'by id' : 'by id + posts'}`
        targets.push({
          scenario: where,
          label: 'L1 hit / constant extension',
          numerator: name('ours L1 hit'),
          denominator: [constantRow],
          op: '<=',
          target: 1,
        })
        for (const [row, how] of [
          [name('ours L2 hit'), 'no bus'],
          [name('ours L2 hit, with a bus'), 'with a bus'],
        ] as const) {
          targets.push({
            scenario: where,
            label: `L2 hit (${how}) / (constant extension, then GET+decode)`,
            numerator: row,
            denominator: [name(THEN_GET_DECODE)],
            op: '<=',
            target: 1.1,
          })
          targets.push({
            scenario: where,
            label: `L2 hit (${how}) / (constant extension + GET+decode, measured apart)`,
            numerator: row,
            denominator: [constantRow, getParseRow],
          })
          for (const per of perRows)
            targets.push({
              scenario: where,
              label: `prisma-extension-redis hit / our L2 hit (${how})`,
              numerator: per,
              denominator: [row],
              op: '>',
              target: 1,
            })
        }
        for (const per of perRows)
          targets.push({
            scenario: where,
            label: 'prisma-extension-redis hit / our L1 hit',
            numerator: per,
            denominator: [name('ours L1 hit')],
            op: '>=',
            target: 5,
          })
        for (const [row, how] of [
          [name('ours miss (query + fill)'), 'no bus'],
          [name('ours miss, with a bus'), 'with a bus'],
        ] as const) {
          targets.push({
            scenario: where,
            label: `miss (${how}) / uncached`,
            numerator: row,
            denominator: [name('uncached (plain client)')],
            // The same target on both network databases (a query costs a round trip there, as a Redis GET does).
            ...(provider !== 'sqlite' ? { op: '<=' as const, target: 1.15 } : {}),
          })
        }
        targets.push({
          scenario: where,
          label: 'floor: Redis GET then the query / uncached',
          numerator: name('floor · ioredis GET (nothing there), then the query'),
          denominator: [name('uncached (plain client)')],
        })
        for (const [row, how] of [
          [name('ours miss (query + fill)'), 'no bus'],
          [name('ours miss, with a bus'), 'with a bus'],
        ] as const) {
          targets.push({
            scenario: where,
            label: `miss (${how}) / floor (Redis GET then the query)`,
            numerator: row,
            denominator: [name('floor · ioredis GET (nothing there), then the query')],
          })
        }
        targets.push({
          scenario: where,
          label: 'miss, L1 only (no Redis) / uncached',
          numerator: name('ours miss, L1 only (the embedded default)'),
          denominator: [name('uncached (plain client)')],
        })
        targets.push({
          scenario: where,
          label: 'miss waiting for L2 (backgroundFill: false) / uncached',
          numerator: name('ours miss, backgroundFill: false'),
          denominator: [name('uncached (plain client)')],
        })
      }
    } finally {
      await Promise.allSettled(closers.splice(0).map((close) => close()))
      await db.stop()
    }
  }

  // ---- cleanup: this suite's keys only (run.ts's cache suite cleans its own) ---------------------------
  const removed = await removeKeys(rawClient, [
    `bench:${ctx.runId}:prisma-*`,
    `bench:${ctx.runId}:raw-*`,
    ...perPrefixes.map((p) => `${p}:*`),
  ])
  ctx.log(`prisma: removed ${removed} keys`)
  return { results, notes, targets }
}
