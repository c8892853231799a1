import {
  type BackendHealth,
  type CacheBackend,
  type CacheCapabilities,
  type CacheEntry,
  type CacheLock,
  type CacheSnapshot,
  type CloseOptions,
  type EncodedValue,
  type Lookup,
  type LookupOptions,
  NO_LOCK,
  type SetManyItem,
  type SetOptions,
} from './backend.js'
import { BaseCache, validateTtl } from './base-cache.js'
import { cloneValue } from './clone.js'
import { CircuitBreaker, CircuitOpenError } from './circuit-breaker.js'
import { CacheTierError, type TierName } from './errors.js'
import type { TieredCacheEvent } from './events.js'
import { type InvalidationBus, opensBus } from './coherence/bus-port.js'
import { Coherence } from './coherence/coherence.js'
import type { CoherenceGateway } from './coherence/gateway.js'
import type { OwedInvalidation } from './coherence/owed-invalidations.js'
import { type KeyLike, keyText } from './key.js'
import { NoopCache } from './noop-cache.js'
import { KeyPattern } from './pattern.js'
import { StatsRecorder } from './stats.js'
import { type TagLike, tagTexts } from './tag.js'
import type { TieredCacheOptions } from './tiered-options.js'
import type { HealthStatus, TieredCacheStats, TieredHealth, TierHealth } from './tiered-status.js'

class TieredSnapshot implements CacheSnapshot {
  constructor(
    readonly owner: TieredCache<CacheBackend, CacheBackend>,
    readonly l1: CacheSnapshot | undefined,
    readonly l2: CacheSnapshot | undefined,
    readonly takenAt: number,
  ) {}

  get version(): string {
    return `${this.l1?.version ?? '-'}/${this.l2?.version ?? '-'}`
  }
}

/**
 * Two tiers as one cache: L1 (in-process) in front of L2 (shared). It is itself a CacheBackend, so tiers
 * compose: `new TieredCache(l1, new TieredCache(l2, l3))`. The semantics of every operation and flag are a
 * table in docs/design.md; each row has a test in test/cache/tiered-cache.test.ts.
 */
export class TieredCache<
  L1 extends CacheBackend = CacheBackend,
  L2 extends CacheBackend = CacheBackend,
