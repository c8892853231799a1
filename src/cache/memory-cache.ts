import { LRUCache } from 'lru-cache'
import {
  type CacheCapabilities,
  type CacheEntry,
  type CacheSnapshot,
  type EncodedValue,
  IN_PROCESS_CAPABILITIES,
  type Lookup,
  type SetManyItem,
  type SetOptions,
} from './backend.js'
import { BaseCache, validateSetOptions, validateTtl } from './base-cache.js'
import type { Clock } from './clock.js'
import { cloneValue } from './clone.js'
import { type KeyLike, keyText } from './key.js'
import { estimateSize, estimateSizeUpTo } from './size-bound.js'
import { KeyPattern } from './pattern.js'
import { defaultSerializer } from './msgpack-serializer.js'
import { deserializeWith, type Serialized, type Serializer } from './serializer.js'
import { type CacheStats, StatsRecorder } from './stats.js'
import { type TagLike, tagTexts } from './tag.js'
import { TagEpochs } from './tag-epochs.js'

/**
 * How MemoryCache keeps values so that callers cannot change what the next caller gets:
 * - `clone` (default): a deep copy on write and on read (keeps prototypes: Dates, Decimals, Buffers); a value
 *   written with its serialized form (`encoded`, an L2 hit filling L1) is kept in that form and decoded on its
 *   first read, so the fill costs no copy;
 * - `serialize`: the serializer's output (default: MessagePack bytes), decoded on every read (slower reads,
 *   exact byte sizes);
 * - `reference`: the object itself, for callers that never mutate results (fastest, unsafe otherwise).
 */
export type MemoryValueMode = 'clone' | 'serialize' | 'reference'

export interface MemoryCacheOptions {
  /** Most entries kept (LRU eviction past it). Default 10,000 when maxSize is not set. */
  max?: number
  /** Most bytes kept, as measured by sizeCalculation (default: an estimate of the value's size). */
  maxSize?: number
  /**
   * Size of one entry in the units of maxSize (given the stored form: the copy, or the text or bytes of an entry
   * filled from L2 or kept serialized).
   */
  sizeCalculation?: (value: unknown, key: string) => number
  /**
   * Largest value stored, in maxSize units; larger values are skipped and counted. Default maxSize / 4 when maxSize
   * is set.
   */
  maxEntrySize?: number
  /** Upper bound of any entry's TTL in seconds (bounds how long tag records are kept). Default 86,400. */
  maxTtl?: number
  values?: MemoryValueMode
  /** For `values: 'serialize'`. Default: the MessagePack serializer. */
  serializer?: Serializer
  /** Name in stats. Default `memory`. */
  name?: string
  /**
   * Where TTLs, snapshot ages and tag retention read the time (ms). Default `performance`; tests pass one they
   * move.
   */
  clock?: Clock
}

/** An entry kept serialized until first read (clone mode, filled with `encoded`). */
class Encoded {
  constructor(readonly encoded: EncodedValue) {}
}

interface MemoryEntry {
  /** The clone, serialized form, or reference, per the value mode; or Encoded (clone mode, not read yet). */
  stored: unknown
  tags: readonly string[]
  epoch: number
  size: number
}

class MemorySnapshot implements CacheSnapshot {
  constructor(
    readonly owner: MemoryCache,
    readonly epoch: number,
    readonly takenAt: number,
  ) {}

  get version(): string {
    return String(this.epoch)
  }
}

/** The in-process tier: lru-cache bounded by entries and/or bytes, with TTLs and versioned tags. */
export class MemoryCache extends BaseCache {
  readonly name: string
  readonly #lru: LRUCache<string, MemoryEntry>
  readonly #epochs: TagEpochs
  readonly #stats: StatsRecorder
  readonly #mode: MemoryValueMode
  readonly #serializer: Serializer
  readonly #sizeOf: ((value: unknown, key: string) => number) | undefined
  readonly #maxEntrySize: number
  readonly #clock: Clock
  readonly maxTtl: number
  readonly capabilities: CacheCapabilities = IN_PROCESS_CAPABILITIES

