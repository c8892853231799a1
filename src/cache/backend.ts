import type { KeyLike } from './key.js'
import type { Serialized, Serializer } from './serializer.js'
import type { KeyPattern } from './pattern.js'
import type { CacheStats } from './stats.js'
import type { TagLike } from './tag.js'
import type { TieredCacheEvent } from './events.js'

/** What a read returns on a hit. */
export interface CacheEntry<T = unknown> {
  value: T
  /** Milliseconds until the entry expires in the tier it came from. */
  remainingTtlMs: number
  /** The tags the entry was written with. */
  tags: readonly string[]
  /** Which tier of a TieredCache answered (absent from a single backend). */
  tier?: 'l1' | 'l2'
  /**
   * The value as the tier stored it, when it stores it serialized (RedisCache): lets TieredCache fill L1 without
   * copying.
   */
  encoded?: EncodedValue
}

/** A value in serialized form (text or bytes, as its serializer produces), with the serializer that reads it back. */
export interface EncodedValue {
  readonly data: Serialized
  readonly serializer: Serializer
}

/**
 * An opaque marker of "now" in a backend's invalidation history, from {@link CacheBackend.snapshot}.
 * Writing a value with the snapshot taken before it was computed makes the write race-safe: if any of its
 * tags is invalidated after the snapshot, the entry reads as a miss, however late the write lands.
 */
export interface CacheSnapshot {
  /**
   * Milliseconds (performance.now()) when the snapshot was taken; snapshots older than the backend's maxTtl are
   * refused.
   */
  readonly takenAt: number
  /**
   * Changes with every invalidation the snapshot can see (the epoch). Two callers with the same version saw the
   * same invalidation history, so one may take the other's computed value; different versions must not share.
   */
  readonly version: string
}

/**
 * What {@link CacheBackend.lookup} answers: the entry, or — on a miss — a snapshot taken no later than the
 * miss, ready for the race-safe write of the value about to be computed.
 */
export type Lookup<T> = { entry: CacheEntry<T>; snapshot?: undefined } | { entry?: undefined; snapshot: CacheSnapshot }

/** What a reader may tell {@link CacheBackend.lookup} about the entry it expects. */
export interface LookupOptions {
  /**
   * The tags the entry is expected to carry (a superset is fine). RedisCache then reads their invalidation
   * records in the same plain MGET as the entry and judges it in process, instead of running its check script.
   * An entry carrying any other tag is checked the usual way: a wrong guess costs a round trip, never a stale read.
   */
  expectedTags?: readonly string[]
}

/** A lock held on a key (see {@link CacheBackend.lock}). */
export interface CacheLock {
  /** Releases it if this holder still owns it (it may have expired). */
  release(): Promise<void>
}

/** The lock to proceed with when no coordination is possible (no shared tier, or it is failing). */
export const NO_LOCK: CacheLock = { release: async () => {} }

export interface SetOptions {
  /** Time to live in seconds: finite, > 0, at most the backend's `maxTtl`. Fractions allowed. */
  ttl: number
  /** Tags to invalidate this entry by (model-wide or record tags). */
  tags?: readonly TagLike[]
  /** From {@link CacheBackend.snapshot}, taken before the value was computed. Without it: as of now. */
  snapshot?: CacheSnapshot
  /**
   * For this write only, overrides a TieredCache's `l2Write` flag: `async` resolves once L1 has the value and
   * writes L2 in the background (from a private copy, so the caller may go on mutating the value). Backends
   * without a second tier ignore it.
   */
  l2Write?: 'sync' | 'async'
  /**
   * The same value, serialized (from an L2 hit). A tier that keeps private copies may keep this instead of
   * copying `value` now, and decode it when the entry is first read (MemoryCache does).
   */
  encoded?: EncodedValue
  /**
   * The value is a private copy nobody else holds or will change (TieredCache's copy for a write-behind): a tier
   * that keeps copies may keep this one as it is.
   */
  owned?: boolean
  /**
   * Called when the value was refused as larger than the backend's bound for one entry (nothing is stored under
   * the key; an older value there is removed). TieredCache calls it once every tier it wrote to refused it.
   */
  onTooLarge?: (backend: string) => void
  /**
   * Called by a backend that serializes the value (RedisCache) with the form it wrote. TieredCache hands it to L1
   * as `encoded`, so after a set L1 keeps the bytes L2 holds instead of a second copy of the value — and every
   * read of the key, from either tier on any instance, decodes the same bytes.
   */
  onEncoded?: (encoded: EncodedValue) => void
}

