/**
 * A backend of your own, in full: entries in a Map, invalidation by the epoch scheme every tier of this library
 * uses (one counter; an entry remembers the epoch it was computed under, a tag the epoch of its last
 * invalidation; `isStale` says which entries an invalidation reached). It passes the published contract
 * (`prisma-tiered-cache/test-suite`): see test/examples/custom-backend.test.ts, and README "Write your own backend".
 *
 * What a real store (Memcached, another Redis-compatible service) changes: the entries and the tag epochs live in
 * the store, `remote: true` (the extension then tolerates its failures), and a tag's record may be dropped once no
 * entry written before its invalidation can still be alive (2 × maxTtl after it).
 */
import {
  BaseCache,
  type CacheCapabilities,
  type CacheEntry,
  type CacheSnapshot,
  type CacheStats,
  cloneValue,
  isStale,
  type KeyLike,
  KeyPattern,
  keyText,
  type SetOptions,
  StatsRecorder,
  type TagLike,
  tagTexts,
  validateTtl,
} from 'prisma-tiered-cache/cache'

interface Stored {
  value: unknown
  tags: string[]
  /** The epoch of the snapshot the value was computed under. */
  epoch: number
  expiresAt: number
}

export class MapCache extends BaseCache {
  readonly name = 'map'
  readonly maxTtl = 86_400
  readonly capabilities: CacheCapabilities = {
    remote: false,
    snapshots: true,
    patterns: true,
    batch: false,
    numbered: false,
  }
  readonly #entries = new Map<string, Stored>()
  readonly #invalidatedAt = new Map<string, number>()
  /** The snapshots this cache handed out, and their epochs (a foreign one is refused). */
  readonly #snapshots = new WeakMap<CacheSnapshot, number>()
  readonly #stats = new StatsRecorder(this.name)
  #epoch = 0
  #clearedAt = 0

  /** `now`: the clock TTLs are measured by (milliseconds); tests pass one they move. */
  constructor(readonly now: () => number = Date.now) {
    super()
  }

  async get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    const started = performance.now()
    const stored = this.#live(keyText(key))
    this.#stats.count(stored ? 'hits' : 'misses')
    this.#stats.read.record(performance.now() - started)
    if (!stored) return undefined
    // A copy: the caller may mutate what it got.
    return { value: cloneValue(stored.value) as T, remainingTtlMs: stored.expiresAt - this.now(), tags: stored.tags }
  }

  async set(key: KeyLike, value: unknown, options: SetOptions): Promise<void> {
    const text = keyText(key)
    const ttlMs = validateTtl(options.ttl, `MapCache.set(${text})`, this.maxTtl)
    const tags = tagTexts(options.tags)
    let epoch = this.#epoch
    if (options.snapshot !== undefined) {
      const taken = this.#snapshots.get(options.snapshot)
      if (taken === undefined) throw new TypeError('MapCache.set: the snapshot was not taken from this cache')
      epoch = taken
    }
    this.#entries.set(text, { value: cloneValue(value), tags, epoch, expiresAt: this.now() + ttlMs })
    this.#stats.count('writes')
  }

  async delete(key: KeyLike): Promise<boolean> {
    return this.#entries.delete(keyText(key))
  }

  async has(key: KeyLike): Promise<boolean> {
    return this.#live(keyText(key)) !== undefined
  }

  async snapshot(): Promise<CacheSnapshot> {
    const snapshot = { takenAt: performance.now(), version: String(this.#epoch) }
    this.#snapshots.set(snapshot, this.#epoch)
    return snapshot
  }

  async invalidateTags(tags: readonly TagLike[]): Promise<void> {
    const texts = tagTexts(tags)
    const epoch = ++this.#epoch
    for (const tag of texts) this.#invalidatedAt.set(tag, epoch)
    this.#stats.count('invalidations')
  }

  async invalidatePattern(pattern: KeyPattern | string): Promise<number> {
    const matcher = KeyPattern.from(pattern)
    let removed = 0
    for (const key of [...this.#entries.keys()])
      if (matcher.matches(key) && this.#live(key) && this.#entries.delete(key)) removed++
    return removed
  }

  async clear(): Promise<void> {
    this.#clearedAt = ++this.#epoch
    this.#entries.clear()
  }

  async size(): Promise<number> {
    return [...this.#entries.keys()].filter((key) => this.#live(key)).length
  }

  stats(): CacheStats {
    return this.#stats.snapshot()
  }

  async close(): Promise<void> {
    this.#entries.clear()
  }

  /** The entry if it has neither expired nor been invalidated (either way it is dropped). */
  #live(key: string): Stored | undefined {
    const stored = this.#entries.get(key)
    if (stored === undefined) return undefined
    if (
      stored.expiresAt <= this.now() ||
      isStale(stored.epoch, stored.tags, (tag) => this.#invalidatedAt.get(tag), this.#clearedAt)
    ) {
      this.#entries.delete(key)
      return undefined
    }
    return stored
  }
}
