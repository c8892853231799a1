/**
 * RedisBus, the Redis pub/sub transport of the coherence wing's bus port (src/cache/coherence/bus-port.ts).
 * Its code lives beside RedisCache (src/cache/redis/redis-bus.ts) because a RedisCache opens one by default for
 * the TieredCache above it, and the cache layer runs no code from this one (test/architecture.test.ts).
 */
export { decode, encode, RedisBus, type Decoded, type RedisBusOptions } from '../cache/redis/redis-bus.js'
