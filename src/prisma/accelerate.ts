/**
 * Prisma Accelerate's cache API, served by this library's engine (`prisma-tiered-cache/accelerate`):
 * `cacheStrategy: { ttl, swr, tags }` on the reads Accelerate caches, `.withAccelerateInfo()`, and
 * `prisma.$accelerate.invalidate({ tags })` / `invalidateAll()`. The same engine as cacheExtension underneath
 * (L1, optional Redis L2 and bus, race-safe fills), so writes also invalidate what they changed, which Accelerate
 * never did (`invalidateOnWrite: false` restores its TTL-only behaviour).
 */
import { randomUUID } from 'node:crypto'
import { Prisma } from '@prisma/client/extension'
import type { CacheBackend } from '../cache/backend.js'
import type { MemoryCache } from '../cache/memory-cache.js'
import { type OptionResolver, type ResolvedCacheOption, resolveCacheOption } from './cache-option.js'
import { cachedClientParts, EXTENSION_NAME, readMethods, type ReadSurface, type SurfaceRead } from './extension.js'
import type { AccelerateApi, AccelerateInfo, PrismaCacheStrategy } from './accelerate-types.js'
import { type CacheExtensionOptions, resolveExtensionOptions } from './options.js'
import type { CacheInfo, PrismaCache } from './prisma-cache.js'

export type {
  AccelerateApi,
  AccelerateInfo,
  AccelerateInvalidateInput,
  AcceleratePromise,
  PrismaCacheStrategy,
} from './accelerate-types.js'

/** withAccelerate's options: cacheExtension's (where results go, Redis, bus, ...), plus `invalidateOnWrite`. */
export type WithAccelerateOptions<Backend extends CacheBackend = CacheBackend> = CacheExtensionOptions<Backend> & {
  /**
   * Default true: a write invalidates the cached results it changed (as with cacheExtension), on every instance.
   * false: Accelerate's behaviour, results live out their ttl + swr whatever is written; only
   * `$accelerate.invalidate` / `invalidateAll` remove them.
   */
  invalidateOnWrite?: boolean
}

/** Accelerate's tag rule. */
const TAG = /^[A-Za-z0-9_]{1,64}$/
const MAX_TAGS = 5
const STRATEGY_FIELDS = new Set(['ttl', 'swr', 'tags'])

/**
 * The engine's tag for a user's tag. `#` can start no tag of ours (model names start with a letter or `_`), so a
 * user's `User` never meets the model tag `User`. `prisma.$cache.invalidate({ tags: ['#posts'] })` is the same as
 * `$accelerate.invalidate({ tags: ['posts'] })`.
 */
export const accelerateTag = (tag: string) => `#${tag}`

/** Checks tags as Accelerate does, naming the first bad one. */
function checkTags(tags: unknown, at: string): string[] {
  if (!Array.isArray(tags)) throw new TypeError(`${at} must be an array of strings, got ${describe(tags)}`)
  if (tags.length > MAX_TAGS) throw new RangeError(`${at}: at most ${MAX_TAGS} tags, got ${tags.length}`)
  tags.forEach((tag: unknown, i) => {
    if (typeof tag !== 'string' || !TAG.test(tag)) {
      throw new TypeError(`${at}[${i}] ${describe(tag)} is not a valid tag: 1 to 64 letters, digits or underscores`)
    }
  })
  return tags as string[]
}

