/**
 * Cross-instance invalidation: time from the moment instance A starts an invalidation (L2 first, then the
 * publish) to the moment instance B's L1 has applied it, at a steady 1,000 invalidations per second.
 * Both instances live in this process (one clock), each with its own Redis connections and subscriber.
 * Then what read-your-writes across instances adds to a write: one invalidation at a time on A with two other
 * instances listening, awaited until they acknowledged it (the default) and fire-and-forget (awaitPeers: false).
 */
import { MemoryCache, RedisBus, RedisCache, TieredCache } from '../src/index.js'
import type { BenchContext, Result, SuiteOutput } from './report.js'

const RATE_PER_SECOND = 1000
const SECONDS = 5
/** Sequential invalidations timed per write mode. */
const WRITES = 2000

/** A MemoryCache that notes when each tag invalidation reached it. */
class ObservedMemoryCache extends MemoryCache {
  readonly seen = new Map<string, number>()
  override async invalidateTags(tags: readonly string[]): Promise<void> {
    const now = performance.now()
    for (const tag of tags) this.seen.set(String(tag), now)
    return super.invalidateTags(tags)
  }
}

export async function busScenarios(ctx: BenchContext): Promise<SuiteOutput> {
  const prefix = `bench:${ctx.runId}:bus:`
  const make = async (name: string, l1: MemoryCache) => {
    const client = await ctx.client(`bus-${name}`)
    return new TieredCache(l1, new RedisCache({ client, prefix }), { bus: new RedisBus({ client, prefix }) })
  }
  const observed = new ObservedMemoryCache()
  const a = await make('a', new MemoryCache())
  const b = await make('b', observed)
  const deadline = Date.now() + 5000
  while (!(a.stats().bus?.connected && b.stats().bus?.connected) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10))
  if (!(a.stats().bus?.connected && b.stats().bus?.connected)) throw new Error('bus: the instances did not connect')

  const sent = new Map<string, number>()
  const inFlight: Promise<void>[] = []
  const total = RATE_PER_SECOND * SECONDS
  const started = performance.now()
  let index = 0
  ctx.log(`bus: ${total} invalidations at ${RATE_PER_SECOND}/s`)
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Catch up to the schedule: as many as the elapsed time allows (timers fire every ~1-4 ms).
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE_PER_SECOND))
      for (; index < due; index++) {
        const tag = `T:${index}`
        sent.set(tag, performance.now())
        inFlight.push(a.invalidateTags([tag]))
      }
      if (index >= total) {
        clearInterval(timer)
        resolve()
      }
    }, 1)
  })
  await Promise.all(inFlight)
  const settle = Date.now() + 3000
  while (observed.seen.size < total && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 20))
  const elapsed = (performance.now() - started) / 1000

  const latencies: number[] = []
  for (const [tag, at] of sent) {
    const arrived = observed.seen.get(tag)
    if (arrived !== undefined) latencies.push((arrived - at) * 1000)
  }
  latencies.sort((x, y) => x - y)
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  const mean = latencies.reduce((sum, v) => sum + v, 0) / Math.max(1, latencies.length)
  const lost = total - latencies.length
  const result: Result = {
    scenario: '7. bus: invalidation propagation to another instance’s L1',
    name: `bus propagation at ${RATE_PER_SECOND}/s`,
    library: 'prisma-tiered-cache',
    copies: '—',
    meanUs: mean,
    p50Us: pick(0.5),
    p99Us: pick(0.99),
    opsPerSec: total / elapsed,
    samples: latencies.length,
    note: `${latencies.length} of ${total} delivered${lost > 0 ? ` (${lost} lost)` : ''}; latency from the start of A's invalidateTags (L2 bump, then PUBLISH) to B's L1 invalidateTags`,
  }
  await Promise.allSettled([a.close(), b.close()])
  const acked = await writeLatency(ctx, true)
  const fireAndForget = await writeLatency(ctx, false)
  const ms = (us: number) => (us / 1000).toFixed(2)
  return {
    results: [result, acked, fireAndForget],
    notes: [
      `bus: ${RATE_PER_SECOND} invalidations/s for ${SECONDS} s between two instances in one process, loopback Redis pub/sub. p50 ${(pick(0.5) / 1000).toFixed(2)} ms, p99 ${(pick(0.99) / 1000).toFixed(2)} ms, ${lost} lost.`,
      `write with two other instances: awaited until acknowledged p50 ${ms(acked.p50Us)} ms, p99 ${ms(acked.p99Us)} ms; fire-and-forget p50 ${ms(fireAndForget.p50Us)} ms, p99 ${ms(fireAndForget.p99Us)} ms: read-your-writes adds ${ms(acked.p50Us - fireAndForget.p50Us)} ms at p50, ${ms(acked.p99Us - fireAndForget.p99Us)} ms at p99.`,
    ],
  }
}

/**
 * One invalidateTags at a time on instance A (L2 bump, PUBLISH, and with awaitPeers the acknowledgements of B and
 * C), three instances configured the README's way (the bus opened on each RedisCache's client).
 */
async function writeLatency(ctx: BenchContext, awaitPeers: boolean): Promise<Result> {
  const prefix = `bench:${ctx.runId}:ryw${awaitPeers ? 1 : 0}:`
  const caches = await Promise.all(
    ['a', 'b', 'c'].map(async (name, i) => {
      const client = await ctx.client(`ryw-${name}-${awaitPeers}`)
      return new TieredCache(new MemoryCache(), new RedisCache({ client, prefix }), {
        awaitPeers: i === 0 ? awaitPeers : true,
      })
    }),
  )
  const a = caches[0]!
  const deadline = Date.now() + 5000
  // A knows the two others once it heard their heartbeats (its stats count them with or without awaitPeers).
  const ready = () => caches.every((cache) => cache.stats().bus?.connected) && caches[1]!.stats().bus?.peers === 2
  while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!ready()) throw new Error('bus: the three instances did not see each other')
  for (let i = 0; i < 200; i++) await a.invalidateTags([`warm:${i}`])
  const times: number[] = []
  const started = performance.now()
  for (let i = 0; i < WRITES; i++) {
    const t0 = performance.now()
    await a.invalidateTags([`W:${i}`])
    times.push((performance.now() - t0) * 1000)
  }
  const elapsed = (performance.now() - started) / 1000
  const lapsed = a.stats().bus?.writesLapsed ?? 0
  await Promise.allSettled(caches.map((cache) => cache.close()))
  times.sort((x, y) => x - y)
  const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0
  return {
    scenario: '7. bus: invalidation propagation to another instance’s L1',
    name: awaitPeers ? 'write, awaited until 2 instances acked' : 'write, fire-and-forget (awaitPeers: false)',
    library: 'prisma-tiered-cache',
    copies: '—',
    meanUs: times.reduce((sum, v) => sum + v, 0) / Math.max(1, times.length),
    p50Us: pick(0.5),
    p99Us: pick(0.99),
    opsPerSec: WRITES / elapsed,
    samples: times.length,
    note: `${WRITES} sequential invalidateTags on one of three instances${awaitPeers ? `; ${lapsed} waits ended by a lease lapsing` : ''}`,
  }
}
