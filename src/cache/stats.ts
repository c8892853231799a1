/** Latency of one kind of operation, in milliseconds. */
export interface LatencySummary {
  count: number
  meanMs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** Counters every backend reports. */
export interface CacheStats {
  /** Which backend (or tier) these are. */
  name: string
  hits: number
  misses: number
  writes: number
  deletes: number
  /** Operations that threw, plus entries found corrupt (undecodable) and dropped. */
  errors: number
  /** Entries removed to respect a size bound (not TTL expiry, not invalidation). */
  evictions: number
  /** Values not stored because they exceed the configured size limit. */
  rejectedTooLarge: number
  /** Entries found but not served because one of their tags was invalidated after they were computed. */
  staleByTag: number
  /** Calls to invalidateTags / invalidatePattern / clear. */
  invalidations: number
  /** Latency of reads (get, getMany, has). */
  readLatency: LatencySummary
  /** Latency of writes (set, setMany, delete, invalidation). */
  writeLatency: LatencySummary
}

/**
 * A log-bucketed latency histogram: constant memory, O(1) record, quantiles within one bucket's width (~9%).
 * Buckets are 2^(i/8) microseconds, from 1 µs to about 70 minutes.
 */
export class LatencyHistogram {
  static readonly #BUCKETS = 256
  readonly #counts = new Uint32Array(LatencyHistogram.#BUCKETS)
  #count = 0
  #sumMs = 0
  #maxMs = 0

  record(ms: number): void {
    const micros = ms * 1000
    const index = micros <= 1 ? 0 : Math.min(LatencyHistogram.#BUCKETS - 1, Math.ceil(Math.log2(micros) * 8))
    this.#counts[index]!++
    this.#count++
    this.#sumMs += ms
    if (ms > this.#maxMs) this.#maxMs = ms
  }

  /** The upper bound of the bucket holding quantile q (0..1), in ms. */
  quantile(q: number): number {
    if (this.#count === 0) return 0
    const rank = Math.ceil(q * this.#count)
    let seen = 0
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!
      if (seen >= rank) return Math.min(this.#maxMs, 2 ** (i / 8) / 1000)
    }
    return this.#maxMs
  }

  summary(): LatencySummary {
    return {
      count: this.#count,
      meanMs: this.#count === 0 ? 0 : this.#sumMs / this.#count,
      p50Ms: this.quantile(0.5),
      p99Ms: this.quantile(0.99),
      maxMs: this.#maxMs,
    }
  }
}

type Counter = Exclude<keyof CacheStats, 'name' | 'readLatency' | 'writeLatency'>

/** The mutable counters behind {@link CacheStats}; each backend owns one. */
export class StatsRecorder {
  readonly name: string
  readonly #counters: Record<Counter, number> = {
    hits: 0,
    misses: 0,
    writes: 0,
    deletes: 0,
    errors: 0,
    evictions: 0,
    rejectedTooLarge: 0,
    staleByTag: 0,
    invalidations: 0,
  }
  readonly read = new LatencyHistogram()
  readonly write = new LatencyHistogram()

  constructor(name: string) {
    this.name = name
  }

  count(counter: Counter, by = 1): void {
    this.#counters[counter] += by
  }

  snapshot(): CacheStats {
    return { name: this.name, ...this.#counters, readLatency: this.read.summary(), writeLatency: this.write.summary() }
  }
}
