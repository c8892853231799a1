import { createHash } from 'node:crypto'
import { Prisma } from '@prisma/client/extension'
import type { CacheBackend, CloseOptions } from '../cache/backend.js'
import type { CacheKey } from '../cache/key.js'
import { MemoryCache } from '../cache/memory-cache.js'
import { NoopCache } from '../cache/noop-cache.js'
import type { KeyPattern } from '../cache/pattern.js'
import type { TagLike } from '../cache/tag.js'
import { TieredCache, type TieredHealth } from '../cache/tiered-cache.js'
import type { CacheOption } from './cache-option.js'
import { buildDataModel } from './data-model.js'
import { type CacheExtensionOptions, resolveExtensionOptions } from './options.js'
import { type CacheInfo, PrismaCache, type PrismaCacheStats } from './prisma-cache.js'
import { lazyPrismaPromise } from './prisma-promise.js'
import type { ReadOperation } from './read-plan.js'
import { registerPrismaTypes } from './serializer.js'
import { WRITE_OPERATIONS, type WriteOperation } from './write-tags.js'

/** The `cache` argument every cached read method accepts. */
export type CacheArgs = { cache?: CacheOption }

/** What every read method returns: Prisma's promise, plus `withCacheInfo()` (like Accelerate's `withAccelerateInfo()`). */
export type CachedPrismaPromise<R> = Prisma.PrismaPromise<R> & {
  /** The result and where it came from: `{ data, info: { source, key, tags, ttlLeftMs } }`. */
  withCacheInfo(): Promise<{ data: R; info: CacheInfo }>
}

const BYPASS: CacheInfo = { source: 'bypass', key: undefined, tags: [], ttlLeftMs: undefined }

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
  /** Invalidates by tags (`'User'`, `'User:id=1'`, EntityTag), by key patterns (`'User:*'`, KeyPattern), and by keys. */
  invalidate(what: { tags?: readonly TagLike[]; patterns?: readonly (KeyPattern | string)[]; keys?: readonly (CacheKey | string)[] }): Promise<void>
  /** Empties the cache backend (every entry in it, this extension's or not). */
  clear(): Promise<void>
  /** The backend's stats (per tier for a TieredCache) and per-model counters. */
  stats(): PrismaCacheStats
  /**
   * Runs reads and stores their results (skipping those already cached), at most `concurrency` at a time.
   * A read that fails is reported in `failed`, never thrown.
   */
  warm(reads: readonly WarmRead[], options?: { concurrency?: number }): Promise<{ warmed: number; failed: Array<{ read: WarmRead; error: unknown }> }>
  /** Resolves when the background writes of earlier misses (`backgroundFill`) have reached the shared tier. */
  flush(): Promise<void>
  /** The state of each tier, the bus and the circuit breaker (`{ ok: true }` for a single in-process tier). Never throws. */
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
  <T, P extends Prisma.PrismaPromise<unknown>[]>(this: T, arg: [...P], options?: TransactionOptions): Promise<{ [K in keyof P]: Awaited<P[K]> }>
  <T, R>(this: T, fn: (client: Omit<T, TransactionDenyList>) => Promise<R>, options?: TransactionOptions): Promise<R>
}

/** Prisma 7 keeps an interactive transaction's scope on its client under this symbol. */
const TRANSACTION_SCOPE = Symbol.for('prisma.client.transaction.scope_context')

interface ModelContext {
  $name: string
  $parent: Record<string | symbol, unknown>
}

type Delegate = Record<string, (args: unknown) => PromiseLike<unknown>>

/**
 * The Prisma extension: typed `cache` arguments on reads, results served from the cache before Prisma's
 * query pipeline runs, and invalidation of what every write changed.
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(cacheExtension({ cache: new TieredCache(l1, l2) }))
 * await prisma.user.findUnique({ where: { id: 1 }, cache: { ttl: 60 } })
 * ```
 */