export interface GetOrSetOptions {
  ttl: number
  tags?: readonly TagLike[]
}

export interface SetManyItem {
  key: KeyLike
  value: unknown
  options: SetOptions
}

/**
 * The interface every cache tier implements: MemoryCache, RedisCache, NoopCache and TieredCache itself,
 * so tiers compose (`TieredCache<L1, TieredCache<L2, L3>>`).
 *
 * Every method is async so that a remote tier and a composed tier fit the same shape; the in-memory tier
 * resolves at once. Bare backends throw on failure; TieredCache is the facade that decides whether a
 * failure fails the operation (required tier) or is counted and skipped.
 */
export interface CacheBackend {
  /** A short name for stats and errors, e.g. `memory`, `redis`, `tiered`. */
  readonly name: string

  /** What this backend can do; the rest of the library asks this, never the object's shape or class. */
  readonly capabilities: CacheCapabilities

  /** The longest TTL (seconds) this backend accepts; TieredCache caps each tier's TTL by it. */
  readonly maxTtl: number

  /**
   * A short lock on a key, shared by every instance using the same store (RedisCache: SET NX PX), for
   * coalescing misses across instances. Undefined: someone else holds it; NO_LOCK: go ahead, nobody can be
   * coordinated with. Backends without shared state do not implement it.
   */
  lock?(key: KeyLike, ttlMs: number): Promise<CacheLock | undefined>

  /** The entry, or undefined on a miss (absent, expired, invalidated by tag, or undecodable). */
  get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined>

  /**
   * A get that, on a miss, also returns a snapshot for the write that will follow (read-through callers).
   * Remote tiers answer both in one round trip.
   */
  lookup<T = unknown>(key: KeyLike, options?: LookupOptions): Promise<Lookup<T>>

  /** Reads several keys in one batch (one pipeline per Redis node); results in the order of `keys`. */
  getMany<T = unknown>(keys: readonly KeyLike[]): Promise<Array<CacheEntry<T> | undefined>>

  /**
   * Whether `set` would refuse this value as over the bound for one entry, found out without copying or
   * serializing it (walking it only up to the bound). False when that cannot be told cheaply. TieredCache asks
   * L1 before taking the copy a write-behind needs, so a value L1 refuses is never copied.
   */
  refusesAsTooLarge?(value: unknown): boolean

  /** Stores a value with a TTL and tags. A value over the size limit is not stored (counted in stats). */
  set(key: KeyLike, value: unknown, options: SetOptions): Promise<void>

  /** Stores several entries in one batch. */
  setMany(items: readonly SetManyItem[]): Promise<void>

  /**
   * The cached value, or the result of `compute`, stored race-safely. Concurrent callers of the same key on
   * this instance share one compute; if it throws, every waiter gets the error and nothing is stored.
   */
  getOrSet<T>(key: KeyLike, compute: () => T | Promise<T>, options: GetOrSetOptions): Promise<T>

  /** Removes one entry; true if it existed. */
  delete(key: KeyLike): Promise<boolean>

  /** Whether a live (unexpired, not invalidated) entry exists. */
  has(key: KeyLike): Promise<boolean>

  /** See {@link CacheSnapshot}. */
  snapshot(): Promise<CacheSnapshot>

  /** After this resolves, no read returns an entry that carried any of these tags when it was written. */
  invalidateTags(tags: readonly TagLike[]): Promise<void>

  /** Removes every entry whose key matches; resolves to how many were removed. */
  invalidatePattern(pattern: KeyPattern | string): Promise<number>

  /**
   * Whether it can serve now (RedisCache: a PING of every master within the operation timeout; TieredCache: its
   * tiers, its bus and a status). Absent: nothing can fail, always ok. TieredCache asks each tier; `$cache.health()`
   * asks the backend.
   */
  healthCheck?(): Promise<BackendHealth>

