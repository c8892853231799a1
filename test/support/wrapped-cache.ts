import type {
  CacheBackend,
  CacheEntry,
  CacheSnapshot,
  Lookup,
  LookupOptions,
  NumberedInvalidations,
  SetManyItem,
  SetOptions,
} from '../../src/cache/index.js'
import { BaseCache, type KeyLike, type KeyPattern, type TagLike } from '../../src/cache/index.js'

/**
 * A real backend behind a switch, for failure tests: while `broken`, every call throws (as a tier whose
 * server is unreachable would); `gate` holds reads after they have read (the gate set when the read was called,
 * however long the read takes), to order races deterministically;
 * `log` records the calls in order. Everything else is the wrapped backend's own behaviour.
 */
export class WrappedCache extends BaseCache {
  broken = false
  gate: Promise<void> | undefined
  delayMs = 0
  /** `log` may be shared by several wrappers (with different labels) to see the order across tiers. */
  constructor(
    readonly inner: CacheBackend,
    readonly log: string[] = [],
    readonly label = '',
  ) {
    super()
    // A numbered inner tier (RedisCache) stays numbered behind the wrapper, its calls switched like the others.
    if (inner.capabilities.numbered) {
      const n = inner as CacheBackend & NumberedInvalidations
      const own: NumberedInvalidations = {
        peek: (key) => this.#call('get', () => n.peek(key)),
        snapshotAt: (epoch) => n.snapshotAt(epoch),
        currentEpoch: () => this.#call('snapshot', () => n.currentEpoch()),
        invalidateTagsNumbered: (tags) => this.#call('invalidateTags', () => n.invalidateTagsNumbered(tags)),
        clearNumbered: () => this.#call('clear', () => n.clearNumbered()),
      }
      Object.assign(this, own)
    }
  }

  get name() {
    return `wrapped(${this.inner.name})`
  }

  /** The inner tier's, and it may fail (that is what the switch is for). */
  get capabilities() {
    return { ...this.inner.capabilities, remote: true }
  }

  get maxTtl() {
    return this.inner.maxTtl
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    this.log.push(this.label + operation)
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs))
    if (this.broken) throw new Error(`${this.inner.name} is down (${operation})`)
    return run()
  }

  get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    const gate = this.gate
    return this.#call('get', async () => {
      const entry = await this.inner.get<T>(key)
      if (gate) await gate
      return entry
    })
  }

  override lookup<T = unknown>(key: KeyLike, options?: LookupOptions): Promise<Lookup<T>> {
    const gate = this.gate
    return this.#call('get', async () => {
      const found = await this.inner.lookup<T>(key, options)
      if (gate) await gate
      return found
    })
  }

  override getMany<T = unknown>(keys: readonly KeyLike[]): Promise<Array<CacheEntry<T> | undefined>> {
    const gate = this.gate
    return this.#call('get', async () => {
      const entries = await this.inner.getMany<T>(keys)
      if (gate) await gate
      return entries
    })
  }

  set(key: KeyLike, value: unknown, options: SetOptions) {
    return this.#call('set', () => this.inner.set(key, value, options))
  }

  override setMany(items: readonly SetManyItem[]) {
    return this.#call('set', () => this.inner.setMany(items))
  }

  delete(key: KeyLike) {
    return this.#call('delete', () => this.inner.delete(key))
  }

  has(key: KeyLike) {
    return this.#call('has', () => this.inner.has(key))
  }

  snapshot(): Promise<CacheSnapshot> {
    return this.#call('snapshot', () => this.inner.snapshot())
  }

  invalidateTags(tags: readonly TagLike[]) {
    return this.#call('invalidateTags', () => this.inner.invalidateTags(tags))
  }

  invalidatePattern(pattern: KeyPattern | string) {
    return this.#call('invalidatePattern', () => this.inner.invalidatePattern(pattern))
  }

  clear() {
    return this.#call('clear', () => this.inner.clear())
  }

  size() {
    return this.#call('size', () => this.inner.size())
  }

  stats() {
    return this.inner.stats()
  }

  close() {
    return this.inner.close()
  }
}
