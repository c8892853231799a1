import { describe, expect, it } from 'vitest'
import { EVERYTHING, KnownInvalidations } from '../../../src/cache/coherence/known-invalidations.js'

describe('KnownInvalidations', () => {
  it('knows nothing until reset, and again after stop', () => {
    const known = new KnownInvalidations()
    expect(known.verdict(10, ['User'])).toBe('unknown')
    expect(known.snapshotEpoch()).toBeUndefined()
    known.reset(10)
    expect(known.verdict(10, ['User'])).toBe('fresh')
    known.stop()
    expect(known.verdict(10, ['User'])).toBe('unknown')
  })

  it('judges entries stamped at or after the horizon by their tags; older ones are unknown', () => {
    const known = new KnownInvalidations()
    known.reset(10)
    known.record(11, ['User:id=1'])
    expect(known.verdict(9, ['Post'])).toBe('unknown')
    expect(known.verdict(10, ['User', 'User:id=1'])).toBe('stale')
    expect(known.verdict(10, ['User', 'User:id=2'])).toBe('fresh')
    expect(known.verdict(11, ['User:id=1'])).toBe('fresh')
    known.record(12, [EVERYTHING])
    expect(known.verdict(11, ['Post'])).toBe('stale')
    expect(known.verdict(12, ['Post'])).toBe('fresh')
    expect(known.snapshotEpoch()).toBe(12)
  })

  it('a gap (epochs are consecutive) makes entries stamped below its top unknown until it fills', () => {
    const known = new KnownInvalidations()
    known.reset(10)
    known.record(12, ['Post'])
    expect(known.verdict(10, ['User'])).toBe('unknown') // 11 not heard: it may have hit User
    expect(known.verdict(12, ['User'])).toBe('fresh')
    expect(known.snapshotEpoch()).toBe(10)
    known.record(11, ['Tag'])
    expect(known.verdict(10, ['User'])).toBe('fresh')
    expect(known.snapshotEpoch()).toBe(12)
  })

  it('a polled current epoch above everything heard opens a gap too; one still open past the timeout is declared lost', () => {
    let lost = 0
    const known = new KnownInvalidations({ gapTimeoutMs: 100, onLost: () => lost++ })
    known.reset(10)
    known.observe(13, 1_000)
    expect(known.verdict(12, ['User'], 1_050)).toBe('unknown')
    expect(known.verdict(13, ['User'], 1_050)).toBe('fresh')
    expect(lost).toBe(0)
    // Past the timeout: 11..13 are lost (reported once); the horizon moves to 13.
    expect(known.verdict(12, ['User'], 1_200)).toBe('unknown')
    expect(known.verdict(13, ['User'], 1_200)).toBe('fresh')
    expect(known.snapshotEpoch()).toBe(13)
    expect(lost).toBe(1)
    // A gap that fills in time is not lost.
    known.observe(15, 1_300)
    known.record(14, ['Tag'], 1_350)
    known.record(15, ['Tag'], 1_350)
    expect(known.verdict(15, ['User'], 1_500)).toBe('fresh')
    expect(lost).toBe(1)
  })

  it('a gap is declared lost only when nothing fills it for the whole timeout, and only while ready', () => {
    let lost = 0
    const known = new KnownInvalidations({ gapTimeoutMs: 100, onLost: () => lost++ })
    known.reset(10, 0)
    // Out of order but always progressing: each epoch comes after the next one, never 100 ms apart.
    for (let epoch = 11, now = 0; epoch <= 40; epoch += 2, now += 60) {
      known.record(epoch + 1, ['Post'], now)
      known.record(epoch, ['Post'], now + 30)
    }
    expect(lost).toBe(0)
    // Not ready (the bus is down): a gap expiring then is not reported (L1 is not trusted; a reset follows).
    known.stop()
    known.record(50, ['Post'], 2_000)
    known.observe(50, 2_500)
    expect(lost).toBe(0)
  })

  it('remembers at most maxTags tags; forgetting one raises the horizon to its epoch', () => {
    const known = new KnownInvalidations({ maxTags: 2 })
    known.reset(0)
    known.record(1, ['a'])
    known.record(2, ['b'])
    known.record(3, ['c'])
    expect(known.size).toBe(2)
    expect(known.verdict(0, ['a'])).toBe('unknown')
    expect(known.verdict(1, ['a'])).toBe('fresh')
    expect(known.verdict(1, ['b'])).toBe('stale')
  })

  it('keeps what it heard above the epoch it resets to (a message can overtake the reply that read the epoch)', () => {
    const known = new KnownInvalidations()
    known.record(11, ['User'])
    known.record(9, ['Post'])
    known.reset(10)
    expect(known.verdict(10, ['User'])).toBe('stale')
    expect(known.verdict(10, ['Post'])).toBe('fresh')
    expect(known.snapshotEpoch()).toBe(11)
  })

  it('expires a gap on new epochs too, without reads (what it remembers of a gap stays bounded)', () => {
    const known = new KnownInvalidations({ gapTimeoutMs: 100 })
    known.reset(10, 0)
    known.record(12, ['Post'], 0) // 11 never comes
    expect(known.verdict(11, ['User'], 50)).toBe('unknown')
    expect(known.snapshotEpoch()).toBe(10)
    known.observe(13, 500) // past the timeout: 11..13 lost, the horizon is 13
    expect(known.verdict(12, ['User'], 500)).toBe('unknown')
    expect(known.verdict(13, ['User'], 500)).toBe('fresh')
    expect(known.snapshotEpoch()).toBe(13)
  })
})
