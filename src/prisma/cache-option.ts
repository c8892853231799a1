import { type TagLike, tagTexts } from '../cache/tag.js'

/** The per-query `cache` argument. */
export type CacheOption =
  /** TTL in seconds. */
  | number
  /** Bypass: the query neither reads nor writes the cache. */
  | false
  | {
      /** Seconds the result is fresh. Default: the model's or the extension's `ttl`. */
      ttl?: number
      /** Seconds after `ttl` during which the cached result is served at once while one background refresh runs. */
      swr?: number
      /** Extra tags to invalidate this result by (in addition to the ones derived from the query). */
      tags?: readonly TagLike[]
      /** Your own key for this result (stored under this extension's namespace), instead of the derived one. */
      key?: string
    }

/** A validated, normalized `cache` argument. */
export interface ResolvedCacheOption {
  ttl: number
  swr: number
  tags: string[]
  key: string | undefined
}

/**
 * How a front end's per-query argument becomes the engine's option: `cache` (cacheExtension) or Accelerate's
 * `cacheStrategy` (withAccelerate). `resolve` validates (throwing before the database is touched) and answers
 * undefined for a read that bypasses the cache; `defaults.ttl` is undefined when the read is not cached by default.
 */
export interface OptionResolver {
  /** The argument's name on the read methods, taken off before Prisma sees the arguments. */
  argument: string
  /** The function the options were given to, for error messages. */
  extension: string
  resolve(
    option: unknown,
    defaults: { ttl: number | undefined; swr: number },
    where: { model: string; operation: string },
  ): ResolvedCacheOption | undefined
  /** Appended to errors that refuse the argument: how to bypass instead. */
  bypassHint: string
}

const OBJECT_FIELDS = new Set(['ttl', 'swr', 'tags', 'key'])

/**
 * Validates the `cache` argument of one query and merges it with the defaults. Throws a TypeError/RangeError
 * naming the model, the operation and the field, before anything touches the database or the cache.
 * Returns undefined when the query must bypass the cache.
 */
export function resolveCacheOption(
  option: unknown,
  defaults: { ttl: number | undefined; swr: number },
  where: { model: string; operation: string },
): ResolvedCacheOption | undefined {
  if (option === false) return undefined
  if (option === undefined || option === true) {
    if (defaults.ttl === undefined) return undefined
    return { ttl: defaults.ttl, swr: defaults.swr, tags: [], key: undefined }
  }
  // Error texts are built only when one is thrown (this runs on every cached read).
  const at = (field: string) => `prisma-tiered-cache: invalid \`cache\` on ${where.model}.${where.operation}: ${field}`
  if (typeof option === 'number')
    return { ttl: seconds(option, () => at('cache')), swr: defaults.swr, tags: [], key: undefined }
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(
      `${at('cache')} must be a number of seconds, false, or { ttl?, swr?, tags?, key? }; got ${describe(option)}`,
    )
  }
  const record = option as Record<string, unknown>
  for (const field of Object.keys(record)) {
    if (!OBJECT_FIELDS.has(field))
      throw new TypeError(`${at(`unknown field "${field}"`)} (allowed: ttl, swr, tags, key)`)
  }
  const ttl = record['ttl'] === undefined ? defaults.ttl : seconds(record['ttl'], () => at('cache.ttl'))
  if (ttl === undefined)
    throw new TypeError(`${at('cache.ttl')} is required: neither the query nor the extension options give a TTL`)
  const swr = record['swr'] === undefined ? defaults.swr : seconds(record['swr'], () => at('cache.swr'), true)
  let tags: string[]
  try {
    tags = tagTexts(record['tags'] as readonly TagLike[] | undefined)
  } catch (error) {
    throw new TypeError(`${at('cache.tags')}: ${(error as Error).message}`, { cause: error })
  }
  const key = record['key']
  if (key !== undefined && (typeof key !== 'string' || key.length === 0))
    throw new TypeError(`${at('cache.key')} must be a non-empty string, got ${describe(key)}`)
  return { ttl, swr, tags, key: key as string | undefined }
}

/** A number of seconds: finite, > 0 (or >= 0 when zeroAllowed); the error names `where`. */
export function seconds(value: unknown, where: string | (() => string), zeroAllowed = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new RangeError(
      `${typeof where === 'string' ? where : where()} must be a finite number of seconds ${zeroAllowed ? '>= 0' : '> 0'}, got ${describe(value)}`,
    )
  }
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
