/**
 * A read-heavy mixed workload on PostgreSQL, closed loop: a fixed number of callers in flight (16 by default),
 * each issuing its next operation as soon as the previous one returns, for a fixed time per variant.
 *
 *   95% reads   user.findUnique({ where: { id }, include: { posts: true } }) on Zipf-distributed ids
 *               (s = 1.1 over 1,000 users: the hottest id gets ~17% of the traffic)
 *    5% writes  user.update({ where: { id }, data: { name } }) of a user drawn from the same distribution,
 *               through the same client (so the cache under test sees every write)
 *
 * Variants, one after another on the same database, the same pool (pg, max 5) and the same Redis:
 *
 *   no cache                    the plain client
 *   ours                        cacheExtension over TieredCache(MemoryCache, RedisCache, { bus: false }), `cache: 60` on reads
 *   ours-bus                    the same with its default bus and an L1 of 200 entries: many L2 hits, judged in process (localTagCheck)
 *   prisma-extension-redis      v5, auto caching, our superjson as its transformer, `invalidateOnWrite: true`
 *   prisma-extension-redis      the same with `auto: true` (bench/prisma.bench.ts's configuration): no write
 *     (auto: true)              invalidation at all
 *
 * Staleness is measured, not assumed: every write stores a new version in the name (`W<n>`), and a read of an
 * id counts as stale when it returns a version older than the last write to that id that had completed (on the
 * same client, in this process) before the read started. Writes to one id never overlap (a write draws another
 * id while one is in flight), so "the last completed write" is also the database's current value. Each stale
 * read is attributed to where its answer came from (ours: withCacheInfo(); prisma-extension-redis: `meta: true`):
 * a cache entry, the reader's own query, or a query another caller had started before the write (in-process
 * single-flight). A stale read of ours from a cache entry or its own query fails the run, as does any stale read
 * of the plain client (a check of the measurement); so does, at the end, a cached read of ours that differs from
 * the database for a sample of ids.
 */
import { isDeepStrictEqual } from 'node:util'
import { PrismaExtensionRedis, snakeCase } from 'prisma-extension-redis'
import {
  cacheExtension,
  MemoryCache,
  msgpackSerializer,
  RedisCache,
  registerPrismaTypes,
  superjsonSerializer,
  TieredCache,
} from '../src/index.js'
import { startDatabase, type TestDatabase, type TestPrismaClient } from '../test/support/database.js'
import { l1Trusted } from '../test/support/l1-trusted.js'
import { removeKeys } from './cleanup.js'
import { envNumber } from './env.js'
import { prng } from './prng.js'
import { POSTS_PER_USER, seedUsers } from './seed.js'
import {
  type BenchContext,
  type ExtraTable,
  fromSamples,
  type Library,
  num,
  type Result,
  type SuiteOutput,
} from './report.js'

const USERS = 1000
const ZIPF_S = 1.1
const WRITE_SHARE = 0.05
const TTL_SECONDS = 60
const SEED = 0x5eed

