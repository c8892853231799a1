import { createHash } from 'node:crypto'
import { Prisma } from '@prisma/client/extension'
import type { CacheBackend, CloseOptions } from '../cache/backend.js'
import type { CacheKey } from '../cache/key.js'
import { MemoryCache } from '../cache/memory-cache.js'
import { NoopCache } from '../cache/noop-cache.js'
import type { KeyPattern } from '../cache/pattern.js'
import type { TagLike } from '../cache/tag.js'
import { TieredCache } from '../cache/tiered-cache.js'
import type { TieredHealth } from '../cache/tiered-status.js'
import type { AcceleratePromise } from './accelerate-types.js'
import type { CacheOption } from './cache-option.js'
import { CachedReads, type Delegate, type ModelContext, type ReadSurface, TRANSACTION_SCOPE } from './cached-reads.js'
import { clientShapeFingerprint } from './client-shape.js'
import type { ChangeFeed } from './change-feed/change-feed.js'
import { buildDataModel, type RuntimeDataModel } from './data-model.js'
import { type CacheExtensionOptions, type ResolvedExtensionOptions, resolveExtensionOptions } from './options.js'
import { CACHE_ARGUMENT, PrismaCache, type PrismaCacheStats } from './prisma-cache.js'
import type { CachedPrismaPromise } from './prisma-promise.js'
import { READ_OPERATIONS, type ReadOperation } from './read-plan.js'
import { registerPrismaTypes } from './serializer.js'
import { WRITE_OPERATIONS, type WriteOperation } from './write-tags.js'

export type { ReadSurface, SurfaceRead } from './cached-reads.js'

/** The `cache` argument every cached read method accepts. */
export type CacheArgs = { cache?: CacheOption }

/** The reads that have Prisma's fluent API (`findUnique(...).posts()`). */
type FluentRead = 'findUnique' | 'findUniqueOrThrow' | 'findFirst' | 'findFirstOrThrow'

/** The payload (Prisma's type of a model's rows and relations) behind a model method's `this`. */
type PayloadOf<T> = T extends { [K: symbol]: { types: { payload: infer P } } } ? P : never
type ObjectsOf<P> = P extends { objects: infer O } ? O : never
type SelectOf<T, Op extends FluentRead> = NonNullable<Prisma.Args<T, Op>['select']>
type RelationArgs<Select, K> = K extends keyof Select ? Exclude<Select[K], boolean | null | undefined> : never
/** A relation's value in the result of `{ select: { [K]: A } }` on rows of `P` (Prisma's `Path<GetResult, [K]>`). */
type RelationResult<P, K extends PropertyKey, A, Op extends FluentRead> =
  NonNullable<
    Prisma.Result<{ [S: symbol]: { types: { payload: P } } }, { select: { [F in K]: A } }, Op>
  > extends infer R
    ? K extends keyof R
      ? R[K]
      : never
    : never

/**
 * Prisma's fluent API on a cached read: `user.findUnique({ where, cache: 60 }).posts(args)` reads
 * `findUnique({ where, select: { posts: args }, cache: 60 })` (cached the same way, keyed and tagged as that read)
 * and answers its `posts`; a to-one relation chains on (`post.findFirst(...).author().profile()`), as Prisma's
 * does. Typed as Prisma types it (DynamicModelExtensionFluentApi): the relation's rows, `| null` for findUnique and
 * findFirst and after an optional relation. `P` is the rows' payload, `Select` their `select` argument type.
 */
export type CachedFluentApi<P, Select, Op extends FluentRead, Null, Surface extends SurfaceName = 'cache'> = {
  [K in keyof ObjectsOf<P> & keyof Select]: <FA>(
    args?: Prisma.Exact<FA, RelationArgs<Select, K>>,
  ) => SurfacePromises<RelationResult<P, K, FA, Op> | Null>[Surface] &
    (ObjectsOf<P>[K] extends readonly unknown[]
      ? unknown
      : RelationArgs<Select, K> extends { select?: infer S }
        ? CachedFluentApi<NonNullable<ObjectsOf<P>[K]>, NonNullable<S>, Op, Null | NullIn<ObjectsOf<P>[K]>, Surface>
        : unknown)
}

