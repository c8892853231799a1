import {
  type CacheCapabilities,
  type CacheEntry,
  type CacheSnapshot,
  IN_PROCESS_CAPABILITIES,
  type SetOptions,
} from './backend.js'
import { BaseCache, validateTtl } from './base-cache.js'
import { type KeyLike, keyText } from './key.js'
import { KeyPattern } from './pattern.js'
import { type CacheStats, StatsRecorder } from './stats.js'
import { type TagLike, tagTexts } from './tag.js'

/**
 * A tier that stores nothing: every read misses. Stands in for a disabled tier (e.g. `new TieredCache(l1, new
 * NoopCache())`).
 */
export class NoopCache extends BaseCache {
  readonly name: string
  readonly maxTtl = Number.POSITIVE_INFINITY
  /** Nothing is ever stored, so every promise holds trivially. */
  readonly capabilities: CacheCapabilities = IN_PROCESS_CAPABILITIES
  readonly #stats: StatsRecorder

  constructor(options: { name?: string } = {}) {
    super()
    this.name = options.name ?? 'noop'
    this.#stats = new StatsRecorder(this.name)
  }

  async get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    keyText(key)
    this.#stats.count('misses')
    return undefined
  }

  async set(key: KeyLike, _value: unknown, options: SetOptions): Promise<void> {
    // Validate like the real tiers so that swapping one in never hides a bad call.
    validateTtl(options.ttl, `NoopCache.set(${keyText(key)})`)
    tagTexts(options.tags)
  }

  async delete(key: KeyLike): Promise<boolean> {
    keyText(key)
    return false
  }

  async has(key: KeyLike): Promise<boolean> {
    keyText(key)
    return false
  }

  async snapshot(): Promise<CacheSnapshot> {
    return { takenAt: performance.now(), version: '0' }
  }

  async invalidateTags(tags: readonly TagLike[]): Promise<void> {
    tagTexts(tags)
  }

  async invalidatePattern(pattern: KeyPattern | string): Promise<number> {
    KeyPattern.from(pattern)
    return 0
  }

  async clear(): Promise<void> {}

  async size(): Promise<number> {
    return 0
  }

  stats(): CacheStats {
    return this.#stats.snapshot()
  }

  async close(): Promise<void> {}
}
