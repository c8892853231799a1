/**
 * Change feed lag: from an external COMMIT (a plain `pg` UPDATE, autocommit, as psql would) returning to the
 * moment no instance serves the old row — both instances' L1 have dropped the row's record tag (instance A
 * consumes the slot; B hears it over the bus; the L2 epoch is bumped before either). Steady 100 and 1,000
 * writes/s, each write to a row of its own, on a PostgreSQL started with wal_level=logical (loopback). The writers
 * commit with synchronous_commit=on, the default (the test rig's server defaults to off, which delays sending a
 * commit to the stream until the WAL writer flushes it, every 200 ms).
 */
import pg from 'pg'
import { cacheExtension, MemoryCache, postgresChangeFeed, RedisBus, RedisCache, TieredCache } from '../src/index.js'
import { startDatabase } from '../test/support/database.js'
import type { BenchContext, Result, SuiteOutput } from './report.js'

const RATES: ReadonlyArray<{ perSecond: number; seconds: number }> = [
  { perSecond: 100, seconds: 3 },
  { perSecond: 1000, seconds: 2 },
]

/** A MemoryCache that notes when each tag invalidation reached it. */
class ObservedMemoryCache extends MemoryCache {
  readonly seen = new Map<string, number>()
  override async invalidateTags(tags: readonly string[]): Promise<void> {
    const now = performance.now()
    for (const tag of tags) if (!this.seen.has(String(tag))) this.seen.set(String(tag), now)
    return super.invalidateTags(tags)
  }
}

export async function changeFeedScenarios(ctx: BenchContext): Promise<SuiteOutput> {
  const db = await startDatabase('postgresql')
  const rows = RATES.reduce((sum, r) => sum + r.perSecond * r.seconds, 0) // each write updates a row of its own
  const pool = new pg.Pool({ connectionString: db.url, max: 8, options: '-c synchronous_commit=on' })
  const results: Result[] = []
  const notes: string[] = []
  try {
    await db.query(`INSERT INTO "User" (email, name) SELECT 'u' || g || '@x', 'v0' FROM generate_series(1, ${rows}) g`)
    const prefix = `bench:${ctx.runId}:feed:`
    const instance = async (name: string, l1: ObservedMemoryCache) => {
      const client = await ctx.client(`feed-${name}`)
      return new TieredCache(l1, new RedisCache({ client, prefix }), { bus: new RedisBus({ client, prefix }) })
    }
    const l1a = new ObservedMemoryCache()
    const l1b = new ObservedMemoryCache()
    const a = await instance('a', l1a)
    const b = await instance('b', l1b)
    const feed = postgresChangeFeed({
      connectionString: db.url,
      slot: `bench_${process.pid}`,
      publication: `bench_${process.pid}`,
      retryMs: 100,
    })
    const prismaA = db.createClient().$extends(cacheExtension({ cache: a, changeFeed: feed }))
    await feed.ready()
    const deadline = Date.now() + 5000
    while (!(a.stats().bus?.connected && b.stats().bus?.connected) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))

    let nextRow = 1
    for (const { perSecond, seconds } of RATES) {
      const total = perSecond * seconds
      const committed = new Map<string, number>()
      const inFlight: Promise<unknown>[] = []
      const cpuBefore = process.cpuUsage()
      const started = performance.now()
      let index = 0
      ctx.log(`change feed: ${total} external writes at ${perSecond}/s`)
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond))
          for (; index < due; index++) {
            const id = nextRow++
            inFlight.push(
              pool
                .query(`UPDATE "User" SET name = 'v1' WHERE id = $1`, [id])
                .then(() => committed.set(`User:id=${id}`, performance.now())),
            )
          }
          if (index >= total) {
            clearInterval(timer)
            resolve()
          }
        }, 1)
      })
      await Promise.all(inFlight)
      const [position] = await db.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')
      await feed.waitFor(String(position?.['lsn']), 30_000)
      const settle = Date.now() + 3000
      const arrived = (tag: string) => Math.max(l1a.seen.get(tag) ?? Infinity, l1b.seen.get(tag) ?? Infinity)
      while ([...committed.keys()].some((tag) => arrived(tag) === Infinity) && Date.now() < settle)
        await new Promise((resolve) => setTimeout(resolve, 20))
      const cpu = process.cpuUsage(cpuBefore)
      const elapsed = (performance.now() - started) / 1000
      // A write's tag can reach the L1s before its own client saw the COMMIT return: that counts as 0.
      const latencies = [...committed]
        .map(([tag, at]) => Math.max(0, arrived(tag) - at) * 1000)
        .filter(Number.isFinite)
        .sort((x, y) => x - y)
      const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
      const lost = total - latencies.length
      results.push({
        scenario: '8. change feed: external COMMIT to no instance serving the old row',
        name: `external writes at ${perSecond}/s`,
        library: 'prisma-tiered-cache',
        copies: '—',
        meanUs: latencies.reduce((sum, v) => sum + v, 0) / Math.max(1, latencies.length),
        p50Us: pick(0.5),
        p99Us: pick(0.99),
        opsPerSec: total / elapsed,
        samples: latencies.length,
        note: `${latencies.length} of ${total} invalidated in both L1s${lost > 0 ? ` (${lost} missing)` : ''}; CPU of this whole process (writer, consumer, both instances) ${(((cpu.user + cpu.system) / 1e6 / elapsed) * 100).toFixed(0)}% of a core`,
      })
      notes.push(
        `change feed at ${perSecond} writes/s: p50 ${(pick(0.5) / 1000).toFixed(1)} ms, p99 ${(pick(0.99) / 1000).toFixed(1)} ms from the COMMIT returning to both instances' L1 dropping the row (${lost} missing).`,
      )
    }
    await prismaA.$cache.close()
    await b.close()
    await db.query(`SELECT pg_drop_replication_slot('bench_${process.pid}')`)
    await db.query(`DROP PUBLICATION "bench_${process.pid}"`)
  } finally {
    await pool.end()
    await db.stop()
  }
  return { results, notes }
}
