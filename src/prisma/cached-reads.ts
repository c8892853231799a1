/**
 * The one read path every front end shares: a model method's call (`findUnique`, ...) becomes a plan (the key, the
 * tags, the TTL; or a bypass), read through the engine lazily, as a promise shaped like Prisma's. The fluent API
 * (`findUnique(...).posts()`) is the same read selecting the relations, answered along them.
 */
import { Prisma } from '@prisma/client/extension'
import type { OptionResolver } from './cache-option.js'
import type { PrismaCache } from './prisma-cache.js'
import { type CachedPrismaPromise, lazyPrismaPromise } from './prisma-promise.js'
import type { ReadOperation } from './read-plan.js'
import type { CacheInfo } from './types.js'

/** What a front end adds to the shared machinery: its per-query argument, and what its read promises carry. */
export interface ReadSurface {
  /** The per-query argument (`cache`, or Accelerate's `cacheStrategy`): its name and how it is validated. */
  resolver: OptionResolver
  /** Adds the front end's own methods to a read's promise (Accelerate's `withAccelerateInfo()`). */
  decorate?(promise: CachedPrismaPromise<unknown>, read: SurfaceRead, engine: PrismaCache): void
}

/** One read as a front end sees it: the model, the operation and the arguments Prisma gets. */
export interface SurfaceRead {
  model: string
  operation: ReadOperation
  args: Record<string, unknown>
}

/** Prisma 7 keeps an interactive transaction's scope on its client under this symbol. */
export const TRANSACTION_SCOPE = Symbol.for('prisma.client.transaction.scope_context')

/** What `Prisma.getExtensionContext(this)` gives a model method (the fields the cache uses). */
export interface ModelContext {
  $name: string
  $parent: Record<string | symbol, unknown>
}

export type Delegate = Record<string, (args: unknown) => PromiseLike<unknown>>

/** The reads that have Prisma's fluent API. */
const FLUENT_READS: readonly ReadOperation[] = ['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow']

const BYPASS: CacheInfo = { source: 'bypass', key: undefined, tags: [], ttlLeftMs: undefined }

/** A Prisma fluent promise: relation methods all the way down. */
type Fluent = Record<string, (args: unknown) => Fluent>

const contextOf = (call: { self: unknown }) => Prisma.getExtensionContext(call.self) as unknown as ModelContext

/** Where a fluent relation method finds the read it continues. */
const FLUENT_CALL = Symbol('prisma-tiered-cache fluent call')
interface FluentCall {
  operation: ReadOperation
  self: unknown
  /** The root read's arguments. */
  args: Record<string, unknown>
  /** The relations read so far, from the root row, with their arguments. */
  hops: ReadonlyArray<readonly [relation: string, args: unknown]>
}

/** The model methods' reads for one extended client family (one engine, one front end). */
export class CachedReads {
  /** Per model, the fluent relation methods every fluent read's promise inherits (nothing built per call). */
  readonly #fluentPrototypes = new Map<string, object>()
  readonly #argument: string

  constructor(
    readonly engine: PrismaCache,
    readonly surface: ReadSurface,
    /** The key scope of the client the reads run on (its shape: global omit, extensions beneath). */
    readonly scopeOf: (parent: object) => string,
  ) {
    this.#argument = surface.resolver.argument
  }