/** A number of seconds: finite and >= 0 (fractions allowed). */
function nonNegative(value: unknown, at: () => string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${at()} must be a finite number of seconds >= 0, got ${describe(value)}`)
  }
  return value
}

/**
 * `cacheStrategy` → the engine's option. Accelerate's meaning: fresh for `ttl` s, then served stale for `swr` s
 * while one refresh runs; `swr` alone is always stale (every hit refreshes); neither (or both 0) → not cached.
 * Tags are checked even then. Without `cacheStrategy` the options' defaults apply (`auto`, `models`: by default
 * nothing is cached, as with Accelerate).
 */
function resolveStrategy(
  value: unknown,
  defaults: { ttl: number | undefined; swr: number },
  where: { model: string; operation: string },
): ResolvedCacheOption | undefined {
  if (value === undefined) return resolveCacheOption(undefined, defaults, where)
  const at = (field: string) =>
    `prisma-tiered-cache: invalid \`cacheStrategy\` on ${where.model}.${where.operation}: ${field}`
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${at('cacheStrategy')} must be { ttl?, swr?, tags? }, got ${describe(value)}`)
  }
  const strategy = value as Record<string, unknown>
  for (const field of Object.keys(strategy)) {
    if (!STRATEGY_FIELDS.has(field)) throw new TypeError(`${at(`unknown field "${field}"`)} (allowed: ttl, swr, tags)`)
  }
  const ttl = strategy['ttl'] === undefined ? 0 : nonNegative(strategy['ttl'], () => at('cacheStrategy.ttl'))
  const swr = strategy['swr'] === undefined ? 0 : nonNegative(strategy['swr'], () => at('cacheStrategy.swr'))
  const tags = strategy['tags'] === undefined ? [] : checkTags(strategy['tags'], at('cacheStrategy.tags'))
  if (ttl + swr === 0) return undefined
  return { ttl, swr, tags: tags.map(accelerateTag), key: undefined }
}

const STRATEGY_ARGUMENT: OptionResolver = {
  argument: 'cacheStrategy',
  extension: 'withAccelerate',
  resolve: resolveStrategy,
  bypassHint: ' (omit cacheStrategy to read without the cache)',
}

const STATUS: Record<CacheInfo['source'], AccelerateInfo['cacheStatus']> = {
  l1: 'ttl',
  l2: 'ttl',
  stale: 'swr',
  db: 'miss',
  coalesced: 'miss',
  bypass: 'none',
}

/** Accelerate's info for one read, from where the engine says its answer came from. */
function accelerateInfo(info: CacheInfo, read: SurfaceRead, engine: PrismaCache): AccelerateInfo {
  return {
    cacheStatus: STATUS[info.source],
    lastModified: new Date(Date.now() - (info.ageMs ?? 0)),
    region: 'local',
    requestId: randomUUID(),
    signature: info.key ?? signatureOf(read, engine),
  }
}

/** A bypassed read has no key yet: the one it would have. */
function signatureOf(read: SurfaceRead, engine: PrismaCache): string {
  try {
    return engine.keyFor(read.model, read.operation, read.args).toString()
  } catch {
    return `${read.model}.${read.operation}`
  }
}

const ACCELERATE_SURFACE: ReadSurface = {
  resolver: STRATEGY_ARGUMENT,
  decorate(promise, read, engine) {
    Object.defineProperty(promise, 'withAccelerateInfo', {
      value: () =>
        promise.withCacheInfo().then(({ data, info }) => ({ data, info: accelerateInfo(info, read, engine) })),
    })
  },
}

/**
 * Accelerate's cache API on this library's engine: change `import { withAccelerate } from
 * '@prisma/extension-accelerate'` to `import { withAccelerate } from 'prisma-tiered-cache/accelerate'`.
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(withAccelerate()) // L1 only, in this process
 * const prisma = new PrismaClient({ adapter }).$extends(withAccelerate({ cache: new TieredCache(l1, l2, { bus }) }))
 * await prisma.post.findMany({ cacheStrategy: { ttl: 60, swr: 30, tags: ['posts'] } })
 * await prisma.$accelerate.invalidate({ tags: ['posts'] })
 * ```
 */
export function withAccelerate<Backend extends CacheBackend = MemoryCache>(
  options: WithAccelerateOptions<Backend> = {},
) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('prisma-tiered-cache: withAccelerate(options): options must be an object')
  }
  const { invalidateOnWrite = true, ...rest } = options
  if (typeof invalidateOnWrite !== 'boolean') {
    throw new TypeError('prisma-tiered-cache: withAccelerate({ invalidateOnWrite }): must be a boolean')
  }
  if ('fetch' in rest) {
    throw new TypeError(
      'prisma-tiered-cache: withAccelerate({ fetch }): there is no Accelerate API to call; the cache runs in this ' +
        'process (and your Redis). Remove the option (see docs/migrate-from-accelerate.md)',
    )
  }
  const resolved = { ...resolveExtensionOptions(rest, 'withAccelerate'), invalidateOnWrite }
  return Prisma.defineExtension((client) => {
    const { read, engine, ...parts } = cachedClientParts<Backend>(client, resolved, ACCELERATE_SURFACE)
    const accelerate: AccelerateApi = {
      invalidate: async (input) => {
        if (typeof input !== 'object' || input === null) {
          const got = describe(input)
          throw new TypeError(`prisma-tiered-cache: $accelerate.invalidate(input): must be { tags: [...] }, got ${got}`)
        }
        const tags = checkTags(input.tags, 'prisma-tiered-cache: $accelerate.invalidate({ tags })')
        if (tags.length > 0) await engine.applyNow(new Set(tags.map(accelerateTag)))
        return { requestId: randomUUID() }
      },
      invalidateAll: async () => {
        await engine.invalidateAll()
        return { requestId: randomUUID() }
      },
    }
    const withCache = (target: typeof client) =>
      target.$extends({
        name: EXTENSION_NAME,
        client: {
          ...parts.members((next): unknown => withCache(next as typeof client)),
          $cache: parts.apiFor(target),
          $accelerate: accelerate,
        },
        model: { $allModels: readMethods<'accelerate', PrismaCacheStrategy>(read) },
        query: { $allOperations: (params) => parts.onOperation(params) },
      })
    return withCache(client)
  })
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') return String(value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
