/**
 * The reader's side of read-your-writes across instances: a TieredCache serves its L1 only while it holds a lease,
 * renewed by its own heartbeat heard back over the bus, and only after applying what the bus delivered before it.
 * A bus of the test's own (the port, src/cache/coherence/bus-port.ts) on a clock moved by hand.
 */
import { describe, expect, it } from 'vitest'
import type { Beat, BusHandlers, BusMessage, InvalidationBus } from '../../../src/cache/coherence/bus-port.js'
import { LEASE_BEATS } from '../../../src/cache/coherence/bus-link.js'
import { MemoryCache, TieredCache } from '../../../src/cache/index.js'
import { manualClock } from '../../support/clock.js'

const HEARTBEAT = 500
const LEASE = LEASE_BEATS * HEARTBEAT

class HandBus implements InvalidationBus {
  readonly instanceId = 'me'
  readonly heartbeatMs = HEARTBEAT
  readonly clock = manualClock()
  connected = false
  handlers: BusHandlers | undefined
  readonly published: BusMessage[] = []

  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers
    this.connected = true
    await handlers.onUp()
  }

  async publish(message: BusMessage): Promise<void> {
    this.published.push(message)
  }

  async close(): Promise<void> {
    this.connected = false
  }

  /** This instance's own beat heard back, sent `ago` ms before now. */
  async ownBeat(ago = 0): Promise<void> {
    const beat: Beat = { from: this.instanceId, self: true, sentAt: this.clock.now() - ago }
    this.handlers!.onBeat!(beat)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

async function setup() {
  const bus = new HandBus()
  const cache = new TieredCache(new MemoryCache(), new MemoryCache(), { bus })
  await cache.ready
  await cache.set('k', 'v1', { ttl: 60 })
  const l1Hit = async () => {
    const before = cache.stats().l1Hits
    expect((await cache.get('k'))?.value).toBe('v1')
    return cache.stats().l1Hits > before
  }
  return { bus, cache, l1Hit }
}

describe('the L1 lease', () => {
  it('L1 is served only once an own heartbeat came back, and until one lease after it was sent', async () => {
    const { bus, cache, l1Hit } = await setup()
    expect(await l1Hit()).toBe(false) // up, but no beat heard back yet
    await bus.ownBeat()
    await l1Hit() // L1 is filled from L2 now (nothing was put there while it was not trusted)
    expect(await l1Hit()).toBe(true)
    bus.clock.advance(LEASE - 1)
    expect(await l1Hit()).toBe(true)
    bus.clock.advance(1)
    // The bus still looks connected, but nothing says this instance hears it: L2 answers.
    expect(bus.connected).toBe(true)
    expect(await l1Hit()).toBe(false)
    await bus.ownBeat(LEASE) // heard late: it renews nothing
    expect(await l1Hit()).toBe(false)
    await bus.ownBeat(1)
    expect(await l1Hit()).toBe(true)
    await cache.close()
  })

  it("another instance's invalidation delivered before a beat is applied before that beat renews the lease", async () => {
    const { bus, cache } = await setup()
    await bus.ownBeat()
    expect((await cache.get('k'))?.value).toBe('v1')
    await cache.l2.set('k', 'v2', { ttl: 60 }) // the other instance's write, its L2 side
    bus.clock.advance(LEASE)
    // Delivered in this order: the invalidation, then the beat. The lease is renewed only after L1 dropped 'k'.
    const applied = bus.handlers!.onMessage({ kind: 'keys', keys: ['k'] }, { from: 'other', seq: 1, self: false })
    bus.handlers!.onBeat!({ from: 'me', self: true, sentAt: bus.clock.now() })
    expect((await cache.get('k'))?.value).toBe('v2')
    await applied
    expect((await cache.get('k'))?.value).toBe('v2')
    // It acknowledged the writer's message.
    expect(bus.published).toContainEqual({ kind: 'ack', to: 'other', seq: 1 })
    await cache.close()
  })
})