/** The front ends: cacheExtension's (`cache`), withAccelerate's (`cacheStrategy`). */
export type SurfaceName = keyof SurfacePromises<unknown>

/** The promise each front end's read methods return: cacheExtension's, withAccelerate's. */
export interface SurfacePromises<R> {
  cache: CachedPrismaPromise<R>
  accelerate: AcceleratePromise<R>
}

/** The fluent API of a read method called on `T` (a model of the extended client). */
export type FluentOf<T, Op extends FluentRead, Surface extends SurfaceName = 'cache'> = CachedFluentApi<
  PayloadOf<T>,
  SelectOf<T, Op>,
  Op,
  Op extends 'findUnique' | 'findFirst' ? null : never,
  Surface
>
/** `null` when an optional relation's value can be null. */
type NullIn<V> = null extends V ? null : never

/** One read for `prisma.$cache.warm()`. */
export interface WarmRead {
  model: string
  operation: ReadOperation
  args?: Record<string, unknown>
  /** Default: the extension's TTL. */
  cache?: Exclude<CacheOption, false>
}

/**
 * What `prisma.$cache.health()` answers for a backend: a TieredCache (and any backend other than MemoryCache and
 * NoopCache, which the extension puts behind one) tells each tier, the bus and the circuit breaker.
 */
export type CacheHealthOf<Backend extends CacheBackend> = Backend extends MemoryCache | NoopCache
  ? { ok: boolean }
  : MemoryCache extends Backend
    ? { ok: boolean } & Partial<Omit<TieredHealth, 'ok'>> // any backend: the parts are there for a TieredCache
    : TieredHealth

/** `prisma.$cache`. */
export interface CacheApi<Backend extends CacheBackend = CacheBackend> {
  /**
   * Invalidates by tags (`'User'`, `'User:id=1'`, EntityTag), by key patterns (`'User:*'`, KeyPattern), and by
   * keys.
   */
  invalidate(what: {
    tags?: readonly TagLike[]
    patterns?: readonly (KeyPattern | string)[]
    keys?: readonly (CacheKey | string)[]
  }): Promise<void>
  /** Empties the cache backend (every entry in it, this extension's or not). */
  clear(): Promise<void>
  /** The backend's stats (per tier for a TieredCache) and per-model counters. */
  stats(): PrismaCacheStats
  /**
   * Runs reads and stores their results (skipping those already cached), at most `concurrency` at a time.
   * A read that fails is reported in `failed`, never thrown.
   */
  warm(
    reads: readonly WarmRead[],
    options?: { concurrency?: number },
  ): Promise<{ warmed: number; failed: Array<{ read: WarmRead; error: unknown }> }>
  /** Resolves when the background writes of earlier misses (`backgroundFill`) have reached the shared tier. */
  flush(): Promise<void>
  /**
   * The state of each tier, the bus and the circuit breaker (`{ ok: true }` for a single in-process tier). Never
   * throws.
   */
  health(): Promise<CacheHealthOf<Backend>>
  /**
   * Shutdown: waits for background writes, stops the bus, and closes the connections the library opened itself
   * (from `PRISMA_CACHE_REDIS_URL` or a `url`). Clients you passed in stay open, yours to close, unless
   * `{ clients: true }`. Call it after `$disconnect()` (or after the last query); the process can then exit.
   */
  close(options?: CloseOptions): Promise<void>
  /** The key a read is stored under, e.g. `keyFor('User', 'findUnique', { where: { id: 1 } })` → `User:id=1`. */
  keyFor(model: string, operation: ReadOperation, args?: Record<string, unknown>): CacheKey
  /** The backend results are stored in. */
  readonly backend: Backend
  /** Prepended to every key in the backend (a fingerprint of the schema): stored key = namespace + keyFor(...). */
  readonly namespace: string
}