  constructor(options: MemoryCacheOptions = {}) {
    super()
    this.name = options.name ?? 'memory'
    this.#mode = options.values ?? 'clone'
    if (!['clone', 'serialize', 'reference'].includes(this.#mode))
      throw new TypeError(
        `MemoryCache: values must be 'clone', 'serialize' or 'reference', got ${String(options.values)}`,
      )
    this.#serializer = options.serializer ?? defaultSerializer
    this.maxTtl = options.maxTtl ?? 86_400
    validateTtl(this.maxTtl, 'MemoryCache maxTtl')
    for (const field of ['max', 'maxSize', 'maxEntrySize'] as const) {
      const value = options[field]
      if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0))
        throw new RangeError(`MemoryCache: ${field} must be a positive integer, got ${value}`)
    }
    const maxSize = options.maxSize
    this.#sizeOf = maxSize === undefined ? undefined : (options.sizeCalculation ?? defaultSize)
    this.#maxEntrySize =
      options.maxEntrySize ?? (maxSize === undefined ? Number.POSITIVE_INFINITY : Math.floor(maxSize / 4))
    this.#clock = options.clock ?? performance
    this.#epochs = new TagEpochs(2 * this.maxTtl * 1000, this.#clock)
    this.#stats = new StatsRecorder(this.name)
    const common: LRUCache.OptionsBase<string, MemoryEntry, unknown> = {
      // A clock of the caller's: read it on every check (lru-cache otherwise caches "now" for 1 ms of real time).
      ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
      allowStale: false,
      updateAgeOnGet: false,
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.#stats.count('evictions')
      },
    }
    this.#lru =
      maxSize === undefined
        ? new LRUCache<string, MemoryEntry>({ ...common, max: options.max ?? 10_000 })
        : new LRUCache<string, MemoryEntry>({
            ...common,
            ...(options.max === undefined ? {} : { max: options.max }),
            maxSize,
            sizeCalculation: (entry) => Math.max(1, entry.size),
          })
  }

  async get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    return this.getSync<T>(key)
  }

  override async lookup<T = unknown>(key: KeyLike): Promise<Lookup<T>> {
    const entry = this.getSync<T>(key)
    return entry !== undefined
      ? { entry }
      : { snapshot: new MemorySnapshot(this, this.#epochs.current(), this.#clock.now()) }
  }

  override async getMany<T = unknown>(keys: readonly KeyLike[]): Promise<Array<CacheEntry<T> | undefined>> {
    return keys.map((key) => this.getSync<T>(key))
  }

  /** The synchronous read behind {@link get}, for callers on a hot path. */
  getSync<T = unknown>(key: KeyLike): CacheEntry<T> | undefined {
    const started = performance.now()
    const text = keyText(key)
    const entry = this.#lru.get(text)
    let result: CacheEntry<T> | undefined
    if (entry === undefined) this.#stats.count('misses')
    else if (!this.#epochs.isFresh(entry.epoch, entry.tags)) {
      this.#lru.delete(text)
      this.#stats.count('staleByTag')
      this.#stats.count('misses')
    } else {
      let value: unknown
      try {
        value = this.#unpack(entry)
      } catch {
        // Text that does not decode (a serializer changed under it) is a miss, like a corrupt L2 entry.
        this.#lru.delete(text)
        this.#stats.count('errors')
        this.#stats.count('misses')
        this.#stats.read.record(performance.now() - started)
        return undefined
      }
      this.#stats.count('hits')
      result = { value: value as T, remainingTtlMs: this.#lru.getRemainingTTL(text), tags: entry.tags }
    }
    this.#stats.read.record(performance.now() - started)
    return result
  }

  async set(key: KeyLike, value: unknown, options: SetOptions): Promise<void> {
    this.setSync(key, value, options)
  }

  /**
   * All-or-nothing validation (as BaseCache's), then synchronous writes: no promise per item. One item (every
   * TieredCache set) is checked by setSync alone, before it writes anything.
   */
  override async setMany(items: readonly SetManyItem[]): Promise<void> {
    if (items.length > 1) for (const item of items) validateSetOptions(item, this.name, this.maxTtl)
    for (const item of items) this.setSync(item.key, item.value, item.options)
  }

  /** The synchronous write behind {@link set}. */
  setSync(key: KeyLike, value: unknown, options: SetOptions): void {
    const started = performance.now()
    const text = keyText(key)
    const ttlMs = validateTtl(options.ttl, `MemoryCache.set(${text})`, this.maxTtl)
    const tags = tagTexts(options.tags)
    const epoch = this.#snapshotEpoch(options.snapshot)
    if (epoch === undefined) {
      // A snapshot older than maxTtl: the tag records it would be checked against may already be gone.
      this.#lru.delete(text)
      return
    }
    const refuse = () => {
      // The old value (if any) is out of date too: drop it rather than keep serving it.
      this.#lru.delete(text)
      this.#stats.count('rejectedTooLarge')
      options.onTooLarge?.(this.name)
    }
    // The default estimate of a value copied is its copy's: measured before the copy (up to the bound), so a value
    // too large is never copied, and the size of one that fits is not measured twice.
    const early = options.encoded === undefined ? this.#earlySize(value) : undefined
    if (early !== undefined && early > this.#maxEntrySize) return refuse()
    const stored =
      this.#mode === 'clone' && options.owned === true && options.encoded === undefined
        ? value
        : this.#pack(value, options.encoded)
    const size =
      early ??
      (this.#sizeOf === undefined ? 0 : this.#sizeOf(stored instanceof Encoded ? stored.encoded.data : stored, text))
    if (size > this.#maxEntrySize) return refuse()
    this.#lru.set(text, { stored, tags, epoch, size }, { ttl: ttlMs })
    this.#stats.count('writes')
    this.#stats.write.record(performance.now() - started)
  }

  /** With the default measure of a copied value (clone mode, maxSize given): its estimate, walked up to the bound. */
  refusesAsTooLarge(value: unknown): boolean {
    if (this.#maxEntrySize === Number.POSITIVE_INFINITY) return false
    const early = this.#earlySize(value)
    return early !== undefined && early > this.#maxEntrySize
  }

  /** The default measure (maxSize given, clone mode) up to the entry bound; undefined with any other measure. */
  #earlySize(value: unknown): number | undefined {
    if (this.#sizeOf !== defaultSize || this.#mode !== 'clone') return undefined
    return value instanceof Uint8Array ? defaultSize(value) : estimateSizeUpTo(value, this.#maxEntrySize)
  }

  async delete(key: KeyLike): Promise<boolean> {
    const existed = this.#lru.delete(keyText(key))
    this.#stats.count('deletes')
    return existed
  }

  async has(key: KeyLike): Promise<boolean> {
    const text = keyText(key)
    const entry = this.#lru.get(text)
    return entry !== undefined && this.#epochs.isFresh(entry.epoch, entry.tags)
  }

  async snapshot(): Promise<CacheSnapshot> {
    return new MemorySnapshot(this, this.#epochs.current(), this.#clock.now())
  }

  async invalidateTags(tags: readonly TagLike[]): Promise<void> {
    const texts = tagTexts(tags)
    this.#stats.count('invalidations')
    if (texts.length > 0) this.#epochs.bump(texts)
  }

  async invalidatePattern(pattern: KeyPattern | string): Promise<number> {
    const matcher = KeyPattern.from(pattern)
    this.#stats.count('invalidations')
    let removed = 0
    for (const key of [...this.#lru.keys()]) {
      if (matcher.matches(key) && this.#lru.delete(key)) removed++
    }
    return removed
  }

  async clear(): Promise<void> {
    // Bumping the everything-tag first makes in-flight fills (snapshots taken before clear) land stale.
    this.#epochs.bumpAll()
    this.#lru.clear()
    this.#stats.count('invalidations')
  }

  async size(): Promise<number> {
    return this.#lru.size
  }

  /** Bytes held, in the units of maxSize (0 when no maxSize is configured). */
  get calculatedSize(): number {
    return this.#lru.calculatedSize
  }

  /** Distinct tags whose invalidation is remembered (bounded; see TagEpochs). */
  get trackedTags(): number {
    return this.#epochs.trackedTags
  }

  stats(): CacheStats {
    return this.#stats.snapshot()
  }

  async close(): Promise<void> {
    this.#lru.clear()
  }

  #snapshotEpoch(snapshot: CacheSnapshot | undefined): number | undefined {
    if (snapshot === undefined) return this.#epochs.current()
    if (!(snapshot instanceof MemorySnapshot) || snapshot.owner !== this) {
      throw new TypeError(`MemoryCache.set: the snapshot was not taken from this cache (${this.name})`)
    }
    return this.#clock.now() - snapshot.takenAt > this.maxTtl * 1000 ? undefined : snapshot.epoch
  }

  #pack(value: unknown, encoded: EncodedValue | undefined): unknown {
    if (this.#mode === 'clone') return encoded ? new Encoded(encoded) : cloneValue(value)
    if (this.#mode === 'serialize') {
      if (encoded?.serializer === this.#serializer) return encoded.data
      const data = this.#serializer.serialize(value)
      // Bytes may be a view of a larger working buffer (msgpackr's): keep only this entry's, not all of it.
      return typeof data === 'string' ? data : new Uint8Array(data)
    }
    return value
  }

  #unpack(entry: MemoryEntry): unknown {
    if (this.#mode === 'clone') {
      if (entry.stored instanceof Encoded) {
        // First read of a lazily filled entry: the decoded value becomes the kept copy; the caller gets its own.
        entry.stored = deserializeWith(entry.stored.encoded.serializer, entry.stored.encoded.data)
      }
      return cloneValue(entry.stored)
    }
    if (this.#mode === 'serialize') return deserializeWith(this.#serializer, entry.stored as Serialized)
    return entry.stored
  }
}

/** Text counts 2 bytes per UTF-16 unit (how V8 may hold it), bytes their length, values an estimate. */
function defaultSize(value: unknown): number {
  if (typeof value === 'string') return 2 * value.length
  return value instanceof Uint8Array ? value.byteLength : estimateSize(value)
}
