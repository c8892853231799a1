import type { ChangeFeedStatus } from './change-feed/change-feed.js'
import { LRUCache } from 'lru-cache'
import {
  type CacheBackend,
  type CacheEntry,
  type CacheSnapshot,
  type Lookup,
  type LookupOptions,
  NO_LOCK,
} from '../cache/backend.js'
import { Coalescer } from '../cache/coalescer.js'
import { cloneValue } from '../cache/clone.js'
import { CacheTierError } from '../cache/errors.js'
import { CacheKey } from '../cache/key.js'
import { escapeGlob, KeyPattern } from '../cache/pattern.js'
import type { CacheStats } from '../cache/stats.js'
import { type TagLike, tagTexts } from '../cache/tag.js'
import { type OptionResolver, type ResolvedCacheOption, resolveCacheOption } from './cache-option.js'
import type { DataModel } from './data-model.js'
import type { CacheInfo } from './types.js'
import type { ResolvedExtensionOptions } from './options.js'
import { rawSqlTags } from './raw-sql.js'
import { planRead, type ReadOperation, type ReadPlan, resultTags } from './read-plan.js'
import { annotateActiveSpan } from './otel.js'
import { modelTag } from './tags.js'
import { PendingInvalidations } from './transactions.js'
import { type WriteOperation, writeTags } from './write-tags.js'

/** The `cache` argument of cacheExtension's read methods. */
export const CACHE_ARGUMENT: OptionResolver = {
  argument: 'cache',
  extension: 'cacheExtension',
  resolve: resolveCacheOption,
  bypassHint: ' (cache: false is allowed)',
}

/** Counters per model, next to the backend's own stats. */
export interface ModelStats {
  hits: number
  misses: number
  /** Reads that did not use the cache (cache: false, model disabled, inside a transaction, not opted in). */
  bypasses: number
  /** Entries served stale (within their swr window) while a refresh ran. */
  staleHits: number
  /** Background refreshes started by stale hits. */
  refreshes: number
  /** Misses answered by another instance's query (cross-instance coalescing). */
  coalesced: number
  /** Cache failures tolerated (the query was answered from the database). */
  errors: number
  /** Writes (and raw statements) that invalidated tags of this model. */
  invalidations: number
  /**
   * Results not cached because they were over every tier's bound for one entry (refused, or not offered again
   * while the key is remembered as too large). Each is a miss with `reason: 'tooLarge'` in withCacheInfo/onEvent.
   */
  tooLarge: number
}

export interface PrismaCacheStats {
  /** The change feed's position and lag, when the extension has one. */
  changeFeed?: ChangeFeedStatus
  cache: CacheStats
  models: Record<string, ModelStats>
  /** Writes that invalidated, by operation (create, update, ..., raw, raw (everything)). */
  invalidationsByOperation: Record<string, number>
}

export type { CacheEvent, CacheInfo } from './types.js'

interface Filled<T> {
  value: T
  tags: readonly string[]
  coalesced: boolean
  /** Whether the result was handed to the cache (a snapshot was available) and kept by it. */
  stored: boolean
  /** The cache refused it as too large (or it was not offered: the key is remembered as too large). */
  tooLarge?: boolean
}

/** How long a key whose result was too large is not offered to the cache again (at most its ttl + swr). */
const TOO_LARGE_MEMORY_MS = 60_000

/** One read ready to run through the cache. */
export interface PlannedRead {
  plan: ReadPlan
  option: ResolvedCacheOption
  storedKey: string
  orThrow: boolean
  /** The tags the entry is expected to carry, for the shared tier's lookup. */
  lookupOptions: LookupOptions
}

/**
 * The Prisma-facing engine behind the extension, free of Prisma's client objects (so it is testable and the
 * extension file stays about wiring): plans reads, runs them through the cache race-safely, derives and
 * applies invalidations, keeps per-model stats.
 */