/** Client methods an interactive transaction client does not have (Prisma's ITXClientDenyList). */
type TransactionDenyList = '$connect' | '$disconnect' | '$on' | '$use' | '$extends'

interface TransactionOptions {
  maxWait?: number
  timeout?: number
  isolationLevel?: string
}

/**
 * `$transaction` with Prisma's two signatures, typed from the client it is called on (`this`), so the
 * transaction client keeps this extension's types (the typed `cache` argument).
 */
export interface CachedTransaction {
  <T, P extends Prisma.PrismaPromise<unknown>[]>(
    this: T,
    arg: [...P],
    options?: TransactionOptions,
  ): Promise<{ [K in keyof P]: Awaited<P[K]> }>
  <T, R>(this: T, fn: (client: Omit<T, TransactionDenyList>) => Promise<R>, options?: TransactionOptions): Promise<R>
}

/** What the extension reads of a Prisma 7 client's internals (each covered by tests). */
interface PrismaInternals {
  _engineConfig?: { inlineSchema?: unknown; activeProvider?: string }
  _runtimeDataModel?: RuntimeDataModel
}

/** What the query hook receives (the fields the cache uses). */
interface OperationParams {
  model?: string
  operation: string
  args: unknown
  query: (args: never) => PromiseLike<unknown>
}

/**
 * The machinery every cached client is built from, whatever its surface (cacheExtension, withAccelerate): the
 * engine, one read implementation, `$cache`, the client members every cached client has (`$transaction`, and
 * `$extends` applying new extensions beneath), and the query hook that invalidates after writes. A front end puts
 * them into one `$extends` call with its own typed read methods.
 */
export interface CachedClientParts<Backend extends CacheBackend> {
  engine: PrismaCache
  /** One implementation for every cached read method. */
  read(operation: ReadOperation, self: unknown, args: unknown): CachedPrismaPromise<unknown>
  /** `prisma.$cache` of the cached client built on `target`. */
  apiFor(target: object): CacheApi<Backend>
  /**
   * `$transaction` (typed) and `$extends` (runtime only: Prisma's own type stays), re-applying the cache by
   * `rebuild`.
   */
  members(rebuild: (target: object) => unknown): { $transaction: CachedTransaction }
  /** The query hook: invalidation after writes and raw statements. */
  onOperation(params: OperationParams): Promise<unknown>
}

/** The reads whose argument Prisma requires. */
type ArgsRequired = 'findUnique' | 'findUniqueOrThrow' | 'aggregate' | 'groupBy'

/**
 * What a front end's read of `Op` on model `T` with arguments `A` returns: its promise, and the fluent API where
 * Prisma has one.
 */
type SurfaceResult<Surface extends SurfaceName, T, A, Op extends ReadOperation> = SurfacePromises<
  Prisma.Result<T, A, Op>
>[Surface] &
  (Op extends FluentRead ? FluentOf<T, Op, Surface> : unknown)

/**
 * A front end's typed read methods, typed as Prisma types its own (`this`: the model; `A`: the arguments, exact),
 * with `Extra` the front end's read option (`cache`, `cacheStrategy`) added to Prisma's arguments.
 */
export type ReadMethods<Surface extends SurfaceName, Extra> = {
  [Op in ReadOperation]: Op extends ArgsRequired
    ? <T, A>(this: T, args: Prisma.Exact<A, Prisma.Args<T, Op> & Extra>) => SurfaceResult<Surface, T, A, Op>
    : <T, A>(this: T, args?: Prisma.Exact<A, Prisma.Args<T, Op> & Extra>) => SurfaceResult<Surface, T, A, Op>
}

