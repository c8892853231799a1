/**
 * Cross-instance invalidation: time from the moment instance A starts an invalidation (L2 first, then the
 * publish) to the moment instance B's L1 has applied it, at a steady 1,000 invalidations per second.
 * Both instances live in this process (one clock), each with its own Redis connections and subscriber.
 */
import { MemoryCache, RedisBus, RedisCache, TieredCache } from '../src/index.js'
import type { BenchContext, Result, SuiteOutput } from './report.js'

const RATE_PER_SECOND = 1000
const SECONDS = 5

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
  return {
    results: [result],
    notes: [
      `bus: ${RATE_PER_SECOND} invalidations/s for ${SECONDS} s between two instances in one process, loopback Redis pub/sub. p50 ${(pick(0.5) / 1000).toFixed(2)} ms, p99 ${(pick(0.99) / 1000).toFixed(2)} ms, ${lost} lost.`,
    ],
  }
}
