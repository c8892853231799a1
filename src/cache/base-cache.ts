import type {
  CacheBackend,
  CacheCapabilities,
  CacheEntry,
  CacheSnapshot,
  CloseOptions,
  GetOrSetOptions,
  Lookup,
  LookupOptions,
  SetManyItem,
  SetOptions,
} from './backend.js'
import { cloneValue } from './clone.js'
import { Coalescer } from './coalescer.js'
import { type KeyLike, keyText } from './key.js'
import type { KeyPattern } from './pattern.js'
import type { CacheStats } from './stats.js'
import { type TagLike, tagTexts } from './tag.js'

/**
 * What every backend shares: getOrSet with in-process coalescing on top of get/snapshot/set, and
 * per-key fallbacks for the batch methods (backends that can batch override them).
 */
export abstract class BaseCache implements CacheBackend {
  abstract readonly name: string
  abstract readonly maxTtl: number
  abstract readonly capabilities: CacheCapabilities
  readonly #coalescer = new Coalescer()

  abstract get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined>
  abstract set(key: KeyLike, value: unknown, options: SetOptions): Promise<void>
  abstract delete(key: KeyLike): Promise<boolean>
  abstract has(key: KeyLike): Promise<boolean>
  abstract snapshot(): Promise<CacheSnapshot>
  abstract invalidateTags(tags: readonly TagLike[]): Promise<void>
  abstract invalidatePattern(pattern: KeyPattern | string): Promise<number>
  abstract clear(): Promise<void>
  abstract size(): Promise<number>
  abstract stats(): CacheStats
  abstract close(options?: CloseOptions): Promise<void>

  /** get, then snapshot on a miss (backends that can do both at once override this). */
  async lookup<T = unknown>(key: KeyLike, _options?: LookupOptions): Promise<Lookup<T>> {
    const entry = await this.get<T>(key)
    return entry !== undefined ? { entry } : { snapshot: await this.snapshot() }
  }

  getMany<T = unknown>(keys: readonly KeyLike[]): Promise<Array<CacheEntry<T> | undefined>> {
    return Promise.all(keys.map((key) => this.get<T>(key)))
  }

  async setMany(items: readonly SetManyItem[]): Promise<void> {
    // All-or-nothing validation: one bad item must not leave the others half written.
    for (const item of items) validateSetOptions(item, this.name, this.maxTtl)
    await Promise.all(items.map((item) => this.set(item.key, item.value, item.options)))
  }

  async getOrSet<T>(key: KeyLike, compute: () => T | Promise<T>, options: GetOrSetOptions): Promise<T> {
    const text = keyText(key)
    validateTtl(options.ttl, `getOrSet(${text})`)
    tagTexts(options.tags)
    const found = await this.lookup<T>(text)
    if (found.entry !== undefined) return found.entry.value
    // Callers share a compute only if they saw the same invalidations: one arriving after an invalidation must
    // not be handed a value computed before it.
    const { promise, joined } = this.#coalescer.run(`${text}@${found.snapshot.version}`, async () => {
      // The snapshot comes from the miss, before compute: an invalidation while computing makes the stored entry stale.
      const snapshot = found.snapshot
      const value = await compute()
      await this.set(text, value, { ttl: options.ttl, tags: options.tags ?? [], snapshot })
      return value
    })
    const value = await promise
    // Waiters get their own copy, so one caller's mutation is not seen by the others.
    return joined ? cloneValue(value) : value
  }
}

/** Validates a TTL in seconds; `where` names the call for the error message. */
export function validateTtl(ttl: unknown, where: string, maxTtl = Number.POSITIVE_INFINITY): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new RangeError(
      `${where}: ttl must be a finite number of seconds > 0, got ${typeof ttl === 'number' ? ttl : typeof ttl}`,
    )
  }
  if (ttl > maxTtl)
    throw new RangeError(
      `${where}: ttl ${ttl}s exceeds this cache's maxTtl of ${maxTtl}s (raise maxTtl in the backend's options)`,
    )
  return Math.max(1, Math.round(ttl * 1000))
}

/** Checks one write's key, TTL and tags; throws naming the backend and key. */
export function validateSetOptions(item: SetManyItem, backend: string, maxTtl: number): void {
  const key = keyText(item.key)
  validateTtl(item.options.ttl, `${backend}.set(${key})`, maxTtl)
  tagTexts(item.options.tags)
}