/** Zipf over ranks 0..n-1: P(rank k) ∝ 1 / (k + 1)^s, sampled by binary search over the cumulative distribution. */
export class ZipfSampler {
  readonly #cdf: Float64Array
  constructor(n: number, s: number) {
    this.#cdf = new Float64Array(n)
    let sum = 0
    for (let k = 0; k < n; k++) this.#cdf[k] = sum += 1 / (k + 1) ** s
    for (let k = 0; k < n; k++) this.#cdf[k]! /= sum
  }
  /** Probability of rank k. */
  p(k: number): number {
    return this.#cdf[k]! - (k === 0 ? 0 : this.#cdf[k - 1]!)
  }
  /** A rank for a uniform u in [0, 1). */
  sample(u: number): number {
    let lo = 0
    let hi = this.#cdf.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#cdf[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

interface UserDelegate {
  findUnique(
    args: Record<string, unknown>,
  ): PromiseLike<unknown> & { withCacheInfo?(): Promise<{ data: unknown; info: { source: string } }> }
  update(args: Record<string, unknown>): PromiseLike<unknown>
}
const users = (client: unknown) => (client as { user: UserDelegate }).user

interface ReadRow {
  id: number
  name: string | null
  posts: unknown[]
}

function seed(base: TestPrismaClient): Promise<number[]> {
  return seedUsers(base, { users: USERS, emailPrefix: 'workload', profiles: false })
}

/** The version a write stored in the name (`W<n>`); 0 for the seeded names. */
function versionOf(name: string | null): number {
  const match = /^W(\d+)$/.exec(name ?? '')
  return match ? Number(match[1]) : 0
}

/**
 * Where a read's answer came from: a cache entry, a query of its own, a query another caller had started
 * (in-process single-flight); undefined without a cache.
 */
type Source = 'cache' | 'query' | 'joined' | 'query or joined'

interface Variant {
  id: string
  label: string
  library: Library
  client: unknown
  /** The read under test (ours: `cache: 60`, with withCacheInfo(); prisma-extension-redis: `meta: true`). */
  read(id: number): Promise<{ row: ReadRow | null; source: Source | undefined }>
  /** Stale reads from these sources fail the run (ours: a stale entry served; the plain client: any, a check of the measurement). */
  mustBeFresh: readonly (Source | undefined)[]
  /** The library's own hit/miss counters, for the notes. */
  hitDetail?: () => string
  /** Redis key patterns of this variant, removed after it ran. */
  patterns: string[]
  /** Releases what the variant holds (a bus's subscriber connection), after it ran. */
  close?: () => Promise<void>
}

interface Measured {
  variant: Variant
  reads: number[]
  writes: number[]
  /** Operations that started in the timed window, and how long it took until all of them had returned. */
  ops: number
  elapsedMs: number
  /** Over warm-up and timed run. */
  readsChecked: number
  readsAfterWrite: number
  stale: number
  staleBySource: Map<string, number>
  staleIds: Set<number>
  hitRatio: number | undefined
  hitDetail: string | undefined
  endCheck: string
}

function staleText(m: Measured): string {
  const parts = [...m.staleBySource].map(([source, count]) => `${count.toLocaleString('en-US')} ${source}`)
  return `${m.stale.toLocaleString('en-US')} of ${m.readsAfterWrite.toLocaleString('en-US')}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`
}

export async function workloadScenarios(ctx: BenchContext): Promise<SuiteOutput> {
  const durationMs = envNumber('BENCH_WORKLOAD_MS', 5000)
  const warmupMs = envNumber('BENCH_WORKLOAD_WARMUP_MS', 1000)
  const concurrency = Math.round(envNumber('BENCH_WORKLOAD_CONCURRENCY', 16))
  registerPrismaTypes()
  const oursRedis = await ctx.client('workload-ours')
  const perRedis = await ctx.client('workload-prisma-extension-redis')
  const rawRedis = await ctx.client('workload-cleanup')
  const prefix = (name: string) => `bench:${ctx.runId}:workload-${name}`
  const zipf = new ZipfSampler(USERS, ZIPF_S)
  const results: Result[] = []
  const notes: string[] = []
  const measured: Measured[] = []
  const scenario = `Read-heavy workload on PostgreSQL (${concurrency} in flight, ${Math.round((1 - WRITE_SHARE) * 100)}% reads / ${Math.round(WRITE_SHARE * 100)}% writes)`

  ctx.log('workload: starting PostgreSQL')
  const db: TestDatabase = await startDatabase('postgresql')
  try {
    const base = db.createClient()
    const ids = await seed(base)
    if (ids.length !== USERS) throw new Error(`workload: seeded ${ids.length} users, expected ${USERS}`)
    const readArgs = (id: number) => ({ where: { id }, include: { posts: true } })

    // Shared across variants: the database is.
    const lastWritten = new Map<number, number>()
    const writing = new Set<number>()
    let version = 0

    const variants: Variant[] = []
    variants.push({
      id: 'plain',
      label: 'no cache (plain client)',
      library: 'prisma',
      client: base,
      read: async (id) => ({ row: (await users(base).findUnique(readArgs(id))) as ReadRow | null, source: undefined }),
      mustBeFresh: [undefined],
      patterns: [],
    })
    for (const withBus of [false, true]) {
      // With a bus, L2 entries are judged from the invalidations heard (localTagCheck, a plain GET); with one
      // instance those are its own. Its L1 is kept small (200 entries for 1,000 users) so that many reads are L2
      // hits judged that way, under the stale-read check below.
      const id = withBus ? 'ours-bus' : 'ours'
      const keyPrefix = prefix(`${id}:`)
      const tiered = new TieredCache(
        new MemoryCache(withBus ? { max: 200 } : {}),
        new RedisCache({ client: oursRedis, prefix: keyPrefix }),
        // The bus is the one a TieredCache over a RedisCache opens by default; the other variant says bus: false.
        withBus ? {} : { bus: false },
      )
      await l1Trusted(tiered)
      const client = base.$extends(cacheExtension({ cache: tiered, ttl: TTL_SECONDS }))
      variants.push({
        id,
        label: withBus
          ? 'ours: TieredCache(MemoryCache max 200, RedisCache, bus), cache: 60'
          : 'ours: TieredCache(MemoryCache, RedisCache, bus: false), cache: 60',
        library: 'prisma-tiered-cache',
        client,
        read: async (id) => {
          const { data, info } = await users(client).findUnique({ ...readArgs(id), cache: TTL_SECONDS })
            .withCacheInfo!()
          const source: Source | undefined =
            info.source === 'l1' || info.source === 'l2' || info.source === 'stale'
              ? 'cache'
              : info.source === 'db'
                ? 'query'
                : info.source === 'coalesced'
                  ? 'joined'
                  : undefined
          if (source === undefined)
            throw new Error(`workload ours: a read was not served through the cache (source ${info.source})`)
          return { row: data as ReadRow | null, source }
        },
        mustBeFresh: ['cache', 'query'],
        hitDetail: () => {
          const s = tiered.stats()
          return `${s.l1Hits} L1 + ${s.l2Hits} L2 hits${withBus ? ` (${s.l2LocalChecks} judged locally)` : ''}, ${s.misses} misses`
        },
        patterns: [`${keyPrefix}*`],
        close: () => tiered.close(),
      })
    }
    const superjson = {
      serialize: (value: unknown) => superjsonSerializer.serialize(value),
      deserialize: (value: unknown) => superjsonSerializer.deserialize(String(value)),
    }
    const perErrors: unknown[] = []
    for (const [id, label, auto] of [
      [
        'per-invalidate',
        'prisma-extension-redis auto: { invalidateOnWrite: true }',
        { invalidateOnWrite: true, ttl: TTL_SECONDS, stale: 0 },
      ],
      ['per-auto', 'prisma-extension-redis auto: true (no write invalidation)', true],
    ] as const) {
      const events = { hits: 0, misses: 0 }
      const perPrefix = prefix(id)
      const client = base.$extends(
        PrismaExtensionRedis({
          client: perRedis,
          config: {
            auto,
            type: 'STRING',
            ttl: TTL_SECONDS,
            stale: 0,
            cacheKey: { prefix: perPrefix },
            transformer: superjson,
            onHit: () => events.hits++,
            onMiss: () => events.misses++,
            onError: (error) => perErrors.push(error),
          },
        }),
      )
      variants.push({
        id,
        label,
        library: 'prisma-extension-redis',
        client,
        read: async (id) => {
          const { result, meta } = (await users(client).findUnique({ ...readArgs(id), meta: true })) as {
            result: ReadRow | null
            meta: { source: string }
          }
          return { row: result, source: meta.source === 'db' ? 'query or joined' : 'cache' }
        },
        mustBeFresh: [],
        hitDetail: () => `${events.hits} hits, ${events.misses} misses`,
        patterns: [`${snakeCase(perPrefix)}:*`],
      })
    }

    for (const variant of variants) {
      ctx.log(`workload: ${variant.label}: ${warmupMs} ms warm-up + ${durationMs} ms, ${concurrency} in flight`)
      const random = prng(SEED)
      const reads: number[] = []
      const writes: number[] = []
      let readsChecked = 0
      let readsAfterWrite = 0
      let stale = 0
      const staleBySource = new Map<string, number>()
      const staleIds = new Set<number>()
      let recording = false
      let fromCache = 0
      let ops = 0

      const one = async (): Promise<void> => {
        const isWrite = random() < WRITE_SHARE
        let id = ids[zipf.sample(random())]!
        if (isWrite) {
          // One write per id at a time: the last completed write is then the database's value.
          for (let tries = 0; writing.has(id) && tries < 100; tries++) id = ids[zipf.sample(random())]!
          if (writing.has(id)) id = ids.find((candidate) => !writing.has(candidate))!
          writing.add(id)
          const next = ++version
          const t0 = process.hrtime.bigint()
          try {
            await users(variant.client).update({ where: { id }, data: { name: `W${next}` } })
          } finally {
            writing.delete(id)
          }
          const ms = Number(process.hrtime.bigint() - t0) / 1e6
          lastWritten.set(id, next)
          if (recording) writes.push(ms)
        } else {
          const expected = lastWritten.get(id) ?? 0
          const t0 = process.hrtime.bigint()
          const { row, source } = await variant.read(id)
          const ms = Number(process.hrtime.bigint() - t0) / 1e6
          if (row === null || row.id !== id || row.posts.length !== POSTS_PER_USER)
            throw new Error(
              `workload ${variant.label}: read of user ${id} returned ${row === null ? 'null' : `user ${row.id} with ${row.posts.length} posts`}`,
            )
          readsChecked++
          if (expected > 0) readsAfterWrite++
          if (versionOf(row.name) < expected) {
            stale++
            staleIds.add(id)
            const from = source ?? 'database'
            staleBySource.set(from, (staleBySource.get(from) ?? 0) + 1)
            if (variant.mustBeFresh.includes(source))
              throw new Error(
                `workload ${variant.label}: a read of user ${id} that started after the write of W${expected} had completed returned ${row.name ?? 'null'} (source: ${from})`,
              )
          }
          if (recording) {
            reads.push(ms)
            if (source === 'cache') fromCache++
          }
        }
      }
      const phase = async (ms: number, record: boolean): Promise<{ ops: number; elapsedMs: number }> => {
        recording = record
        const started = performance.now()
        const end = started + ms
        let count = 0
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < end) {
              count++
              await one()
            }
          }),
        )
        return { ops: count, elapsedMs: performance.now() - started }
      }

