/**
 * README "Write your own backend": the example backend (examples/custom-backend/map-cache.ts) passes the published
 * contract, alone and as the L2 of a TieredCache, with vitest's functions as the test API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache, TieredCache } from 'prisma-tiered-cache'
import { backendTestSuite } from 'prisma-tiered-cache/test-suite'
import { MapCache } from '../../examples/custom-backend/map-cache.js'

const test = { describe, it, expect, beforeEach, afterEach }

/** A clock the TTL test moves, so it does not sleep. */
function manualClock() {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

backendTestSuite({
  name: 'MapCache (examples/custom-backend)',
  create: () => {
    const clock = manualClock()
    return { cache: new MapCache(clock.now), other: new MapCache(), advance: clock.advance }
  },
  test,
})

backendTestSuite({ name: 'TieredCache<MemoryCache, MapCache>', create: () => ({ cache: new TieredCache(new MemoryCache(), new MapCache()) }), test })