  /** Failures it tolerated and other events (TieredCache), for the caller to report; returns the unsubscribe. */
  on?(listener: (event: TieredCacheEvent) => void): () => void

  /** Removes every entry of this cache (its key prefix only, in Redis). */
  clear(): Promise<void>

  /** Number of entries stored (in Redis: keys under this cache's prefix, counted by SCAN). */
  size(): Promise<number>

  stats(): CacheStats

  /** Resolves once background work this backend started (write-behind to a slower tier) has landed. */
  flush?(): Promise<void>

  /**
   * Releases what this backend created: timers, and connections it opened itself (from a URL). Connections you
   * passed in stay open, yours to close, unless `clients: true`.
   */
  close(options?: CloseOptions): Promise<void>
}

/**
 * What a backend declares it can do. Each flag has a section in the published conformance suite
 * (`prisma-tiered-cache/test-suite`), which runs it when the flag is set (and checks the promise of an unset one).
 */
export interface CacheCapabilities {
  /**
   * Operations may reject because something outside this process failed (a server, the network). The Prisma
   * extension puts such a backend behind a TieredCache (a NoopCache L1), which counts and skips failures and owes
   * the invalidations that did not reach it. False for in-process tiers and for TieredCache, which already does so.
   */
  readonly remote: boolean
  /**
   * `snapshot()` and `SetOptions.snapshot` make fills race-safe: a value written under a snapshot taken before an
   * invalidation of one of its tags (or a clear) reads as a miss, however late the write lands. The Prisma
   * extension requires it.
   */
  readonly snapshots: boolean
  /**
   * `invalidatePattern` removes the matching keys. Without it, invalidatePattern rejects (the extension clears
   * instead).
   */
  readonly patterns: boolean
  /** `getMany` / `setMany` are one batch (one round trip), not a loop over `get` / `set`. */
  readonly batch: boolean
  /** The backend implements {@link NumberedInvalidations} (a shared counter numbers every invalidation). */
  readonly numbered: boolean
}

/** A backend's answer to {@link CacheBackend.healthCheck}. */
export interface BackendHealth {
  ok: boolean
  error?: string
  latencyMs?: number
}

/** What a tier kept in this process can do (MemoryCache, NoopCache): everything but fail remotely or number. */
export const IN_PROCESS_CAPABILITIES: CacheCapabilities = Object.freeze({
  remote: false,
  snapshots: true,
  patterns: true,
  batch: true,
  numbered: false,
})

export interface CloseOptions {
  /** Also close the clients you passed in (a RedisCache's or RedisBus's `client`). Default false. */
  clients?: boolean
}

/** What {@link NumberedInvalidations.peek} read: an entry with the epoch it was stamped with, or why there is none. */
export type Peeked<T> = { epoch: number; entry: CacheEntry<T> } | 'miss' | 'unknown'

/**
 * A shared tier whose invalidations are numbered by one global counter and whose entries carry the number of
 * the snapshot they were written under (RedisCache). With an invalidation bus, TieredCache judges such
 * entries from the invalidations it heard of (KnownInvalidations) after a plain read, instead of asking the
 * tier to check their tags.
 */
export interface NumberedInvalidations {
  /** The entry without any tag check: `unknown` when it cannot be judged from its header (older format, corrupt). */
  peek<T = unknown>(key: KeyLike): Promise<Peeked<T>>
  /** A snapshot at a given epoch (one at or below the current epoch is safe: only more conservative). */
  snapshotAt(epoch: number): CacheSnapshot
  /** The current epoch (the number of the latest invalidation). */
  currentEpoch(): Promise<number>
  /** invalidateTags, answering the epoch each tag was invalidated at (same order as `tags`). */
  invalidateTagsNumbered(tags: readonly string[]): Promise<number[]>
  /** clear, answering the epoch of the everything-invalidation. */
  clearNumbered(): Promise<number>
}

/** Whether a backend declares {@link CacheCapabilities.numbered} (and so implements NumberedInvalidations). */
export function isNumbered(backend: CacheBackend): backend is CacheBackend & NumberedInvalidations {
  return backend.capabilities.numbered
}
