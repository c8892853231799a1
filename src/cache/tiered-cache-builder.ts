import type { CacheBackend } from './backend.js'
import type { TieredCache, TieredCacheEvent, TieredCacheOptions } from './tiered-cache.js'

/** Fluent construction of a {@link TieredCache}; every flag has the name of the matching option. */
export class TieredCacheBuilder<L1 extends CacheBackend | undefined = undefined, L2 extends CacheBackend | undefined = undefined> {
  #l1: CacheBackend | undefined
  #l2: CacheBackend | undefined
  readonly #options: TieredCacheOptions = {}
  readonly #create: (l1: CacheBackend, l2: CacheBackend, options: TieredCacheOptions) => TieredCache

  /** Use `TieredCache.builder()`. (The constructor comes in as a function: this file imports TieredCache's types only.) */
  constructor(create: (l1: CacheBackend, l2: CacheBackend, options: TieredCacheOptions) => TieredCache) {
    this.#create = create
  }

  l1<T extends CacheBackend>(backend: T): TieredCacheBuilder<T, L2> {
    this.#l1 = backend
    return this as unknown as TieredCacheBuilder<T, L2>
  }

  l2<T extends CacheBackend>(backend: T): TieredCacheBuilder<L1, T> {
    this.#l2 = backend
    return this as unknown as TieredCacheBuilder<L1, T>
  }

  writeThroughL1(on = true): this {
    this.#options.writeThroughL1 = on
    return this
  }

  writeThroughL2(on = true): this {
    this.#options.writeThroughL2 = on
    return this
  }

  l1Ttl(seconds: number): this {
    this.#options.l1Ttl = seconds
    return this
  }

  l2Ttl(seconds: number): this {
    this.#options.l2Ttl = seconds
    return this
  }

  l1Required(on = true): this {
    this.#options.l1Required = on
    return this
  }

  l2Required(on = true): this {
    this.#options.l2Required = on
    return this
  }

  l2Write(mode: 'sync' | 'async'): this {
    this.#options.l2Write = mode
    return this
  }

  onEvent(listener: (event: TieredCacheEvent) => void): this {
    this.#options.onEvent = listener
    return this
  }

  name(name: string): this {
    this.#options.name = name
    return this
  }

  /** Builds the cache; throws naming the missing tier if l1() or l2() was not called. */
  build(): TieredCache<L1 extends CacheBackend ? L1 : never, L2 extends CacheBackend ? L2 : never> {
    if (this.#l1 === undefined) throw new TypeError('TieredCache.builder(): call .l1(backend) before build()')
    if (this.#l2 === undefined) throw new TypeError('TieredCache.builder(): call .l2(backend) before build()')
    return this.#create(this.#l1, this.#l2, this.#options) as TieredCache<L1 extends CacheBackend ? L1 : never, L2 extends CacheBackend ? L2 : never>
  }
}