export class PrismaCache {
  readonly cache: CacheBackend
  readonly dataModel: DataModel
  readonly pending = new PendingInvalidations()
  /**
   * Where this engine's keys live: the user's `namespace` (if any) and the schema fingerprint, so a changed
   * schema never reads old shapes. Each client shape adds its own part ({@link scope}).
   */
  readonly namespace: string
  /** The scopes this engine has stored under (one per client shape), for key invalidation. */
  readonly #scopes = new Set<string>()
  readonly #options: ResolvedExtensionOptions
  readonly #coalescer = new Coalescer()
  /**
   * Flights (key@snapshot version) that stored their result in the last second, with when they ended. A reader
   * whose lookup started before such a flight ended, and that arrives once it is over, reads the cache again
   * instead of querying: "N concurrent misses, one query" holds however late the cache's answers to the N
   * lookups come. A reader whose lookup started later missed an entry that was already gone (evicted,
   * deleted): it queries at once.
   */
  readonly #recentFills = new LRUCache<string, number>({ max: 10_000, ttl: 1_000 })
  readonly #stats = new Map<string, ModelStats>()
  /**
   * Keys whose last result the cache refused as too large: their next fills are not offered (nor copied or
   * serialized) for a while. A write invalidating them does not matter: the next result is as large, most likely.
   */
  readonly #tooLarge = new LRUCache<string, true>({ max: 10_000, ttl: TOO_LARGE_MEMORY_MS, ttlAutopurge: false })
  readonly #writes = new Map<string, number>()
  /** The backend's, read once (a TieredCache computes it). */
  readonly #maxTtl: number

  constructor(cache: CacheBackend, dataModel: DataModel, options: ResolvedExtensionOptions) {
    this.cache = cache
    this.#maxTtl = cache.maxTtl
    this.dataModel = dataModel
    this.#options = options
    this.namespace = `${options.namespace === undefined ? '' : `${options.namespace}:`}${dataModel.fingerprint}.`
    for (const [name, model] of options.models) {
      if (!dataModel.models.has(name))
        throw new TypeError(
          `prisma-tiered-cache: cacheExtension({ models }) names "${name}", which is not a model of this schema (models: ${[...dataModel.models.keys()].join(', ')})`,
        )
      if (model !== false)
        checkMaxTtl(`models.${name}`, model.ttl ?? options.ttl, model.swr ?? options.swr, cache.maxTtl)
    }
    checkMaxTtl('ttl', options.ttl, options.swr, cache.maxTtl)
    if (dataModel.mismatches.length > 0) this.#reportMismatches(dataModel.mismatches)
  }

