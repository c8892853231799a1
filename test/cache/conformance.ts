/**
 * The published contract (`prisma-tiered-cache/test-suite`, src/test-suite) bound to vitest: each backend's test
 * file calls {@link describeConformance} with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RedisCache, type RedisCacheOptions, type RedisClientLike } from '../../src/cache/index.js'
import { backendTestSuite, type SuiteTarget } from '../../src/test-suite/index.js'
import { advanceRedisTtls } from '../support/redis-expiry.js'

export { richValue } from '../../src/test-suite/index.js'

export const vitestApi = { describe, it, expect, beforeEach, afterEach }

export function describeConformance(name: string, create: () => Promise<SuiteTarget> | SuiteTarget): void {
  backendTestSuite({ name, create, test: vitestApi })
}

/**
 * A RedisCache to run the suite on (and another on a prefix of its own), on `client`; its TTL test moves Redis's
 * own expiry forward instead of sleeping ({@link advanceRedisTtls}).
 */
export function redisTarget(
  client: RedisClientLike,
  prefix: () => string,
  options: Omit<RedisCacheOptions, 'client' | 'url' | 'prefix'> = {},
): SuiteTarget {
  const own = prefix()
  return {
    cache: new RedisCache({ ...options, client, prefix: own }),
    other: new RedisCache({ ...options, client, prefix: prefix() }),
    advance: (ms) => advanceRedisTtls(client, own, ms),
  }
}
