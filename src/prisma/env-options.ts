import type { CacheBackend } from '../cache/backend.js'
import { MemoryCache } from '../cache/memory-cache.js'
import { NoopCache } from '../cache/noop-cache.js'
import { RedisCache } from '../cache/redis-cache.js'
import { TieredCache } from '../cache/tiered-cache.js'
import type { CacheExtensionOptions } from './options.js'

/**
 * The variables {@link cacheOptionsFromEnv} reads, with what they mean. Every one is optional.
 */
export const CACHE_ENV = {
  PRISMA_CACHE_ENABLED: 'true | false — false turns the cache off (queries go to the database; writes still run)',
  PRISMA_CACHE_REDIS_URL: 'redis://… — adds a shared L2 (and the invalidation bus) behind the in-process L1',
  PRISMA_CACHE_PREFIX: 'key prefix in Redis (default ptc:)',
  PRISMA_CACHE_TTL: 'default TTL of cached reads, seconds (default 60)',
  PRISMA_CACHE_SWR: 'default stale-while-revalidate window, seconds (default 0)',
  PRISMA_CACHE_AUTO: 'true | false — cache reads that pass no cache argument (default false)',
  PRISMA_CACHE_L1_MAX_BYTES: 'L1 size bound in bytes (default 64 MiB)',
  PRISMA_CACHE_L1_TTL: 'cap on L1 TTLs, seconds (default none)',
  PRISMA_CACHE_OPERATION_TIMEOUT_MS: 'longest wait for one Redis round trip (default 500)',
  PRISMA_CACHE_BUS: 'true | false — the cross-instance invalidation bus when Redis is set (default true)',
  PRISMA_CACHE_BACKGROUND_FILL:
    "true | false — write a miss's result to Redis after answering the caller (default true)",
} as const

/**
 * cacheExtension options from environment variables ({@link CACHE_ENV}), so an operator can turn the cache down or
 * point it elsewhere without a deploy: `cacheExtension(cacheOptionsFromEnv())`. Throws one error listing every
 * invalid variable, at start-up. Options passed in `overrides` win.
 */
export function cacheOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: CacheExtensionOptions = {},
): CacheExtensionOptions {
  const problems: string[] = []
  const read = <T>(
    name: keyof typeof CACHE_ENV,
    parse: (raw: string) => T | undefined,
    expected: string,
  ): T | undefined => {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') return undefined
    const value = parse(raw.trim())
    if (value === undefined) problems.push(`${name}=${JSON.stringify(raw)}: expected ${expected}`)
    return value
  }
  // Only these four: a typo such as `ture`, or `yes`/`off` read differently by other tools, is an error at start-up.
  const bool = (raw: string) => (/^(true|1)$/i.test(raw) ? true : /^(false|0)$/i.test(raw) ? false : undefined)
  const positive = (raw: string) => {
    const n = Number(raw)
    return Number.isFinite(n) && n > 0 ? n : undefined
  }
  const nonNegative = (raw: string) => {
    const n = Number(raw)
    return Number.isFinite(n) && n >= 0 ? n : undefined
  }
  const url = (raw: string) => (/^rediss?:\/\//.test(raw) ? raw : undefined)

  const enabled = read('PRISMA_CACHE_ENABLED', bool, 'true, false, 1 or 0')
  const redisUrl = read('PRISMA_CACHE_REDIS_URL', url, 'a redis:// or rediss:// URL')
  const prefix = read(
    'PRISMA_CACHE_PREFIX',
    (raw) => (/[{}\s]/.test(raw) ? undefined : raw),
    'a prefix without braces or spaces',
  )
  const ttl = read('PRISMA_CACHE_TTL', positive, 'a number of seconds > 0')
  const swr = read('PRISMA_CACHE_SWR', nonNegative, 'a number of seconds >= 0')
  const auto = read('PRISMA_CACHE_AUTO', bool, 'true, false, 1 or 0')
  const l1MaxBytes = read(
    'PRISMA_CACHE_L1_MAX_BYTES',
    (raw) => (Number.isSafeInteger(Number(raw)) && Number(raw) > 0 ? Number(raw) : undefined),
    'a positive integer',
  )
  const l1Ttl = read('PRISMA_CACHE_L1_TTL', positive, 'a number of seconds > 0')
  const timeout = read('PRISMA_CACHE_OPERATION_TIMEOUT_MS', positive, 'a number of milliseconds > 0')
  const bus = read('PRISMA_CACHE_BUS', bool, 'true, false, 1 or 0')
  const backgroundFill = read('PRISMA_CACHE_BACKGROUND_FILL', bool, 'true, false, 1 or 0')
  if (problems.length > 0)
    throw new Error(`prisma-tiered-cache: invalid cache configuration in the environment:\n  ${problems.join('\n  ')}`)

  let cache: CacheBackend
  if (enabled === false) cache = new NoopCache()
  else {
    const l1 = new MemoryCache({ maxSize: l1MaxBytes ?? 64 * 1024 * 1024 })
    if (redisUrl === undefined) cache = l1
    else {
      // RedisCache opens (and on close, quits) its own connection; the default bus subscribes on a duplicate of it.
      const l2 = new RedisCache({
        url: redisUrl,
        prefix: prefix ?? 'ptc:',
        ...(timeout === undefined ? {} : { operationTimeoutMs: timeout }),
      })
      cache = new TieredCache(l1, l2, {
        ...(l1Ttl === undefined ? {} : { l1Ttl }),
        ...(bus === false ? { bus: false } : {}),
      })
    }
  }
  return {
    cache,
    ...(ttl === undefined ? {} : { ttl }),
    ...(swr === undefined ? {} : { swr }),
    ...(auto === undefined ? {} : { auto }),
    ...(backgroundFill === undefined ? {} : { backgroundFill }),
    ...overrides,
  }
}