  /** Reported once: the cache works on (over-invalidating where they are), but the user should know. */
  #reportMismatches(mismatches: readonly string[]): void {
    this.#options.onEvent?.({ type: 'data-model', mismatches })
    const message =
      `prisma-tiered-cache: the schema text does not match the client's data model; writes to the models ` +
      `involved invalidate more than they would (never less):\n  ${mismatches.join('\n  ')}`
    try {
      this.#options.onError?.(new Error(message), { model: undefined, operation: 'data model' })
    } catch {
      // A throwing onError must not fail the client's creation.
    }
  }

  /**
   * Decides whether and how a read uses the cache. Validates the `cache` argument first (throws naming the
   * model, operation and field). Undefined: run the query as is.
   */
  /**
   * The key prefix for one client shape (see clientShapeFingerprint): `<namespace><shape>/`. Keys of every
   * shape are invalidated together by tags, patterns and keys.
   */
  scope(shape: string): string {
    const scope = `${this.namespace}${shape}/`
    this.#scopes.add(scope)
    return scope
  }

  planRead(
    model: string,
    operation: ReadOperation,
    cacheArg: unknown,
    args: Record<string, unknown>,
    inTransaction: boolean,
    scope = '',
    resolver: OptionResolver = CACHE_ARGUMENT,
  ): PlannedRead | undefined {
    const modelOptions = this.#options.models.get(model)
    const auto = modelOptions === undefined ? this.#options.auto : modelOptions !== false && (modelOptions.auto ?? true)
    const defaults = {
      ttl: cacheArg === undefined && !auto ? undefined : ((modelOptions || undefined)?.ttl ?? this.#options.ttl),
      swr: (modelOptions || undefined)?.swr ?? this.#options.swr,
    }
    const option = resolver.resolve(cacheArg, defaults, { model, operation })
    if (modelOptions === false && option !== undefined && cacheArg !== undefined) {
      // An explicit request to cache a model configured never to be cached: say so rather than bypass silently.
      throw new TypeError(
        `prisma-tiered-cache: ${model}.${operation} passes \`${resolver.argument}\`, but ${resolver.extension}({ models: ` +
          `{ ${model}: false } }) says this model is never cached: remove one of the two${resolver.bypassHint}`,
      )
    }
    if (option !== undefined && option.ttl + option.swr > this.#maxTtl) {
      throw new RangeError(
        `prisma-tiered-cache: invalid \`cache\` on ${model}.${operation}: ttl + swr (${option.ttl + option.swr}s) exceeds ` +
          `the cache's maxTtl of ${this.#maxTtl}s (raise maxTtl in the backend's options)`,
      )
    }
    // A view nobody said the tables of (or a model the schema text lacks, which could be one): its rows change
    // with no write the cache could see.
    const info = this.dataModel.models.get(model)
    const unknownView = info !== undefined && info.kind !== 'model' && info.viewReads === undefined
    if (info?.kind === 'view' && unknownView && option !== undefined && cacheArg !== undefined) {
      throw new TypeError(
        `prisma-tiered-cache: ${model}.${operation} passes \`${resolver.argument}\`, but ${model} is a view whose ` +
          `tables the cache does not know: declare them, e.g. ${resolver.extension}({ views: { ${model}: ['Model', ...] } })` +
          resolver.bypassHint,
      )
    }
    if (option === undefined || modelOptions === false || inTransaction || unknownView) {
      this.#model(model).bypasses++
      return undefined
    }
    const plan = planRead(this.dataModel, model, operation, args)
    const storedKey = scope + (option.key ?? plan.key.toString())
    const expectedTags =
      plan.expectedTags && (option.tags.length === 0 ? plan.expectedTags : [...plan.expectedTags, ...option.tags])
    const lookupOptions = expectedTags ? { expectedTags } : {}
    return {
      plan,
      option,
      storedKey,
      orThrow: operation === 'findUniqueOrThrow' || operation === 'findFirstOrThrow',
      lookupOptions,
    }
  }

  /** Serves a read from the cache, or runs it once per key on this instance and stores the result race-safely. */
  async read<T>(read: PlannedRead, query: () => PromiseLike<T>): Promise<T> {
    return (await this.readWithInfo(read, query)).data
  }

  /** {@link read}, plus where the answer came from (`withCacheInfo()`). */
  async readWithInfo<T>(read: PlannedRead, query: () => PromiseLike<T>): Promise<{ data: T; info: CacheInfo }> {
    const model = read.plan.model.name
    const stats = this.#model(model)
    const key = read.option.key ?? read.plan.key.toString()
    const lookupStarted = performance.now()
    const found = await this.#lookup<T>(model, read)
    let hit = usable(found?.entry, read.orThrow)
    let snapshot: CacheSnapshot | undefined
    let flight = ''
    if (hit === undefined) {
      // Readers share one query only if they saw the same invalidation history (the snapshot version): a reader
      // arriving after a write must not be handed the answer of a query that started before it.
      snapshot = found?.snapshot ?? (await this.#tolerate(model, 'snapshot', () => this.cache.snapshot(), undefined))
      flight = `${read.orThrow ? `${read.storedKey}!` : read.storedKey}@${snapshot?.version ?? performance.now()}`
      if (!this.#coalescer.has(flight) && lookupStarted < (this.#recentFills.get(flight) ?? -Infinity)) {
        hit = usable(
          (
            await this.#tolerate(
              model,
              'get',
              () => this.cache.lookup<T>(read.storedKey, read.lookupOptions),
              undefined,
            )
          )?.entry,
          read.orThrow,
        )
      }
    }
    if (hit !== undefined) {
      // Stale-while-revalidate: entries live ttl + swr; in the last swr seconds they are served at once while
      // one background refresh runs. An invalidated entry never gets here (the tag check comes first).
      // ttl 0 (Accelerate's `swr` alone): always stale, whatever a tier's clock rounding says is left.
      const stale = read.option.swr > 0 && (read.option.ttl === 0 || hit.remainingTtlMs <= read.option.swr * 1000)
      if (stale) {
        stats.staleHits++
        this.#refresh(read, query)
      } else stats.hits++
      const ageMs = Math.max(0, (read.option.ttl + read.option.swr) * 1000 - hit.remainingTtlMs)
      const source = stale ? 'stale' : (hit.tier ?? 'l1')
      const info: CacheInfo = { source, key, tags: hit.tags, ttlLeftMs: hit.remainingTtlMs, ageMs }
      this.#observe(model, read.plan.operation, info)
      return { data: hit.value, info }
    }
    stats.misses++
    const { promise, joined } = this.#coalescer.run(flight, () => this.#fill(read, query, snapshot))
    const filled = await promise
    if (!joined && filled.stored) this.#recentFills.set(flight, performance.now())
    const source = joined || filled.coalesced ? 'coalesced' : 'db'
    if (filled.tooLarge && !joined) stats.tooLarge++
    // Nothing was stored: no time left to claim (and, when too large, why).
    const ttlLeftMs = filled.stored ? (read.option.ttl + read.option.swr) * 1000 : undefined
    const info: CacheInfo = {
      source,
      key,
      tags: filled.tags,
      ttlLeftMs,
      ageMs: 0,
      ...(filled.tooLarge ? { reason: 'tooLarge' as const } : {}),
    }
    this.#observe(model, read.plan.operation, info)
    return { data: joined ? cloneValue(filled.value) : filled.value, info }
  }

  /** Reports a read to OpenTelemetry (the active span's attributes) and to onEvent. */
  #observe(model: string, operation: string, info: CacheInfo): void {
    annotateActiveSpan(info)
    this.#options.onEvent?.({ type: info.source === 'db' ? 'miss' : 'hit', model, operation, ...info })
  }

  /**
   * A miss: with cross-instance coalescing, only the instance holding the key's lock queries; the others wait
   * (bounded) for its result, and query themselves if it does not come (the holder may have died).
   */
  async #fill<T>(read: PlannedRead, query: () => PromiseLike<T>, taken: CacheSnapshot | undefined): Promise<Filled<T>> {
    const coalesce = this.#options.coalesce
    const lock = coalesce && this.cache.lock?.bind(this.cache)
    if (!coalesce || !lock) return this.#queryAndStore(read, query, taken)
    const model = read.plan.model.name
    const held = await this.#tolerate(model, 'lock', () => lock(read.storedKey, coalesce.lockTtlMs), NO_LOCK)
    if (held === undefined) {
      const deadline = performance.now() + coalesce.waitMs
      while (performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        const found = await this.#lookup<T>(model, read)
        const entry = usable(found?.entry, read.orThrow)
        if (entry !== undefined) {
          this.#model(model).coalesced++
          return { value: entry.value, tags: entry.tags, coalesced: true, stored: false }
        }
      }
      return this.#queryAndStore(read, query, taken)
    }
    try {
      return await this.#queryAndStore(read, query, taken)
    } finally {
      held.release().catch(() => undefined)
    }
  }

  /** Runs the query and stores its result under a snapshot taken before it (docs/design.md, the race). */
  async #queryAndStore<T>(
    read: PlannedRead,
    query: () => PromiseLike<T>,
    taken: CacheSnapshot | undefined,
  ): Promise<Filled<T>> {
    const model = read.plan.model.name
    const snapshot = taken ?? (await this.#tolerate(model, 'snapshot', () => this.cache.snapshot(), undefined))
    const value = await query()
    const tags = [...resultTags(read.plan, value), ...read.option.tags]
    if (this.#tooLarge.get(read.storedKey)) return { value, tags, coalesced: false, stored: false, tooLarge: true }
    let tooLarge = false
    if (snapshot !== undefined) {
      const ttl = read.option.ttl + read.option.swr
      const l2Write = this.#options.backgroundFill ? ('async' as const) : undefined
      const onTooLarge = () => {
        tooLarge = true
        this.#tooLarge.set(read.storedKey, true, { ttl: Math.min(TOO_LARGE_MEMORY_MS, ttl * 1000) })
      }
      const options = { ttl, tags, snapshot, onTooLarge, ...(l2Write ? { l2Write } : {}) }
      await this.#tolerate(model, 'set', () => this.cache.set(read.storedKey, value, options), undefined)
    }
    return { value, tags, coalesced: false, stored: snapshot !== undefined && !tooLarge, tooLarge }
  }

  /** One background refresh per key on this instance; its failure is reported, never thrown at a reader. */
  #refresh<T>(read: PlannedRead, query: () => PromiseLike<T>): void {
    const model = read.plan.model.name
    const { promise, joined } = this.#coalescer.run(`${read.storedKey}~refresh`, () =>
      this.#fill(read, query, undefined),
    )
    if (joined) return
    this.#model(model).refreshes++
    promise.catch((error: unknown) => this.#reportError(error, model, 'refresh'))
  }

  /** Invalidates what a model write changed — now, or when its interactive transaction commits. */
  async afterWrite(
    model: string,
    operation: WriteOperation,
    args: Record<string, unknown>,
    result: unknown,
    transactionId: string | undefined,
  ): Promise<void> {
    // TTL-only (withAccelerate({ invalidateOnWrite: false })): entries live out their TTL whatever is written.
    if (!this.#options.invalidateOnWrite) return
    this.#countWrite(operation)
    await this.#apply(writeTags(this.dataModel, model, operation, args, result), transactionId)
  }

  /** Invalidates what a raw statement may have changed. */
  async afterRaw(sql: string, transactionId: string | undefined): Promise<void> {
    if (!this.#options.invalidateOnWrite) return
    const tags = rawSqlTags(this.dataModel, sql)
    if (tags === undefined) return
    this.#countWrite(tags === 'all' ? 'raw (everything)' : 'raw')
    await this.#apply(tags, transactionId)
  }

  /** Applies tags (or 'all': every model) now, unless they belong to an open interactive transaction. */
  async #apply(tags: Set<string> | 'all', transactionId: string | undefined): Promise<void> {
    if (transactionId !== undefined && this.pending.add(transactionId, tags)) return
    await this.applyNow(tags)
  }

  async applyNow(tags: Set<string> | 'all'): Promise<void> {
    const list = tags === 'all' ? [...this.dataModel.models.keys()].map(modelTag) : [...tags]
    if (list.length === 0) return
    this.#options.onEvent?.({ type: 'invalidate', tags: tags === 'all' ? 'all' : list, transactionId: undefined })
    for (const name of this.dataModel.models.keys()) {
      if (list.some((tag) => tag === name || tag.startsWith(`${name}:`))) this.#model(name).invalidations++
    }
    // Not tolerated: a write whose invalidation fails would leave stale entries behind. TieredCache already
    // tolerates an optional failing L2 (and remembers what it missed); what reaches here is a real failure.
    await this.cache.invalidateTags(list)
  }

  /** Every entry this engine's schema can have written (every model tag: each cached read carries its model's). */
  async invalidateAll(): Promise<void> {
    await this.applyNow('all')
  }

  /** `prisma.$cache.invalidate(...)`. */
  async invalidate(what: {
    tags?: readonly TagLike[]
    patterns?: readonly (KeyPattern | string)[]
    keys?: readonly (CacheKey | string)[]
  }): Promise<void> {
    const tags = tagTexts(what.tags)
    if (tags.length > 0) await this.cache.invalidateTags(tags)
    // Every client shape's scope: `<namespace><shape>/`, the shape part matched by `*` (it holds no `/`).
    // A backend that cannot match keys is cleared instead: never less removed than asked.
    if ((what.patterns ?? []).length > 0 && !this.cache.capabilities.patterns) await this.cache.clear()
    else
      for (const pattern of what.patterns ?? [])
        await this.cache.invalidatePattern(`${escapeGlob(this.namespace)}*/${KeyPattern.from(pattern).glob}`)
    // Keys: in the scopes this instance stores under (another instance's client shapes: use tags or patterns).
    for (const key of what.keys ?? []) for (const scope of this.#scopes) await this.cache.delete(scope + String(key))
  }

  /** The key a read is stored under (without the schema namespace). */
  keyFor(model: string, operation: ReadOperation, args: Record<string, unknown> = {}): CacheKey {
    return planRead(this.dataModel, model, operation, args).key
  }

  stats(): PrismaCacheStats {
    return {
      cache: this.cache.stats(),
      models: Object.fromEntries([...this.#stats].map(([name, s]) => [name, { ...s }])),
      invalidationsByOperation: Object.fromEntries(this.#writes),
    }
  }

  #countWrite(operation: string): void {
    this.#writes.set(operation, (this.#writes.get(operation) ?? 0) + 1)
  }

  #model(name: string): ModelStats {
    let stats = this.#stats.get(name)
    if (!stats)
      this.#stats.set(
        name,
        (stats = {
          hits: 0,
          misses: 0,
          staleHits: 0,
          refreshes: 0,
          coalesced: 0,
          bypasses: 0,
          errors: 0,
          invalidations: 0,
          tooLarge: 0,
        }),
      )
    return stats
  }

  /** The read's entry (or the snapshot its miss brings); undefined when the cache failed (tolerated, counted). */
  #lookup<T>(model: string, read: PlannedRead): Promise<Lookup<T> | undefined> {
    return this.#tolerate(model, 'get', () => this.cache.lookup<T>(read.storedKey, read.lookupOptions), undefined)
  }

  /** A cache failure must not fail the query, unless the user made that tier required (CacheTierError). */
  async #tolerate<T, F>(model: string, operation: string, run: () => Promise<T>, fallback: F): Promise<T | F> {
    try {
      return await run()
    } catch (error) {
      if (error instanceof CacheTierError) throw error
      this.#reportError(error, model, operation)
      return fallback
    }
  }

  #reportError(error: unknown, model: string, operation: string): void {
    this.#model(model).errors++
    this.#options.onEvent?.({ type: 'error', model, operation, error })
    try {
      this.#options.onError?.(error, { model, operation })
    } catch {
      // A throwing onError must not fail the query either.
    }
  }
}

/**
 * An entry that answers the read: a cached null is not an answer for the OrThrow variants (they ask the database,
 * which throws).
 */
function usable<T>(entry: CacheEntry<T> | undefined, orThrow: boolean): CacheEntry<T> | undefined {
  return entry !== undefined && !(orThrow && entry.value === null) ? entry : undefined
}

/** Entries live ttl + swr: a default longer than the backend keeps anything is an error at start-up. */
function checkMaxTtl(field: string, ttl: number, swr: number, maxTtl: number): void {
  if (ttl + swr > maxTtl) {
    throw new RangeError(
      `prisma-tiered-cache: cacheExtension({ ${field} }): ttl + swr (${ttl + swr}s) exceeds the cache's maxTtl of ` +
        `${maxTtl}s (raise maxTtl in the backend's options)`,
    )
  }
}