/** The model methods of a front end: every read operation, each calling `read` (its surface's one implementation). */
export function readMethods<Surface extends SurfaceName, Extra>(
  read: (operation: ReadOperation, self: unknown, args: unknown) => unknown,
): ReadMethods<Surface, Extra> {
  const methods: Record<string, (this: unknown, args?: unknown) => unknown> = {}
  for (const operation of READ_OPERATIONS)
    methods[operation] = function (this: unknown, args?: unknown) {
      return read(operation, this, args)
    }
  return methods as ReadMethods<Surface, Extra>
}

/** Every cached client's extension name. */
export const EXTENSION_NAME = 'prisma-tiered-cache'

/**
 * The Prisma extension: typed `cache` arguments on reads, results served from the cache before Prisma's
 * query pipeline runs, and invalidation of what every write changed.
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(cacheExtension({ cache: new TieredCache(l1, l2) }))
 * await prisma.user.findUnique({ where: { id: 1 }, cache: { ttl: 60 } })
 * ```
 */
export function cacheExtension<Backend extends CacheBackend = MemoryCache>(
  options: CacheExtensionOptions<Backend> = {},
) {
  const resolved = resolveExtensionOptions(options)
  return Prisma.defineExtension((client) => {
    const { read, ...parts } = cachedClientParts<Backend>(client, resolved, { resolver: CACHE_ARGUMENT })
    const withCache = (target: typeof client) =>
      target.$extends({
        name: EXTENSION_NAME,
        client: { ...parts.members((next): unknown => withCache(next as typeof client)), $cache: parts.apiFor(target) },
        model: { $allModels: readMethods<'cache', CacheArgs>(read) },
        query: { $allOperations: (params) => parts.onOperation(params) },
      })
    return withCache(client)
  })
}

