/**
 * The writer's wait of read-your-writes across instances (PeerAcks), on a clock moved by hand: whom it waits
 * for, and that it never waits longer than one lease, whatever the other instances do.
 */
import { describe, expect, it } from 'vitest'
import { PeerAcks } from '../../../src/cache/coherence/peer-acks.js'
import { manualClock } from '../../support/clock.js'

const LEASE = 1500

/** A wait, and whether it has ended (after the promise callbacks queued so far ran). */
function watch(wait: Promise<void>): () => Promise<boolean> {
  let ended = false
  void wait.then(() => (ended = true))
  return async () => {
    await new Promise((resolve) => setImmediate(resolve))
    return ended
  }
}

describe('PeerAcks', () => {
  it('alone: a write waits only for its own message to come back', async () => {
    const acks = new PeerAcks(LEASE, manualClock())
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    expect(await ended()).toBe(false)
    acks.echoed(ticket.seq)
    expect(await ended()).toBe(true)
    expect(acks.counts).toEqual({ acknowledged: 1, lapsed: 0 })
  })

  it('waits for the acknowledgement of every instance heard within a lease, not of those heard before', async () => {
    const clock = manualClock()
    const acks = new PeerAcks(LEASE, clock)
    acks.heard('gone')
    clock.advance(LEASE)
    acks.heard('a')
    acks.heard('b')
    expect(acks.live).toBe(2)
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    acks.acked('a', ticket.seq) // an ack may come before the echo
    acks.echoed(ticket.seq)
    expect(await ended()).toBe(false)
    acks.acked('b', ticket.seq + 1) // another write's
    expect(await ended()).toBe(false)
    acks.acked('b', ticket.seq)
    expect(await ended()).toBe(true)
    expect(acks.counts).toEqual({ acknowledged: 1, lapsed: 0 })
  })

  it('an instance that died (never acks): the wait ends when its lease, from when it was last heard, lapses', async () => {
    const clock = manualClock()
    const acks = new PeerAcks(LEASE, clock)
    acks.heard('dead')
    clock.advance(1000)
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    acks.echoed(ticket.seq)
    clock.advance(LEASE - 1000 - 1)
    acks.recheck()
    expect(await ended()).toBe(false)
    clock.advance(1)
    acks.recheck()
    expect(await ended()).toBe(true)
    expect(acks.counts).toEqual({ acknowledged: 0, lapsed: 1 })
    expect(acks.live).toBe(0)
  })

  it('an instance that keeps beating but never acks (its ack lost) holds a write no longer than its lease at the echo', async () => {
    const clock = manualClock()
    const acks = new PeerAcks(LEASE, clock)
    acks.heard('mute')
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    acks.echoed(ticket.seq)
    // Its later beats were ordered after our message: it applied that message before they renewed its lease.
    for (let t = 0; t < 3; t++) {
      expect(await ended()).toBe(false)
      clock.advance(LEASE / 3)
      acks.heard('mute')
      acks.recheck()
    }
    expect(await ended()).toBe(true)
    expect(acks.counts).toEqual({ acknowledged: 0, lapsed: 1 })
  })

  it('an instance first heard after the echo is not waited for (it subscribed after our message)', async () => {
    const acks = new PeerAcks(LEASE, manualClock())
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    acks.echoed(ticket.seq)
    acks.heard('newcomer')
    acks.recheck()
    expect(await ended()).toBe(true)
    expect(acks.live).toBe(1)
  })

  it('its own message never heard back (its subscription is down): the wait ends one lease after the publish', async () => {
    const clock = manualClock()
    const acks = new PeerAcks(LEASE, clock)
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    clock.advance(LEASE - 1)
    acks.recheck()
    expect(await ended()).toBe(false)
    clock.advance(1)
    acks.recheck()
    expect(await ended()).toBe(true)
    expect(acks.counts).toEqual({ acknowledged: 0, lapsed: 1 })
  })

  it('closing ends every wait', async () => {
    const acks = new PeerAcks(LEASE, manualClock())
    acks.heard('a')
    const ticket = acks.open()
    const ended = watch(ticket.wait())
    acks.echoed(ticket.seq)
    acks.release()
    expect(await ended()).toBe(true)
  })
})