export function cacheExtension<Backend extends CacheBackend = MemoryCache>(options: CacheExtensionOptions<Backend> = {}) {
  const resolved = resolveExtensionOptions(options)
  return Prisma.defineExtension((client) => {
    const schema = (client as unknown as { _engineConfig?: { inlineSchema?: unknown } })._engineConfig?.inlineSchema
    if (typeof schema !== 'string') {
      throw new Error(
        'prisma-tiered-cache: this Prisma client does not expose its schema (_engineConfig.inlineSchema), from which ' +
          'the cache learns what each write invalidates: a client generated by Prisma 7 is required (generator ' +
          '`prisma-client` or `prisma-client-js`), extended with $extends',
      )
    }
    const fingerprint = createHash('sha256').update(schema).digest('base64url').slice(0, 10)
    registerPrismaTypes()
    // Without `cache` the backend is a MemoryCache, which is what Backend defaults to.
    const backend = (resolved.cache ?? new MemoryCache()) as Backend
    const cache = tolerant(backend)
    const onError = resolved.onError
    // Failures TieredCache tolerates never reach the engine; report them all the same.
    if (onError && cache instanceof TieredCache) cache.on((event) => event.failed || onError(event.error, { model: undefined, operation: `${event.tier} ${event.operation}` }))
    const engine = new PrismaCache(cache, buildDataModel(schema, fingerprint), resolved)

    /** One implementation for every cached read method; the typed signatures are below. */
    function read(operation: ReadOperation, self: unknown, args: unknown): CachedPrismaPromise<unknown> {
      const ctx = Prisma.getExtensionContext(self) as unknown as ModelContext
      const { cache: cacheArg, ...rest } = (args ?? {}) as Record<string, unknown> & CacheArgs
      // The parent client's delegate is looked up only when the query runs: a hit never needs it.
      const query = () => (ctx.$parent[ctx.$name.charAt(0).toLowerCase() + ctx.$name.slice(1)] as Delegate)[operation]!(rest)
      let planned
      try {
        planned = engine.planRead(ctx.$name, operation, cacheArg, rest, ctx.$parent[TRANSACTION_SCOPE] !== undefined)
      } catch (error) {
        // Invalid `cache` argument: reject before anything touches the database or the cache.
        return lazyPrismaPromise(() => Promise.reject(error), () => Promise.reject(error)) as CachedPrismaPromise<unknown>
      }
      const plan = planned
      const cached = plan === undefined ? async () => ({ data: await query(), info: BYPASS }) : () => engine.readWithInfo(plan, query)
      return lazyPrismaPromise(cached, query) as CachedPrismaPromise<unknown>
    }

    const api: CacheApi<Backend> = {
      invalidate: (what) => engine.invalidate(what),
      clear: () => engine.cache.clear(),
      stats: () => engine.stats(),
      warm: async (reads, warmOptions = {}) => {
        const concurrency = warmOptions.concurrency ?? 4
        if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`prisma.$cache.warm: concurrency must be an integer >= 1, got ${concurrency}`)
        const failed: Array<{ read: WarmRead; error: unknown }> = []
        let warmed = 0
        let next = 0
        const worker = async () => {
          while (next < reads.length) {
            const item = reads[next++]!
            try {
              const delegate = (client as unknown as Record<string, Delegate>)[item.model.charAt(0).toLowerCase() + item.model.slice(1)]
              if (!delegate) throw new TypeError(`prisma.$cache.warm: unknown model "${item.model}"`)
              const args = item.args ?? {}
              const plan = engine.planRead(item.model, item.operation, item.cache ?? {}, args, false)
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
      },
      flush: async () => {
        const flush = (cache as { flush?: () => Promise<void> }).flush
        if (typeof flush === 'function') await flush.call(cache)
      },
      // The conditional type cannot follow `instanceof`: CacheHealthOf says which answer each backend gets.
      health: async () => (cache instanceof TieredCache ? await cache.health() : { ok: true }) as CacheHealthOf<Backend>,
      close: async (closeOptions) => {
        await api.flush()
        await cache.close(closeOptions)
      },
      keyFor: (model, operation, args) => engine.keyFor(model, operation, args),
      backend,
      namespace: engine.namespace,
    }

    return client.$extends({
      name: 'prisma-tiered-cache',
      client: {
        $cache: api,
        /**
         * Interactive transactions: writes inside owe their invalidations until the commit; a rollback drops
         * them. Prisma's own `$transaction` is called with the extended client as `this`, so the transaction
         * client keeps this extension (typed `cache` arguments, write tracking).
         */
        $transaction: function (this: unknown, arg: unknown, transactionOptions?: unknown): Promise<unknown> {
          const self = this as Record<string | symbol, unknown>
          const ctx = Prisma.getExtensionContext(this) as unknown as ModelContext
          const original = ctx.$parent['$transaction'] as (this: unknown, arg: unknown, options?: unknown) => Promise<unknown>
          // Batch transactions: writes invalidate in the query hook, after the batch has committed.
          // Nested interactive transactions: the outermost one owns the invalidations.
          if (typeof arg !== 'function' || self[TRANSACTION_SCOPE] !== undefined) return original.call(this, arg, transactionOptions)
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
      },
      model: {
        $allModels: {
          findUnique<T, A>(this: T, args: Prisma.Exact<A, Prisma.Args<T, 'findUnique'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'findUnique'>> {
            return read('findUnique', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'findUnique'>>
          },
          findUniqueOrThrow<T, A>(this: T, args: Prisma.Exact<A, Prisma.Args<T, 'findUniqueOrThrow'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'findUniqueOrThrow'>> {
            return read('findUniqueOrThrow', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'findUniqueOrThrow'>>
          },
          findFirst<T, A>(this: T, args?: Prisma.Exact<A, Prisma.Args<T, 'findFirst'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'findFirst'>> {
            return read('findFirst', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'findFirst'>>
          },
          findFirstOrThrow<T, A>(this: T, args?: Prisma.Exact<A, Prisma.Args<T, 'findFirstOrThrow'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'findFirstOrThrow'>> {
            return read('findFirstOrThrow', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'findFirstOrThrow'>>
          },
          findMany<T, A>(this: T, args?: Prisma.Exact<A, Prisma.Args<T, 'findMany'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'findMany'>> {
            return read('findMany', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'findMany'>>
          },
          count<T, A>(this: T, args?: Prisma.Exact<A, Prisma.Args<T, 'count'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'count'>> {
            return read('count', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'count'>>
          },
          aggregate<T, A>(this: T, args: Prisma.Exact<A, Prisma.Args<T, 'aggregate'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'aggregate'>> {
            return read('aggregate', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'aggregate'>>
          },
          groupBy<T, A>(this: T, args: Prisma.Exact<A, Prisma.Args<T, 'groupBy'> & CacheArgs>): CachedPrismaPromise<Prisma.Result<T, A, 'groupBy'>> {
            return read('groupBy', this, args) as CachedPrismaPromise<Prisma.Result<T, A, 'groupBy'>>
          },
        },
      },
      query: {
        async $allOperations({ model, operation, args, query, ...rest }) {
          const transaction = (rest as { __internalParams?: { transaction?: { kind?: string; id?: unknown } } }).__internalParams?.transaction
          const transactionId = transaction?.kind === 'itx' ? String(transaction.id) : undefined
          if (model !== undefined && (WRITE_OPERATIONS as readonly string[]).includes(operation)) {
            const result = await query(args)
            await engine.afterWrite(model, operation as WriteOperation, args as Record<string, unknown>, result, transactionId)
            return result
          }
          if (model === undefined && /^\$(execute|query)Raw(Unsafe)?$/.test(operation)) {
            const result = await query(args)
            await engine.afterRaw(sqlText(args), transactionId)
            return result
          }
          return query(args)
        },
      },
    })
  })
}

/**
 * TieredCache is the facade that tolerates a failing tier (and remembers invalidations it missed, so it never
 * serves what they should have removed). A bare remote backend gets the same treatment behind a NoopCache L1:
 * a write must not fail, nor leave stale entries behind, because Redis was down when it invalidated.
 */
function tolerant(backend: CacheBackend): CacheBackend {
  return backend instanceof TieredCache || backend instanceof MemoryCache || backend instanceof NoopCache ? backend : new TieredCache(new NoopCache(), backend)
}

/** The SQL text of a raw call's arguments: a Prisma.Sql (tagged template) or `[sql, ...values]` (Unsafe). */
function sqlText(args: unknown): string {
  if (Array.isArray(args)) return typeof args[0] === 'string' ? args[0] : Array.isArray(args[0]) ? (args[0] as string[]).join('?') : ''
  const strings = (args as { strings?: unknown } | null)?.strings
  if (Array.isArray(strings)) return strings.join('?')
  const sql = (args as { sql?: unknown } | null)?.sql
  return typeof sql === 'string' ? sql : ''
}
