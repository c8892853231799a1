import type { CircuitBreakerOptions } from './circuit-breaker.js'
import type { Clock } from './clock.js'
import type { InvalidationBus } from './coherence/bus-port.js'
import type { TieredCacheEvent } from './events.js'

/** How a TieredCache behaves: every flag's semantics are a row of the table in docs/design.md. */
export interface TieredCacheOptions {
  /** Fill L1 from an L2 hit, with TTL = min(l1Ttl, the entry's remaining L2 TTL). Default true. */
  writeThroughL1?: boolean
  /** `set` writes L2 (false: L2 is read-only for this cache). Default true. */
  writeThroughL2?: boolean
  /** Cap, in seconds, on the TTL of anything written to L1. Default: none (the entry's TTL). */
  l1Ttl?: number
  /** Cap, in seconds, on the TTL of anything written to L2. Default: none. */
  l2Ttl?: number
  /** A failing L1 fails the operation (CacheTierError). Default false: counted, reported, skipped. */
  l1Required?: boolean
  /** A failing L2 fails the operation (CacheTierError). Default false. */
  l2Required?: boolean
  /**
   * `sync` (default): set resolves once L2 and L1 have the value. `async`: set resolves after L1; L2 is written in
   * the background.
   */
  l2Write?: 'sync' | 'async'
  /** Called for every tier failure (also the ones that are skipped). */
  onEvent?: (event: TieredCacheEvent) => void
  /**
   * Stop calling L2 after `threshold` consecutive failures, for `breakMs`, then probe with one call.
   * Default { threshold: 3, breakMs: 2000 }; false: always call.
   */
  l2CircuitBreaker?: CircuitBreakerOptions | false
  /**
   * Tells other instances sharing L2 about every invalidation (after it reached L2), and applies theirs to this
   * L1. While the bus is down this L1 is neither read nor written; it is emptied when the bus is back.
   * Default: an L2 that is shared (RedisCache) opens one on its client (`openBus()`; this cache closes it).
   * `false`: no bus — other instances' writes reach this L1 only by TTL (reported once as a `bus-disabled` event).
   */
  bus?: InvalidationBus | false
  /**
   * With a bus and an L2 that numbers its invalidations (RedisCache): judge L2 entries from the invalidations
   * heard over the bus, after a plain GET, instead of checking their tags inside Redis (a script). Entries this
   * instance cannot judge (written before it subscribed, or while it may have missed a message) still get the
   * check inside Redis. The cost: another instance's write can take as long to reach this instance's L2 reads
   * as it takes to reach its L1 (the bus propagation delay). Default true; false: every L2 read is checked in Redis.
   */
  localTagCheck?: boolean
  /**
   * With a bus (that beats): an invalidation — and so a write through the Prisma layer — resolves only once every
   * other instance heard from within a lease has applied it to its L1, or its lease has lapsed (at most
   * 3 × the bus's heartbeatMs, 1.5 s by default, on an instance that died). Default true; false: fire-and-forget
   * (resolves once published; other instances may serve the old value until the message reaches them).
   */
  awaitPeers?: boolean
  name?: string
  /**
   * Where the pacing of owed-invalidation replays, localTagCheck's gap timeout (and the circuit breaker, unless it
   * names its own) read the time, in milliseconds; default `performance`. Tests pass a clock they move, so they do
   * not sleep.
   */
  clock?: Clock
}
