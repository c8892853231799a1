/**
 * Prometheus metrics through prom-client (an optional peer): `import { registerPrometheusMetrics } from
 * 'prisma-tiered-cache/prometheus'`. Values are read from `prisma.$cache.stats()` when Prometheus scrapes, so
 * the read path pays nothing for them.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { CacheStats } from '../cache/stats.js'
import type { TieredCacheStats } from '../cache/tiered-status.js'
import type { PrismaCacheStats } from '../prisma/prisma-cache.js'

export interface MetricsSource {
  stats(): PrismaCacheStats
}

export interface PrometheusOptions {
  /** Metric name prefix. Default `prisma_cache_`. */
  prefix?: string
}

type Labels = Record<string, string>

/**
 * Registers the cache's metrics on your registry (e.g. `register` from prom-client, or a `new Registry()`):
 * - `<prefix>reads_total{model,result}` — result: hit, stale, miss, coalesced, bypass
 * - `<prefix>invalidations_total{model}` and `<prefix>errors_total{model}`
 * - `<prefix>writes_total{operation}` (writes that invalidated) and `<prefix>invalidations_by_kind_total{kind}`
 * - `<prefix>tier_operations_total{tier,result}` — tier: l1, l2 (or the backend's name); result: hit, miss, write, error, eviction, stale_by_tag
 * - `<prefix>tier_latency_seconds{tier,kind,quantile}` — kind: read, write; quantile: 0.5, 0.99
 * - `<prefix>bus_lost_invalidations_total` — invalidations never heard over the bus (L1 emptied each time)
 * - `<prefix>hit_ratio`, `<prefix>bus_connected`, `<prefix>l2_circuit_open`
 * - `<prefix>change_feed_lag_bytes`, `<prefix>change_feed_lag_seconds` — with a `changeFeed` (an unconsumed slot
 *   retains WAL on the database server: alert on these)
 */
export function registerPrometheusMetrics(
  source: MetricsSource,
  registry: Registry,
  options: PrometheusOptions = {},
): void {
  const prefix = options.prefix ?? 'prisma_cache_'
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    throw new TypeError(`registerPrometheusMetrics: invalid metric prefix ${JSON.stringify(prefix)}`)

  /** A counter fed from a cumulative value read at scrape time (prom-client counters only go up by inc). */
  const cumulative = (
    name: string,
    help: string,
    labelNames: string[],
    read: (stats: PrismaCacheStats) => Array<[Labels, number]>,
  ) => {
    const last = new Map<string, number>()
    new Counter({
      name: prefix + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const [labels, value] of read(source.stats())) {
          const id = JSON.stringify(labels)
          const delta = value - (last.get(id) ?? 0)
          if (delta > 0) this.inc(labels, delta)
          last.set(id, value)
        }
      },
    })
  }

  cumulative('reads_total', 'Cached reads by model and result', ['model', 'result'], (stats) =>
    Object.entries(stats.models).flatMap(([model, m]): Array<[Labels, number]> => [
      [{ model, result: 'hit' }, m.hits],
      [{ model, result: 'stale' }, m.staleHits],
      [{ model, result: 'miss' }, m.misses],
      [{ model, result: 'coalesced' }, m.coalesced],
      [{ model, result: 'bypass' }, m.bypasses],
    ]),
  )
  cumulative('invalidations_total', 'Writes that invalidated tags of the model', ['model'], (stats) =>
    Object.entries(stats.models).map(([model, m]) => [{ model }, m.invalidations]),
  )
  cumulative(
    'errors_total',
    'Cache failures tolerated (the query was answered from the database)',
    ['model'],
    (stats) => Object.entries(stats.models).map(([model, m]) => [{ model }, m.errors]),
  )
  cumulative('writes_total', 'Writes that invalidated, by operation', ['operation'], (stats) =>
    Object.entries(stats.invalidationsByOperation).map(([operation, n]) => [{ operation }, n]),
  )
  cumulative(
    'invalidations_by_kind_total',
    'Invalidations by kind (tags, patterns, keys, clears)',
    ['kind'],
    (stats) => {
      const byKind = (stats.cache as Partial<TieredCacheStats>).invalidationsByKind
      return byKind ? Object.entries(byKind).map(([kind, n]): [Labels, number] => [{ kind }, n]) : []
    },
  )
  cumulative('tier_operations_total', 'Operations per cache tier', ['tier', 'result'], (stats) =>
    tiers(stats.cache).flatMap(([tier, t]): Array<[Labels, number]> => [
      [{ tier, result: 'hit' }, t.hits],
      [{ tier, result: 'miss' }, t.misses],
      [{ tier, result: 'write' }, t.writes],
      [{ tier, result: 'error' }, t.errors],
      [{ tier, result: 'eviction' }, t.evictions],
      [{ tier, result: 'stale_by_tag' }, t.staleByTag],
    ]),
  )

  cumulative(
    'bus_lost_invalidations_total',
    'Invalidations never heard over the bus (declared lost after 1 s); this instance emptied its L1 each time',
    [],
    (stats) => {
      const bus = (stats.cache as Partial<TieredCacheStats>).bus
      return bus ? [[{}, bus.lostInvalidations]] : []
    },
  )

  new Gauge({
    name: `${prefix}tier_latency_seconds`,
    help: 'Latency quantiles per cache tier',
    labelNames: ['tier', 'kind', 'quantile'],
    registers: [registry],
    collect() {
      for (const [tier, t] of tiers(source.stats().cache)) {
        for (const [kind, latency] of [
          ['read', t.readLatency],
          ['write', t.writeLatency],
        ] as const) {
          this.set({ tier, kind, quantile: '0.5' }, latency.p50Ms / 1000)
          this.set({ tier, kind, quantile: '0.99' }, latency.p99Ms / 1000)
        }
      }
    },
  })
  new Gauge({
    name: `${prefix}hit_ratio`,
    help: 'Cache hits / (hits + misses) since start',
    registers: [registry],
    collect() {
      const { hits, misses } = source.stats().cache
      this.set(hits + misses === 0 ? 0 : hits / (hits + misses))
    },
  })
  new Gauge({
    name: `${prefix}bus_connected`,
    help: '1 when the invalidation bus is subscribed (absent bus: 1)',
    registers: [registry],
    collect() {
      const bus = (source.stats().cache as Partial<TieredCacheStats>).bus
      this.set(bus === undefined || bus.connected ? 1 : 0)
    },
  })
  new Gauge({
    name: `${prefix}l2_circuit_open`,
    help: '1 while the L2 circuit breaker is open',
    registers: [registry],
    collect() {
      this.set((source.stats().cache as Partial<TieredCacheStats>).l2Circuit?.state === 'open' ? 1 : 0)
    },
  })
  for (const [unit, field] of [
    ['bytes', 'lagBytes'],
    ['seconds', 'lagSeconds'],
  ] as const) {
    new Gauge({
      name: `${prefix}change_feed_lag_${unit}`,
      help: `How far (${unit}) the change feed's consumer is behind the database's WAL (0 without a change feed)`,
      registers: [registry],
      collect() {
        this.set(source.stats().changeFeed?.[field] ?? 0)
      },
    })
  }
}

/** The tiers of a TieredCache by their position (l1, l2), or the single backend by its name. */
function tiers(stats: CacheStats): Array<[string, CacheStats]> {
  const tiered = (stats as Partial<TieredCacheStats>).tiers
  return tiered
    ? [
        ['l1', tiered.l1],
        ['l2', tiered.l2],
      ]
    : [[stats.name, stats]]
}
