import type { Prisma } from '@prisma/client/extension'
import type { CacheInfo } from './types.js'

/**
 * What every read method returns: Prisma's promise, plus `withCacheInfo()` (like Accelerate's
 * `withAccelerateInfo()`).
 */
export type CachedPrismaPromise<R> = Prisma.PrismaPromise<R> & {
  /** The result and where it came from: `{ data, info: { source, key, tags, ttlLeftMs, ageMs } }`. */
  withCacheInfo(): Promise<{ data: R; info: CacheInfo }>
}

/** What Prisma's batch `$transaction([...])` calls on each item it is given. */
interface TransactionCapable<T> extends PromiseLike<T> {
  requestTransaction?(batch: unknown, lock?: unknown): PromiseLike<unknown>
}

/**
 * A lazy promise shaped like a PrismaPromise: nothing runs until it is awaited (as with Prisma's own), so
 * it can be handed to `$transaction([...])`. Awaited directly it runs `cached` (the cache path); inside a
 * batch transaction Prisma calls `requestTransaction`, and the plain query joins the batch instead — reads
 * inside a transaction never use the shared cache.
 */
export function lazyPrismaPromise<T, I>(
  cached: () => Promise<{ data: T; info: I }>,
  query: () => TransactionCapable<T>,
  /** Methods shared by every promise of a kind (the fluent API's relation methods of one model). */
  prototype: object = Object.prototype,
): Promise<T> & TransactionCapable<T> & { withCacheInfo(): Promise<{ data: T; info: I }> } {
  let withInfo: Promise<{ data: T; info: I }> | undefined
  let promise: Promise<T> | undefined
  const start = () => (withInfo ??= cached())
  const run = () => (promise ??= start().then((result) => result.data))
  return Object.assign(Object.create(prototype) as object, {
    withCacheInfo: start,
    then: (onFulfilled, onRejected) => run().then(onFulfilled, onRejected),
    catch: (onRejected) => run().catch(onRejected),
    finally: (onFinally) => run().finally(onFinally),
    requestTransaction: (batch, lock) => {
      const inner = query()
      if (typeof inner.requestTransaction !== 'function')
        throw new TypeError('prisma-tiered-cache: the underlying query cannot join a batch transaction')
      return inner.requestTransaction(batch, lock)
    },
    [Symbol.toStringTag]: 'PrismaPromise',
  } satisfies Promise<T> & TransactionCapable<T> & { withCacheInfo(): Promise<{ data: T; info: I }> })
}
