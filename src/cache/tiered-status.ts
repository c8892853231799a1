import type { CircuitState } from './circuit-breaker.js'
import type { BusStats } from './coherence/bus-link.js'
import type { TierName } from './errors.js'
import type { CacheStats } from './stats.js'

// What a TieredCache says of itself: health (a readiness probe's answer) and stats (counters, for metrics).

export interface TierHealth {
  name: string
  ok: boolean
  error?: string
  latencyMs?: number
}

/**
 * `ok`: every part works. `degraded`: queries are answered (from the database where the cache cannot), but L2 is
 * failing, skipped by its circuit breaker or owes invalidations, or the bus is down (L1 unused, other instances'
 * writes unheard). `down`: the cache fails queries (L1 fails, or a required L2 does).
 */
export type HealthStatus = 'ok' | 'degraded' | 'down'

export interface TieredHealth {
  /** True only when `status` is `ok`: a readiness probe may use it as it is. */
  ok: boolean
  status: HealthStatus
  /** `trusted`: false while the bus is down (L1 is not used then). */
  l1: TierHealth & { trusted: boolean }
  l2: TierHealth & { pendingInvalidations: number; circuit?: CircuitState }
  bus?: { connected: boolean }
}

export interface TieredCacheStats extends CacheStats {
  /** Invalidations by kind (each reaches both tiers). */
  invalidationsByKind: { tags: number; patterns: number; keys: number; clears: number }
  /** Present when the cache has a bus. */
  bus?: BusStats
  /** The L2 circuit breaker (absent when disabled). */
  l2Circuit?: { state: CircuitState; opens: number; skipped: number }
  l1Hits: number
  l2Hits: number
  /** L2 hits judged from the invalidations heard over the bus (a plain GET), out of l2Hits (localTagCheck). */
  l2LocalChecks: number
  errorsByTier: Record<TierName, number>
  /** Invalidations that could not reach L2 and are replayed before L2 is used again. */
  pendingL2Invalidations: number
  tiers: { l1: CacheStats; l2: CacheStats }
}