/** Builds the {@link CachedClientParts} for `client` (the client the extension is applied to). */
export function cachedClientParts<Backend extends CacheBackend>(
  client: unknown,
  resolved: ResolvedExtensionOptions,
  surface: ReadSurface,
): CachedClientParts<Backend> {
  const internals = client as unknown as PrismaInternals
  const schema = internals._engineConfig?.inlineSchema
  const runtime = internals._runtimeDataModel
  if (typeof schema !== 'string' || typeof runtime?.models !== 'object' || runtime.models === null) {
    throw new Error(
      'prisma-tiered-cache: this Prisma client does not expose its schema (_engineConfig.inlineSchema) and data ' +
        'model (_runtimeDataModel), from which the cache learns what each write invalidates: a client generated by ' +
        'Prisma 7 is required (generator `prisma-client` or `prisma-client-js`), extended with $extends',
    )
  }
  const fingerprint = createHash('sha256').update(schema).digest('base64url').slice(0, 10)
  registerPrismaTypes()
  // Without `cache` the backend is a MemoryCache, which is what Backend defaults to.
  const backend = (resolved.cache ?? new MemoryCache()) as Backend
  const cache = tolerant(backend)
  if (!cache.capabilities.snapshots) {
    throw new TypeError(
      `prisma-tiered-cache: the cache backend ${cache.name} does not declare snapshots: reads filled after a write could be served stale`,
    )
  }
  const onError = resolved.onError
  // Failures TieredCache tolerates never reach the engine; report them all the same.
  if (onError)
    cache.on?.(
      (event) =>
        event.type !== 'tier-error' ||
        event.failed ||
        onError(event.error, { model: undefined, operation: `${event.tier} ${event.operation}` }),
    )
  const source = { runtime, schema, provider: internals._engineConfig?.activeProvider, views: resolved.views }
  const engine = new PrismaCache(cache, buildDataModel(source, fingerprint), resolved)
  const feed = resolved.changeFeed
  // Changes from the stream take the path Prisma writes take (L2 epochs, then L1 and the bus).
  feed?.start({
    dataModel: engine.dataModel,
    invalidate: (tags) => engine.applyNow(tags),
    onError: (error) => onError?.(error, { model: undefined, operation: 'changeFeed' }),
  })

  /** Per client the reads run on (the one beneath this extension): the key scope of its shape. */
  const scopes = new WeakMap<object, string>()
  const scopeOf = (parent: object) => {
    let scope = scopes.get(parent)
    if (scope === undefined) scopes.set(parent, (scope = engine.scope(clientShapeFingerprint(parent))))
    return scope
  }

  const reads = new CachedReads(engine, surface, scopeOf)
  const read = reads.read

  /** `prisma.$cache` of the cached client built on `target`: warm() reads and `namespace` are that client's. */
  const apiFor = (target: object): CacheApi<Backend> => ({
    ...api,
    warm: (reads, options) => warm(target, reads, options),
    namespace: scopeOf(target),
  })
  const warm = async (target: object, reads: readonly WarmRead[], warmOptions: { concurrency?: number } = {}) => {
    const concurrency = warmOptions.concurrency ?? 4
    if (!Number.isSafeInteger(concurrency) || concurrency < 1)
      throw new RangeError(`prisma.$cache.warm: concurrency must be an integer >= 1, got ${concurrency}`)
    const failed: Array<{ read: WarmRead; error: unknown }> = []
    let warmed = 0
    let next = 0
    const worker = async () => {
      while (next < reads.length) {
        const item = reads[next++]!
        try {
          const delegate = (target as unknown as Record<string, Delegate>)[
            item.model.charAt(0).toLowerCase() + item.model.slice(1)
          ]
          if (!delegate) throw new TypeError(`prisma.$cache.warm: unknown model "${item.model}"`)
          const args = item.args ?? {}
          const plan = engine.planRead(item.model, item.operation, item.cache ?? {}, args, false, scopeOf(target))
          if (plan) await engine.read(plan, () => delegate[item.operation]!(args))
          warmed++
        } catch (error) {
          failed.push({ read: item, error })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, reads.length) }, worker))
    await api.flush()
    return { warmed, failed }
  }
  const api: Omit<CacheApi<Backend>, 'warm' | 'namespace'> = {
    invalidate: (what) => engine.invalidate(what),
    clear: () => engine.cache.clear(),
    stats: () => (feed ? { ...engine.stats(), changeFeed: feed.status() } : engine.stats()),
    flush: async () => {
      await cache.flush?.()
    },
    // The conditional type cannot follow the backend's answer: CacheHealthOf says which answer each backend gets.
    health: async () => withFeed(((await cache.healthCheck?.()) ?? { ok: true }) as CacheHealthOf<Backend>, feed),
    close: async (closeOptions) => {
      await feed?.close()
      await api.flush()
      await cache.close(closeOptions)
    },
    keyFor: (model, operation, args) => engine.keyFor(model, operation, args),
    backend,
  }

  /**
   * This extension stays the outermost one, whatever order the user composes in: `$extends` on a cached client
   * applies the new extension beneath this one (to the client this one extends) and this one on top again,
   * with the same engine. A read served here before Prisma's pipeline, or passed on to `ctx.$parent`, then goes
   * through every other extension: query extensions (soft delete, row-level filters) and result extensions
   * (computed fields) composed after it included. The type is Prisma's own `$extends` (hidden below), and the
   * resulting client has the same extensions as the user asked for, in the one order that keeps them all.
   */
  const members = (rebuild: (target: object) => unknown) => ({
    // Runtime only: typed as Prisma's own $extends.
    ...({
      $extends: function (this: unknown, extension: unknown): unknown {
        const parent = (
          Prisma.getExtensionContext(this) as unknown as { $parent: { $extends(extension: unknown): unknown } }
        ).$parent
        return rebuild(parent.$extends(extension) as object)
      },
    } as object),
    /**
     * Interactive transactions: writes inside owe their invalidations until the commit; a rollback drops
     * them. Prisma's own `$transaction` is called with the extended client as `this`, so the transaction
     * client keeps this extension (typed `cache` arguments, write tracking).
     */
    $transaction: function (this: unknown, arg: unknown, transactionOptions?: unknown): Promise<unknown> {
      const self = this as Record<string | symbol, unknown>
      const ctx = Prisma.getExtensionContext(this) as unknown as ModelContext
      const original = ctx.$parent['$transaction'] as (
        this: unknown,
        arg: unknown,
        options?: unknown,
      ) => Promise<unknown>
      // Batch transactions: writes invalidate in the query hook, after the batch has committed.
      // Nested interactive transactions: the outermost one owns the invalidations.
      if (typeof arg !== 'function' || self[TRANSACTION_SCOPE] !== undefined)
        return original.call(this, arg, transactionOptions)
      const callback = arg as (tx: unknown) => Promise<unknown>
      let id: string | undefined
      return (async () => {
        try {
          const result = await original.call(
            this,
            (tx: Record<string | symbol, unknown>) => {
              id = (tx[TRANSACTION_SCOPE] as { txId?: string } | undefined)?.txId
              if (id !== undefined) engine.pending.open(id)
              return callback(tx)
            },
            transactionOptions,
          )
          if (id !== undefined) await engine.applyNow(engine.pending.take(id))
          return result
        } catch (error) {
          if (id !== undefined) engine.pending.take(id)
          throw error
        }
      })()
    } as CachedTransaction,
  })

  const onOperation = async ({ model, operation, args, query, ...rest }: OperationParams): Promise<unknown> => {
    const run = query as (args: unknown) => PromiseLike<unknown>
    const transaction = (rest as { __internalParams?: { transaction?: { kind?: string; id?: unknown } } })
      .__internalParams?.transaction
    const transactionId = transaction?.kind === 'itx' ? String(transaction.id) : undefined
    if (model !== undefined && (WRITE_OPERATIONS as readonly string[]).includes(operation)) {
      const result = await run(args)
      await engine.afterWrite(
        model,
        operation as WriteOperation,
        args as Record<string, unknown>,
        result,
        transactionId,
      )
      return result
    }
    if (model === undefined && /^\$(execute|query)Raw(Unsafe)?$/.test(operation)) {
      const result = await run(args)
      await engine.afterRaw(sqlText(args), transactionId)
      return result
    }
    return run(args)
  }
  return { engine, read, apiFor, members, onOperation }
}