      await phase(warmupMs, false)
      const timed = await phase(durationMs, true)
      ops = timed.ops
      const hitRatio = variant.id === 'plain' ? undefined : fromCache / reads.length
      const hitDetail = variant.hitDetail?.()

      // End check: for a sample of ids (the 20 hottest and every 37th), the variant's read equals the database's.
      let endCheck = 'not a cache'
      if (variant.id !== 'plain') {
        const sample = [...new Set([...ids.slice(0, 20), ...ids.filter((_, i) => i % 37 === 0)])]
        let differ = 0
        let staleNames = 0
        for (const id of sample) {
          const { row: cached } = await variant.read(id)
          const fresh = (await users(base).findUnique(readArgs(id))) as ReadRow | null
          if (!isDeepStrictEqual(cached, fresh)) {
            differ++
            if (cached?.name !== fresh?.name) staleNames++
          }
        }
        if (variant.library === 'prisma-tiered-cache' && differ > 0)
          throw new Error(
            `workload ${variant.label}: after the run, ${differ} of ${sample.length} sampled cached reads differ from the database (${staleNames} by name)`,
          )
        endCheck =
          differ === 0
            ? `${sample.length} of ${sample.length} sampled ids equal the database`
            : `${differ} of ${sample.length} sampled ids DIFFER from the database (${staleNames} with an old name)`
        notes.push(
          `${variant.label}: after the run, cached reads of ${sample.length} ids (the 20 hottest and every 37th) were compared with the database: ${endCheck}.`,
        )
      }

