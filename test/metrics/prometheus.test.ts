import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { MemoryCache, TieredCache } from '../../src/index.js'
import { registerPrometheusMetrics } from '../../src/metrics/prometheus.js'
import { useDatabase } from '../support/use-database.js'
import { cachedClient, countingClient } from '../prisma/stack.js'

describe('Prometheus metrics', () => {
  const db = useDatabase('sqlite')

  it('exposes reads, invalidations, tier operations, latency and state with conventional names and labels', async () => {
    const user = await db.createClient().user.create({ data: { email: 'm@example.com' } })
    const { prisma } = cachedClient(db, new TieredCache(new MemoryCache(), new MemoryCache()), {}, countingClient(db))
    const registry = new Registry()
    registerPrometheusMetrics(prisma.$cache, registry)
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    await prisma.user.findMany({ cache: false })
    await prisma.user.update({ where: { id: user.id }, data: { name: 'x' } })
    const text = await registry.metrics()
    expect(text).toContain('prisma_cache_reads_total{model="User",result="hit"} 1')
    expect(text).toContain('prisma_cache_reads_total{model="User",result="miss"} 1')
    expect(text).toContain('prisma_cache_reads_total{model="User",result="bypass"} 1')
    expect(text).toContain('prisma_cache_invalidations_total{model="User"} 1')
    expect(text).toMatch(/prisma_cache_tier_operations_total\{tier="l1",result="hit"\} 1/)
    expect(text).toMatch(/prisma_cache_tier_latency_seconds\{tier="l1",kind="read",quantile="0.99"\} \d/)
    expect(text).toContain('prisma_cache_hit_ratio 0.5')
    expect(text).toContain('prisma_cache_writes_total{operation="update"} 1')
    expect(text).toContain('prisma_cache_invalidations_by_kind_total{kind="tags"} 1')
    // A second scrape adds only what happened since (counters stay cumulative).
    await prisma.user.findUnique({ where: { id: user.id }, cache: 60 })
    expect(await registry.metrics()).toContain('prisma_cache_reads_total{model="User",result="miss"} 2')
    expect(() => registerPrometheusMetrics(prisma.$cache, new Registry(), { prefix: 'bad prefix' })).toThrow(
      /invalid metric prefix/,
    )
  })
})