/**
 * TieredCache is the facade that tolerates a failing tier (and remembers invalidations it missed, so it never
 * serves what they should have removed). A bare remote backend gets the same treatment behind a NoopCache L1:
 * a write must not fail, nor leave stale entries behind, because Redis was down when it invalidated.
 */
function tolerant(backend: CacheBackend): CacheBackend {
  return backend.capabilities.remote ? new TieredCache(new NoopCache(), backend, { bus: false }) : backend
}

/** health() with the change feed's status; not ok while the feed has failed or is reconnecting. */
function withFeed<Health extends { ok: boolean }>(health: Health, feed: ChangeFeed | undefined): Health {
  if (!feed) return health
  const changeFeed = feed.status()
  return {
    ...health,
    ok: health.ok && changeFeed.state !== 'failed' && changeFeed.state !== 'reconnecting',
    changeFeed,
  }
}

/** The SQL text of a raw call's arguments: a Prisma.Sql (tagged template) or `[sql, ...values]` (Unsafe). */
function sqlText(args: unknown): string {
  if (Array.isArray(args))
    return typeof args[0] === 'string' ? args[0] : Array.isArray(args[0]) ? (args[0] as string[]).join('?') : ''
  const strings = (args as { strings?: unknown } | null)?.strings
  if (Array.isArray(strings)) return strings.join('?')
  const sql = (args as { sql?: unknown } | null)?.sql
  return typeof sql === 'string' ? sql : ''
}