  /** One implementation for every cached read method (bound: model methods call it as a plain function). */
  readonly read = (operation: ReadOperation, self: unknown, args: unknown): CachedPrismaPromise<unknown> => {
    const ctx = Prisma.getExtensionContext(self) as unknown as ModelContext
    const { [this.#argument]: cacheArg, ...rest } = (args ?? {}) as Record<string, unknown>
    // The parent client's delegate is looked up only when the query runs: a hit never needs it.
    const query = () =>
      (ctx.$parent[ctx.$name.charAt(0).toLowerCase() + ctx.$name.slice(1)] as Delegate)[operation]!(rest)
    let planned
    try {
      const inTransaction = ctx.$parent[TRANSACTION_SCOPE] !== undefined
      const scope = inTransaction ? '' : this.scopeOf(ctx.$parent)
      planned = this.engine.planRead(ctx.$name, operation, cacheArg, rest, inTransaction, scope, this.surface.resolver)
    } catch (error) {
      // Invalid `cache` argument: reject before anything touches the database or the cache.
      const rejected = () => Promise.reject(error)
      const promise = lazyPrismaPromise(rejected, rejected) as CachedPrismaPromise<unknown>
      return this.#decorate(promise, ctx.$name, operation, rest)
    }
    const plan = planned
    const cached =
      plan === undefined
        ? async () => ({ data: await query(), info: BYPASS })
        : () => this.engine.readWithInfo(plan, query)
    if (!FLUENT_READS.includes(operation)) {
      return this.#decorate(
        lazyPrismaPromise(cached, query) as CachedPrismaPromise<unknown>,
        ctx.$name,
        operation,
        rest,
      )
    }
    const promise = lazyPrismaPromise(cached, query, this.#fluentPrototype(ctx.$name))
    const call: FluentCall = { operation, self, args: (args ?? {}) as Record<string, unknown>, hops: [] }
    const fluentPromise = Object.assign(promise, { [FLUENT_CALL]: call }) as CachedPrismaPromise<unknown>
    return this.#decorate(fluentPromise, ctx.$name, operation, rest)
  }

  /** The surface's own promise methods (withAccelerateInfo), when it has some. */
  #decorate(
    promise: CachedPrismaPromise<unknown>,
    model: string,
    operation: ReadOperation,
    args: Record<string, unknown>,
  ): CachedPrismaPromise<unknown> {
    this.surface.decorate?.(promise, { model, operation, args }, this.engine)
    return promise
  }

  #fluentPrototype(model: string): object {
    let prototype = this.#fluentPrototypes.get(model)
    if (prototype !== undefined) return prototype
    prototype = {}
    const fluent = (call: FluentCall, name: string, relationArgs: unknown) => this.#fluent(call, name, relationArgs)
    for (const [name, field] of this.engine.dataModel.models.get(model)?.fields ?? []) {
      if (field.kind !== 'object') continue
      Object.defineProperty(prototype, name, {
        value: function (this: { [FLUENT_CALL]: FluentCall }, relationArgs?: unknown) {
          return fluent(this[FLUENT_CALL], name, relationArgs)
        },
      })
    }
    this.#fluentPrototypes.set(model, prototype)
    return prototype
  }

  /**
   * `read(...).relation(args)`: the same read selecting only that relation (Prisma's own fluent semantics), each
   * further relation nested in the previous one's `select` (Prisma's applyFluent); the answer is read along them.
   */
  #fluent(call: FluentCall, relation: string, relationArgs: unknown): CachedPrismaPromise<unknown> {
    const hops = [...call.hops, [relation, relationArgs] as const]
    const { select: _select, include: _include, omit: _omit, ...base } = call.args
    const selection = hops.reduce<Record<string, unknown>>((args, [, hopArgs], i) => {
      const path = hops.slice(0, i + 1).flatMap(([name]) => ['select', name])
      return deepSet(args, path, hopArgs ?? true)
    }, base)
    const whole = this.read(call.operation, call.self, selection)
    // Prisma's unpacking (RequestHandler.unpack): null (or the missing row) stays null all the way.
    const pick = (row: unknown) =>
      hops.reduce<unknown>(
        (value, [name]) => (value == null ? null : ((value as Record<string, unknown>)[name] ?? null)),
        row,
      )
    // Inside a batch $transaction: Prisma's own fluent call on the client beneath.
    const query = () => {
      const { $parent, $name } = contextOf(call)
      const { [this.#argument]: _argument, ...rest } = call.args
      const delegate = $parent[$name.charAt(0).toLowerCase() + $name.slice(1)] as Record<
        string,
        (args: unknown) => Fluent
      >
      const root = delegate[call.operation]!(rest)
      return hops.reduce<Fluent>(
        (promise, [name, args]) => promise[name]!(args),
        root,
      ) as unknown as PromiseLike<unknown>
    }
    const answer = () => whole.withCacheInfo().then(({ data, info }) => ({ data: pick(data), info }))
    const model = contextOf(call).$name
    const promise = lazyPrismaPromise(answer, query, this.#fluentPrototype(this.#relatedModel(model, hops)))
    const { [this.#argument]: _argument, ...readArgs } = selection
    const fluentPromise = Object.assign(promise, { [FLUENT_CALL]: { ...call, hops } }) as CachedPrismaPromise<unknown>
    return this.#decorate(fluentPromise, model, call.operation, readArgs)
  }

  /** The model a chain of relations leads to from `model`. */
  #relatedModel(model: string, hops: FluentCall['hops']): string {
    const models = this.engine.dataModel.models
    return hops.reduce((from, [name]) => models.get(from)?.fields.get(name)?.type ?? from, model)
  }
}

/** A copy of `object` with `value` at `path`, merged into the objects on the way (Prisma's deepSet). */
function deepSet(object: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...tail] = path as [string, ...string[]]
  const inner = object[head]
  const child = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {}
  return { ...object, [head]: tail.length === 0 ? value : deepSet(child, tail, value) }
}