      measured.push({
        variant,
        reads,
        writes,
        ops,
        elapsedMs: timed.elapsedMs,
        readsChecked,
        readsAfterWrite,
        stale,
        staleBySource,
        staleIds,
        hitRatio,
        hitDetail,
        endCheck,
      })

      // This variant's keys go before the next one runs (prisma-extension-redis SCANs the keyspace on every write).
      const removed = await removeKeys(rawRedis, variant.patterns)
      if (removed > 0) ctx.log(`workload: removed ${removed} keys of ${variant.id}`)
      await variant.close?.()
    }
    if (perErrors.length > 0) {
      const first = perErrors[0]
      notes.push(
        `prisma-extension-redis reported ${perErrors.length} errors through onError (first: ${first instanceof Error ? first.message : String(first)}).`,
      )
    }

    // ---- rows and the summary table ------------------------------------------------------------------
    const table: ExtraTable = {
      title: 'Throughput and latency, measured in the same run',
      intro:
        `Closed loop, ${concurrency} callers in flight, ${durationMs / 1000} s per variant after ${warmupMs / 1000} s of warm-up, variants one after another. ` +
        `Hit ratio: reads of the timed run answered from a cache entry (withCacheInfo() / meta: true), the cache starting cold at the warm-up. ` +
        `ops/s: operations completed in the timed run / its duration. Latency in µs, per call (including the wait for a pool connection: pg pool max 5). ` +
        `Stale reads: reads that returned an older name than the last write to that id which had completed before the read started, out of the reads of an id written before (warm-up included), by where the answer came from: a cache entry, the reader's own query, or a query another caller had started before the write (in-process single-flight).`,
      header: [
        'variant',
        'ops/s',
        'reads/s',
        'writes/s',
        'read p50 µs',
        'read p99 µs',
        'write p50 µs',
        'write p99 µs',
        'hit ratio',
        'stale reads',
        'end check',
      ],
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      rows: [],
    }
    const plainOps = measured[0] ? measured[0].ops / (measured[0].elapsedMs / 1000) : undefined
    for (const m of measured) {
      const seconds = m.elapsedMs / 1000
      const readRow = fromSamples(`workload · ${m.variant.id} · reads`, m.reads, {
        scenario,
        library: m.variant.library,
        copies: '—',
        note: `${m.variant.label}; findUnique include posts, Zipf ids${m.hitDetail ? `; its counters: ${m.hitDetail} (warm-up and timed run)` : ''}`,
      })
      const writeRow = fromSamples(`workload · ${m.variant.id} · writes`, m.writes, {
        scenario,
        library: m.variant.library,
        copies: '—',
        note: `${m.variant.label}; update name, Zipf ids`,
      })
      readRow.opsPerSec = m.reads.length / seconds
      writeRow.opsPerSec = m.writes.length / seconds
      readRow.concurrency = writeRow.concurrency = concurrency
      results.push(readRow, writeRow)
      const opsPerSec = m.ops / seconds
      table.rows.push([
        m.variant.label,
        `${num(opsPerSec)}${plainOps !== undefined && m !== measured[0] ? ` (${(opsPerSec / plainOps).toFixed(1)}×)` : ''}`,
        num(readRow.opsPerSec),
        num(writeRow.opsPerSec),
        num(readRow.p50Us),
        num(readRow.p99Us),
        num(writeRow.p50Us),
        num(writeRow.p99Us),
        m.hitRatio === undefined ? '—' : `${(m.hitRatio * 100).toFixed(1)}%`,
        staleText(m),
        m.endCheck,
      ])
    }

    const hottest = zipf.p(0)
    const top10 = Array.from({ length: 10 }, (_, k) => zipf.p(k)).reduce((a, b) => a + b, 0)
    notes.unshift(
      `${USERS} users with ${POSTS_PER_USER} posts each (a read returns ~${Math.round(msgpackSerializer.serialize(await base.user.findUnique(readArgs(ids[0]!))).byteLength / 100) / 10} KB as MessagePack); ids drawn from Zipf s=${ZIPF_S} (rank 1: ${(hottest * 100).toFixed(1)}% of operations, top 10: ${(top10 * 100).toFixed(1)}%), rank k = the k-th user by id; the same seeded sequence of operations for every variant. Writes draw their id from the same distribution (another id while one write to it is in flight).`,
      `prisma-extension-redis invalidation (its v5 type docs for \`auto.invalidateOnWrite\`, and the README): "Purge a model's auto-cached entries whenever a write operation ... on that model succeeds. Only auto-cache keys are removed — custom keys are untouched, and cached results of other models that embed this model via include/select are not detected." It is off unless \`auto\` is an object with \`invalidateOnWrite: true\` (\`auto: true\`, as in bench/prisma.bench.ts, never invalidates: entries live for their TTL). The purge is model-wide — every User write SCANs the keyspace for all of User's auto-cache keys and UNLINKs them — and happens after the write's query returns. Here the reads are User reads (with posts) and the writes are User writes, so they are purged; a write to Post would not purge them.`,
    )
    for (const m of measured) {
      if (m.variant.library !== 'prisma-extension-redis') continue
      notes.push(
        `${m.variant.label}: stale reads ${staleText(m)} reads of an id after a completed write to it (${m.readsChecked.toLocaleString('en-US')} reads checked)${m.stale > 0 ? `, on ${m.staleIds.size} ids` : ''}.`,
      )
    }
    for (const ours of measured.filter((m) => m.variant.library === 'prisma-tiered-cache')) {
      const joined = ours.staleBySource.get('joined') ?? 0
      notes.push(
        `${ours.variant.label}: stale reads ${staleText(ours)} reads of an id after a completed write to it (${ours.readsChecked.toLocaleString('en-US')} reads checked); a stale read served from L1 or L2, or from a query of its own, would have failed the run. ${
          joined > 0
            ? `The ${joined} stale reads were all misses that joined (in-process single-flight, info.source 'coalesced') a query of the same id that had started before the write: they got that query's pre-write row. The row itself was not stored (its snapshot predates the invalidation), so no later read saw it — the end check agrees.`
            : 'None: no read joined a query that had started before a write.'
        }`,
      )
    }
    const plain = measured.find((m) => m.variant.id === 'plain')
    if (plain)
      notes.push(
        `no cache: stale reads ${staleText(plain)} (a check of the measurement itself: the database is never stale; any would have failed the run).`,
      )
    return { results, notes, tables: [table] }
  } finally {
    await db.stop()
  }
}
