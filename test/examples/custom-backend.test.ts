/**
 * README "Write your own backend": the example backend (examples/custom-backend/map-cache.ts) passes the published
 * contract, alone and as the L2 of a TieredCache, with vitest's functions as the test API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryCache, TieredCache } from 'prisma-tiered-cache'
import { backendTestSuite } from 'prisma-tiered-cache/test-suite'
import { MapCache } from '../../examples/custom-backend/map-cache.js'
import { manualClock } from '../support/clock.js'

const test = { describe, it, expect, beforeEach, afterEach }

backendTestSuite({
  name: 'MapCache (examples/custom-backend)',
  create: () => {
    const clock = manualClock()
    return { cache: new MapCache(clock.now), other: new MapCache(), advance: clock.advance }
  },
  test,
})

backendTestSuite({
  name: 'TieredCache<MemoryCache, MapCache>',
  create: () => {
    const clock = manualClock()
    return { cache: new TieredCache(new MemoryCache({ clock }), new MapCache(clock.now)), advance: clock.advance }
  },
  test,
})