> extends BaseCache {
  readonly name: string
  /** Tolerates its tiers' failures itself (not `remote`); snapshots and patterns only if both tiers have them. */
  get capabilities(): CacheCapabilities {
    const [a, b] = [this.l1.capabilities, this.l2.capabilities]
    return {
      remote: false,
      snapshots: a.snapshots && b.snapshots,
      patterns: a.patterns && b.patterns,
      batch: true,
      numbered: false,
    }
  }
  readonly l1: L1
  readonly l2: L2
  readonly options: Readonly<
    Required<Omit<TieredCacheOptions, 'onEvent' | 'name' | 'l1Ttl' | 'l2Ttl' | 'bus' | 'l2CircuitBreaker' | 'clock'>> &
      Pick<TieredCacheOptions, 'l1Ttl' | 'l2Ttl'>
  >
  readonly bus: InvalidationBus | undefined
  /**
   * Resolves once L1 may be served: the bus subscribed and its first own heartbeat came back (at most a lease
   * later), or its first subscription attempt failed; at once without a bus. Reads before it skip L1.
   */
  readonly ready: Promise<void>
  readonly #stats: StatsRecorder
  readonly #listeners = new Set<(event: TieredCacheEvent) => void>()
  readonly #errorsByTier: Record<TierName, number> = { l1: 0, l2: 0 }
  readonly #background = new Set<Promise<void>>()
  #l1Hits = 0
  #l2Hits = 0
  readonly #invalidationsByKind = { tags: 0, patterns: 0, keys: 0, clears: 0 }
  readonly #breaker: CircuitBreaker | undefined
  #skippedByBreaker = 0
  /** Owed invalidations, the bus, localTagCheck: everything that keeps other writes from being served (the wing). */
  readonly #coherence: Coherence

  constructor(l1: L1, l2: L2, options: TieredCacheOptions = {}) {
    super()
    if (!isBackend(l1))
      throw new TypeError('TieredCache: l1 must be a CacheBackend (MemoryCache, RedisCache, NoopCache or TieredCache)')
    if (!isBackend(l2))
      throw new TypeError('TieredCache: l2 must be a CacheBackend (MemoryCache, RedisCache, NoopCache or TieredCache)')
    for (const flag of [
      'writeThroughL1',
      'writeThroughL2',
      'l1Required',
      'l2Required',
      'localTagCheck',
      'awaitPeers',
    ] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean')
        throw new TypeError(`TieredCache: ${flag} must be a boolean, got ${typeof options[flag]}`)
    }
    if (options.l1Ttl !== undefined) validateTtl(options.l1Ttl, 'TieredCache l1Ttl')
    if (options.l2Ttl !== undefined) validateTtl(options.l2Ttl, 'TieredCache l2Ttl')
    const l2Write = options.l2Write ?? 'sync'
    if (l2Write !== 'sync' && l2Write !== 'async')
      throw new TypeError(`TieredCache: l2Write must be 'sync' or 'async', got ${String(options.l2Write)}`)
    this.l1 = l1
    this.l2 = l2
    this.name = options.name ?? 'tiered'
    this.options = {
      writeThroughL1: options.writeThroughL1 ?? true,
      writeThroughL2: options.writeThroughL2 ?? true,
      l1Ttl: options.l1Ttl,
      l2Ttl: options.l2Ttl,
      l1Required: options.l1Required ?? false,
      l2Required: options.l2Required ?? false,
      l2Write,
      localTagCheck: options.localTagCheck ?? true,
      awaitPeers: options.awaitPeers ?? true,
    }
    if (options.onEvent) this.#listeners.add(options.onEvent)
    this.#stats = new StatsRecorder(this.name)
    const breaker =
      options.l2CircuitBreaker === false ? undefined : { clock: options.clock, ...options.l2CircuitBreaker }
    this.#breaker = breaker === undefined ? undefined : new CircuitBreaker(breaker)
    this.bus = options.bus === false ? undefined : (options.bus ?? (opensBus(l2) ? l2.openBus() : undefined))
    if (options.bus === false && opensBus(l2) && !(l1 instanceof NoopCache)) {
      // After construction, so that a listener added with on() right away hears it too.
      const message = `TieredCache ${this.name}: bus: false over a shared L2 (${l2.name}): other instances' writes reach this L1 only when its entries expire`
      queueMicrotask(() => this.#emit({ type: 'bus-disabled', message }))
    }
    this.#coherence = new Coherence(this.#gateway(), {
      bus: this.bus,
      localTagCheck: this.options.localTagCheck,
      awaitPeers: this.options.awaitPeers,
      clock: options.clock,
    })
    this.ready = this.#coherence.start()
  }

  /** What the coherence wing may do with this cache: its tiers, through this cache's failure handling. */
  #gateway(): CoherenceGateway {
    const l2Down = () => this.#breaker !== undefined && this.#breaker.state !== 'closed'
    return {
      l1: this.l1,
      l2: this.l2,
      l2Required: this.options.l2Required,
      get l2Down() {
        return l2Down()
      },
      callL1: (operation, run, fallback) => this.#tier('l1', operation, run, fallback),
      callL2: (operation, run, force) => this.#callL2(operation, run, force),
      report: (operation, error, failed) => this.#report('l2', operation, error, failed),
    }
  }

  /** Whether L1 may be used: always without a bus; with one, only while it is up (and its lease holds). */
  get #l1Trusted(): boolean {
    return this.#coherence.trusted
  }

  get maxTtl(): number {
    return Math.max(this.l1.maxTtl, this.l2.maxTtl)
  }

  /** Subscribes to tier events; returns the unsubscribe function. */
  on(listener: (event: TieredCacheEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    // The single-key path of getMany, without its arrays: an L1 hit is the hottest path of the library.
    const started = performance.now()
    const text = keyText(key)
    let entry = this.#l1Trusted ? await this.#tier('l1', 'get', () => this.l1.get<T>(text), undefined) : undefined
    if (entry !== undefined) this.#l1Hits++
    else entry = await this.#readOneL2<T>(text)
    this.#stats.count(entry === undefined ? 'misses' : 'hits')
    this.#stats.read.record(performance.now() - started)
    return entry
  }

  override async getMany<T = unknown>(keys: readonly KeyLike[]): Promise<Array<CacheEntry<T> | undefined>> {
    const started = performance.now()
    const texts = keys.map(keyText)
    const none = texts.map(() => undefined)
    const results = this.#l1Trusted ? await this.#tier('l1', 'get', () => this.l1.getMany<T>(texts), none) : none
    const missing = texts.flatMap((_, i) => (results[i] === undefined ? [i] : []))
    this.#l1Hits += texts.length - missing.length
    if (missing.length > 0) {
      const found = await this.#readL2<T>(missing.map((i) => texts[i]!))
      found.forEach((entry, j) => (results[missing[j]!] = entry))
    }
    const hits = results.filter((r) => r !== undefined).length
    this.#stats.count('hits', hits)
    this.#stats.count('misses', texts.length - hits)
    this.#stats.read.record(performance.now() - started)
    return results
  }

  /**
   * get, and on a miss the snapshot for the write that follows: the L1 snapshot taken before reading L2, and
   * L2's own answer (one round trip for RedisCache).
   */
  override async lookup<T = unknown>(key: KeyLike, options?: LookupOptions): Promise<Lookup<T>> {
    const started = performance.now()
    const text = keyText(key)
    const l1Entry = this.#l1Trusted ? await this.#tier('l1', 'get', () => this.l1.get<T>(text), undefined) : undefined
    if (l1Entry !== undefined) {
      this.#l1Hits++
      this.#stats.count('hits')
      this.#stats.read.record(performance.now() - started)
      return { entry: { ...l1Entry, tier: 'l1' } }
    }
    const l1Snapshot = await this.#tier('l1', 'snapshot', () => this.l1.snapshot(), undefined)
    // (#l2Usable awaited only when something is owed: this is the L2-hit path.)
    const found = (await this.#coherence.usable()) ? await this.#lookupL2<T>(text, options) : undefined
    if (found?.entry !== undefined) await this.#fillL1(l1Snapshot, [[text, found.entry]])
    this.#stats.count(found?.entry === undefined ? 'misses' : 'hits')
    this.#stats.read.record(performance.now() - started)
    return found?.entry !== undefined
      ? { entry: { ...found.entry, tier: 'l2' } }
      : { snapshot: new TieredSnapshot(this, l1Snapshot, found?.snapshot, performance.now()) }
  }

  /** L2's answer for one key (one L2 call for the failure handling); undefined when L2 failed. */
  #lookupL2<T>(text: string, options?: LookupOptions): Promise<Lookup<T> | undefined> {
    return this.#tier('l2', 'get', () => this.#judgedRead<T>(text, options), undefined)
  }

  /**
   * One key from L2: judged here when localTagCheck can (a plain GET), else L2's own checked lookup; failures
   * propagate.
   */
  async #judgedRead<T>(text: string, options?: LookupOptions): Promise<Lookup<T>> {
    return (await this.#coherence.lookup<T>(text)) ?? this.l2.lookup<T>(text, options)
  }

  /** One key L1 missed, from L2 (get's L1 miss, the L2-hit path: without getMany's arrays), filling L1. */
  async #readOneL2<T>(text: string): Promise<CacheEntry<T> | undefined> {
    if (!(await this.#coherence.usable())) return undefined
    const snapshot = await this.#fillSnapshot()
    const entry = this.#coherence.judging
      ? (await this.#lookupL2<T>(text))?.entry
      : await this.#tier('l2', 'get', () => this.l2.get<T>(text), undefined)
    if (entry !== undefined) await this.#fillL1(snapshot, [[text, entry]])
    return entry
  }

  /** Reads keys L1 missed from L2 and fills L1 with what it finds (when writeThroughL1). */
  async #readL2<T>(texts: string[]): Promise<Array<CacheEntry<T> | undefined>> {
    if (texts.length === 1) return [await this.#readOneL2<T>(texts[0]!)]
    if (!(await this.#coherence.usable())) return texts.map(() => undefined)
    const snapshot = await this.#fillSnapshot()
    // Judged here when localTagCheck can (plain GETs, sent together), each key L2 cannot judge read checked;
    // else L2's checked reads (one pipeline). Either way one L2 call: one breaker count, one failure reported.
    const judged = () => Promise.all(texts.map(async (text) => (await this.#judgedRead<T>(text)).entry))
    const none = texts.map(() => undefined)
    const found = this.#coherence.judging
      ? await this.#tier('l2', 'get', judged, none)
      : await this.#tier('l2', 'get', () => this.l2.getMany<T>(texts), none)
    await this.#fillL1(
      snapshot,
      found.flatMap((entry, i): Array<[string, CacheEntry<T>]> => (entry === undefined ? [] : [[texts[i]!, entry]])),
    )
    return found
  }

  /**
   * The L1 snapshot a fill from L2 is written under (when writeThroughL1), taken before L2 is read: an
   * invalidation that lands while L2 answers makes the fill stale.
   */
  #fillSnapshot(): Promise<CacheSnapshot | undefined> {
    if (!this.options.writeThroughL1) return Promise.resolve(undefined)
    return this.#tier('l1', 'snapshot', () => this.l1.snapshot(), undefined)
  }

  /**
   * Copies L2 hits into L1 (when writeThroughL1), with TTL = min(l1Ttl, remaining L2 TTL), under a snapshot taken
   * before the L2 read.
   */
  async #fillL1<T>(snapshot: CacheSnapshot | undefined, hits: Array<[string, CacheEntry<T>]>): Promise<void> {
    this.#l2Hits += hits.length
    if (!this.options.writeThroughL1 || snapshot === undefined || !this.#l1Trusted) return
    const fills: SetManyItem[] = []
    for (const [key, entry] of hits) {
      const ttl = Math.min(entry.remainingTtlMs / 1000, this.options.l1Ttl ?? Infinity, this.l1.maxTtl)
      if (ttl >= 0.001)
        fills.push({
          key,
          value: entry.value,
          options: { ttl, tags: entry.tags, snapshot, ...(entry.encoded ? { encoded: entry.encoded } : {}) },
        })
    }
    if (fills.length > 0) await this.#tier('l1', 'set', () => this.l1.setMany(fills), undefined)
  }

  set(key: KeyLike, value: unknown, options: SetOptions): Promise<void> {
    return this.setMany([{ key, value, options }])
  }

  override async setMany(items: readonly SetManyItem[]): Promise<void> {
    const started = performance.now()
    const l1Items: SetManyItem[] = []
    const l2Now: SetManyItem[] = []
    const l2Later: SetManyItem[] = []
    /** Keys L1 refused as too large: their L2 write is not left to the background (nothing here serves them). */
    let l1Refused: Set<string> | undefined
    for (const item of items) {
      const key = keyText(item.key)
      validateTtl(item.options.ttl, `TieredCache.set(${key})`, this.maxTtl)
      const l2Write = item.options.l2Write ?? this.options.l2Write
      if (l2Write !== 'sync' && l2Write !== 'async')
        throw new TypeError(`TieredCache.set(${key}): l2Write must be 'sync' or 'async', got ${String(l2Write)}`)
      const tags = tagTexts(item.options.tags)
      const snapshot = this.#ownSnapshot(item.options.snapshot)
      const toL1 = snapshot === undefined || snapshot.l1 !== undefined
      const toL2 = this.options.writeThroughL2 && (snapshot === undefined || snapshot.l2 !== undefined)
      // Written to L2 later: from a copy taken now, or a caller mutating its value meanwhile would change what L2
      // stores. L1 keeps that same copy (it is nobody else's), so a write-behind costs one copy, not two. A value
      // L1 refuses as too large is not copied: it goes to L2 now (below), as nothing here would serve it.
      const l1Refuses = toL1 && this.#l1Trusted && this.l1.refusesAsTooLarge?.(item.value) === true
      const copy = toL2 && l2Write === 'async' && !l1Refuses ? cloneValue(item.value) : undefined
      // Told too large once every tier it goes to refused it (L1 is written only while trusted).
      const told = item.options.onTooLarge
      const tiers = (toL1 && this.#l1Trusted ? 1 : 0) + (toL2 ? 1 : 0)
      let refused = 0
      const onTooLarge = told && (() => void (++refused === tiers && told(this.name)))
      // A tier whose snapshot failed cannot store race-safely: skip it (the other tier still gets the value).
      let l1Options: SetOptions | undefined
      if (toL1) {
        const options: SetOptions = {
          ttl: Math.min(item.options.ttl, this.options.l1Ttl ?? Infinity, this.l1.maxTtl),
          tags,
          ...(snapshot?.l1 ? { snapshot: snapshot.l1 } : {}),
          onTooLarge: () => {
            ;(l1Refused ??= new Set()).add(key)
            onTooLarge?.()
          },
        }
        l1Options = options
        l1Items.push(
          copy === undefined
            ? { key, value: item.value, options }
            : { key, value: copy, options: { ...options, owned: true } },
        )
      }
      if (toL2) {
        // "As of now" (no snapshot): as of the epoch heard over the bus where one is known (no round trip for it).
        const l2Snapshot = snapshot === undefined ? this.#coherence.localSnapshot() : snapshot.l2
        // Written to both tiers now (L2 first): L1 keeps the bytes L2 serialized instead of copying the value.
        // (A caller above, a TieredCache over this one, may want them too.)
        const keepsEncoded = copy === undefined && !l1Refuses ? l1Options : undefined
        const passOn = item.options.onEncoded
        const onEncoded =
          keepsEncoded || passOn
            ? (encoded: EncodedValue) => {
                if (keepsEncoded) keepsEncoded.encoded = encoded
                passOn?.(encoded)
              }
            : undefined
        const options = {
          ttl: Math.min(item.options.ttl, this.options.l2Ttl ?? Infinity, this.l2.maxTtl),
          tags,
          ...(l2Snapshot ? { snapshot: l2Snapshot } : {}),
          ...(onTooLarge ? { onTooLarge } : {}),
          ...(onEncoded ? { onEncoded } : {}),
        }
        if (copy !== undefined) l2Later.push({ key, value: copy, options })
        else l2Now.push({ key, value: item.value, options })
      }
    }
    const writeL1 = () =>
      l1Items.length === 0 || !this.#l1Trusted
        ? Promise.resolve()
        : this.#tier('l1', 'set', () => this.l1.setMany(l1Items), undefined)
    const writeL2 = (l2Items: SetManyItem[]): Promise<void> => {
      const write = () => this.#tier('l2', 'set', () => this.l2.setMany(l2Items), undefined)
      if (l2Items.length === 0) return Promise.resolve()
      // Nothing owed (the usual case): L2's write starts at once, its encoding done when this returns.
      if (this.#coherence.owesNothing) return write()
      return this.#coherence.usable().then((usable) => (usable ? write() : undefined))
    }
    if (this.options.l2Required) {
      // L1 takes the value only once the required tier has it.
      await writeL2(l2Now)
      await writeL1()
    } else {
      // L1 is written while L2's write is on the wire (after its encoding, whose bytes L1 keeps); both settle
      // before set resolves, and a failure of either is the caller's.
      const settled = await Promise.allSettled([writeL2(l2Now), writeL1()])
      for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason
    }
    if (l2Later.length > 0) {
      // A value L1 refused as too large goes to L2 now: the caller learns whether L2 refused it too.
      const refused = l1Refused ?? new Set<string>()
      const now = l2Later.filter((item) => refused.has(keyText(item.key)))
      const later = now.length === 0 ? l2Later : l2Later.filter((item) => !refused.has(keyText(item.key)))
      if (now.length > 0) await writeL2(now)
      if (later.length > 0) this.#inBackground(() => writeL2(later))
    }
    this.#stats.count('writes', items.length)
    this.#stats.write.record(performance.now() - started)
  }

  /** L2's lock (the shared tier). Without one, or with L2 failing, NO_LOCK: the caller goes ahead. */
  async lock(key: KeyLike, ttlMs: number): Promise<CacheLock | undefined> {
    const lock = this.l2.lock?.bind(this.l2)
    if (!lock || !(await this.#coherence.usable())) return NO_LOCK
    return this.#tier('l2', 'lock', () => lock(keyText(key), ttlMs), NO_LOCK)
  }

  async delete(key: KeyLike): Promise<boolean> {
    const text = keyText(key)
    this.#invalidationsByKind.keys++
    const inL2 = ((await this.#invalidateL2({ kind: 'key', key: text })) ?? 0) > 0
    const inL1 = await this.#tier('l1', 'delete', () => this.l1.delete(text), false)
    this.#stats.count('deletes')
    return inL1 || inL2
  }

  async has(key: KeyLike): Promise<boolean> {
    const text = keyText(key)
    if (this.#l1Trusted && (await this.#tier('l1', 'has', () => this.l1.has(text), false))) return true
    return (await this.#coherence.usable()) && this.#tier('l2', 'has', () => this.l2.has(text), false)
  }

  async snapshot(): Promise<CacheSnapshot> {
    const [l1, l2] = await Promise.all([
      this.#tier('l1', 'snapshot', () => this.l1.snapshot(), undefined),
      this.#coherence
        .usable()
        .then((usable) => (usable ? this.#tier('l2', 'snapshot', () => this.l2.snapshot(), undefined) : undefined)),
    ])
    return new TieredSnapshot(this, l1, l2, performance.now())
  }

  async invalidateTags(tags: readonly TagLike[]): Promise<void> {
    const texts = tagTexts(tags)
    this.#stats.count('invalidations')
    this.#invalidationsByKind.tags++
    await this.#invalidateL2({ kind: 'tags', tags: texts })
    await this.#tier('l1', 'invalidateTags', () => this.l1.invalidateTags(texts), undefined)
  }

  async invalidatePattern(pattern: KeyPattern | string): Promise<number> {
    const glob = KeyPattern.from(pattern).glob
    this.#stats.count('invalidations')
    this.#invalidationsByKind.patterns++
    const inL2 = (await this.#invalidateL2({ kind: 'pattern', pattern: glob })) ?? 0
    const inL1 = await this.#tier('l1', 'invalidatePattern', () => this.l1.invalidatePattern(glob), 0)
    return Math.max(inL1, inL2)
  }

  async clear(): Promise<void> {
    this.#stats.count('invalidations')
    this.#invalidationsByKind.clears++
    await this.#invalidateL2({ kind: 'clear' })
    await this.#tier('l1', 'clear', () => this.l1.clear(), undefined)
  }

  /** Entries in the larger tier (L2 normally holds a superset of L1). */
  async size(): Promise<number> {
    const [a, b] = await Promise.all([
      this.#tier('l1', 'size', () => this.l1.size(), 0),
      this.#tier('l2', 'size', () => this.l2.size(), 0),
    ])
    return Math.max(a, b)
  }

  stats(): TieredCacheStats {
    const coherence = this.#coherence.stats()
    return {
      ...this.#stats.snapshot(),
      l1Hits: this.#l1Hits,
      l2Hits: this.#l2Hits,
      l2LocalChecks: coherence.localChecks,
      invalidationsByKind: { ...this.#invalidationsByKind },
      errorsByTier: { ...this.#errorsByTier },
      pendingL2Invalidations: coherence.pending,
      ...(coherence.bus ? { bus: coherence.bus } : {}),
      ...(this.#breaker
        ? { l2Circuit: { state: this.#breaker.state, opens: this.#breaker.opens, skipped: this.#skippedByBreaker } }
        : {}),
      tiers: { l1: this.l1.stats(), l2: this.l2.stats() },
    }
  }

  /** The state of each tier, the bus and the L2 circuit breaker. Never throws. */
  /** {@link health}: how a TieredCache answers as a tier of another, or to the Prisma layer. */
  healthCheck(): Promise<TieredHealth> {
    return this.health()
  }

  async health(): Promise<TieredHealth> {
    const check = async (backend: CacheBackend): Promise<TierHealth> => {
      if (!backend.healthCheck) return { ok: true, name: backend.name }
      const { ok, error, latencyMs } = await backend
        .healthCheck()
        .catch((error: unknown): BackendHealth => ({ ok: false, error: String(error) }))
      return {
        name: backend.name,
        ok,
        ...(error === undefined ? {} : { error }),
        ...(latencyMs === undefined ? {} : { latencyMs }),
      }
    }
    const [l1, l2] = await Promise.all([check(this.l1), check(this.l2)])
    const circuit = this.#breaker?.state
    const l2Whole = l2.ok && (circuit === undefined || circuit === 'closed') && this.#coherence.stats().pending === 0
    const status: HealthStatus =
      !l1.ok || (!l2.ok && this.options.l2Required)
        ? 'down'
        : l2Whole && (this.bus?.connected ?? true)
          ? 'ok'
          : 'degraded'
    return {
      ok: status === 'ok',
      status,
      l1: { ...l1, trusted: this.#l1Trusted },
      l2: { ...l2, pendingInvalidations: this.#coherence.stats().pending, ...(circuit ? { circuit } : {}) },
      ...(this.bus ? { bus: { connected: this.bus.connected } } : {}),
    }
  }

  /** Resolves when every background (write-behind) L2 write has settled. */
  async flush(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background])
  }

  /**
   * Waits for background L2 writes, then closes both tiers and the bus: what they opened themselves, and the
   * clients you passed in too with `{ clients: true }`.
   */
  async close(options?: CloseOptions): Promise<void> {
    this.#coherence.close()
    await this.flush()
    await Promise.allSettled([this.l1.close(options), this.l2.close(options), this.bus?.close(options)])
  }

  // ---- failure handling ----------------------------------------------------------------------------------

  /**
   * Runs a tier operation: a failure of a required tier throws CacheTierError, any other is counted and answered by
   * `fallback`.
   */
  async #tier<T>(tier: TierName, operation: string, run: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return tier === 'l2' ? await this.#callL2(operation, run) : await run()
    } catch (error) {
      const required = tier === 'l1' ? this.options.l1Required : this.options.l2Required
      if (error instanceof CircuitOpenError && !required) return fallback
      this.#report(tier, operation, error, required)
      if (required) throw new CacheTierError(tier, operation, error)
      return fallback
    }
  }

  /**
   * Every call to L2 goes through the circuit breaker: while it is open, reads and writes of entries do not call
   * L2 at all. Invalidations and bus messages are `forced`: skipping them would leave stale entries behind
   * (or keep other instances' L1s stale) once L2 is back, so they are always attempted, within the timeout.
   */
  #callL2<T>(operation: string, run: () => Promise<T>, force = false): Promise<T> {
    if (!this.#breaker) return run()
    return this.#breaker
      .run(() => `L2 (${this.l2.name}) ${operation}`, run, force)
      .catch((error: unknown) => {
        if (error instanceof CircuitOpenError) this.#skippedByBreaker++
        throw error
      })
  }

  #report(tier: TierName, operation: string, error: unknown, failed: boolean): void {
    this.#errorsByTier[tier]++
    this.#stats.count('errors')
    this.#emit({ type: 'tier-error', tier, operation, error, failed })
  }

  #emit(event: TieredCacheEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // A throwing listener must not turn a tolerated failure into a failed query.
      }
    }
  }

  /** An invalidation to L2 (owed if L2 fails or is down), then to the other instances (see Coherence.invalidate). */
  async #invalidateL2(invalidation: OwedInvalidation): Promise<number | undefined> {
    // A write-behind still in flight must land before the invalidation, or it would land after it, fresh.
    if (this.#background.size > 0) await this.flush()
    return this.#coherence.invalidate(invalidation)
  }

  /**
   * Write-behind: the task starts on the next turn of the event loop, so even its synchronous part (serializing
   * the value) is off the caller's path.
   */
  #inBackground(task: () => Promise<void>): void {
    const promise = new Promise<void>((resolve) => setImmediate(resolve))
      .then(task)
      .catch((error: unknown) => this.#report('l2', 'set (write-behind)', error, false))
      .finally(() => this.#background.delete(promise))
    this.#background.add(promise)
  }

  #ownSnapshot(snapshot: CacheSnapshot | undefined): TieredSnapshot | undefined {
    if (snapshot === undefined) return undefined
    if (!(snapshot instanceof TieredSnapshot) || snapshot.owner !== this)
      throw new TypeError(`TieredCache.set: the snapshot was not taken from this cache (${this.name})`)
    return snapshot
  }
}

function isBackend(value: unknown): value is CacheBackend {
  return (
    typeof value === 'object' &&
    value !== null &&
    ['get', 'set', 'snapshot', 'invalidateTags'].every(
      (m) => typeof (value as Record<string, unknown>)[m] === 'function',
    )
  )
}
