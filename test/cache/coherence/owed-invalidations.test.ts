import { describe, expect, it } from 'vitest'
import { type OwedInvalidation, OwedInvalidations } from '../../../src/cache/coherence/owed-invalidations.js'
import { eventually } from '../../support/eventually.js'

describe('OwedInvalidations', () => {
  const tags = (n: number): OwedInvalidation => ({ kind: 'tags', tags: [`T${n}`] })

  it('replays oldest first and forgets each only once its replay succeeded; a failure stops there', async () => {
    const owed = new OwedInvalidations()
    for (let n = 1; n <= 3; n++) owed.add(tags(n))
    const replayed: OwedInvalidation[] = []
    const errors: unknown[] = []
    let failOn = 2
    const replay = async (invalidation: OwedInvalidation) => {
      if (invalidation.kind === 'tags' && invalidation.tags[0] === `T${failOn}`) throw new Error('L2 down')
      replayed.push(invalidation)
    }
    expect(await owed.settle(replay, (error) => errors.push(error), true)).toBe(false)
    expect(replayed).toEqual([tags(1)])
    expect(errors).toHaveLength(1)
    expect(owed.size).toBe(2)
    failOn = 0
    expect(await owed.settle(replay, (error) => errors.push(error), true)).toBe(true)
    expect(replayed).toEqual([tags(1), tags(2), tags(3)])
    expect(owed.size).toBe(0)
  })

  it('retries at most once a second unless urgent; with nothing owed it answers true without replaying', async () => {
    const owed = new OwedInvalidations()
    let calls = 0
    const replay = async () => {
      calls++
    }
    expect(await owed.settle(replay, () => {})).toBe(true)
    owed.add(tags(1))
    expect(await owed.settle(replay, () => {})).toBe(false)
    expect(calls).toBe(0)
    expect(await owed.settle(replay, () => {}, true)).toBe(true)
    expect(calls).toBe(1)
  })

  it('callers that come while a replay runs join it: each invalidation is replayed once, in order, none dropped', async () => {
    const owed = new OwedInvalidations()
    owed.add(tags(0))
    owed.add(tags(1))
    const replayed: OwedInvalidation[] = []
    // Each replay waits until the test lets it finish: the order of events is the test's, not the timers'.
    const waiting: Array<() => void> = []
    const replay = async (invalidation: OwedInvalidation) => {
      await new Promise<void>((resolve) => waiting.push(resolve))
      replayed.push(invalidation)
    }
    const first = owed.settle(replay, () => {}, true)
    await eventually(() => waiting.length === 1, 'tags(0) to be replayed')
    waiting[0]!()
    await eventually(() => waiting.length === 2, 'tags(1) to be replayed')
    // While tags(1) is being replayed: another caller, and a new invalidation.
    owed.add(tags(2))
    const second = owed.settle(replay, () => {}, true)
    expect(owed.size).toBeGreaterThan(0)
    waiting[1]!()
    await eventually(() => waiting.length === 3, 'tags(2) to be replayed')
    waiting[2]!()
    expect(await Promise.all([first, second])).toEqual([true, true])
    expect(replayed).toEqual([tags(0), tags(1), tags(2)])
    expect(owed.size).toBe(0)
  })

  it('a queue that collapses into a clear while a replay runs replays the clear', async () => {
    const owed = new OwedInvalidations()
    owed.add(tags(0))
    const replayed: OwedInvalidation[] = []
    let collapse = true
    const settled = owed.settle(
      async (invalidation) => {
        if (collapse) {
          collapse = false
          for (let n = 1; n <= 10_000; n++) owed.add(tags(n))
        }
        replayed.push(invalidation)
      },
      () => {},
      true,
    )
    expect(await settled).toBe(true)
    expect(replayed).toEqual([tags(0), { kind: 'clear' }])
    expect(owed.size).toBe(0)
  })

  it('past 10,000 owed invalidations keeps one clear instead (bounded memory, still correct)', async () => {
    const owed = new OwedInvalidations()
    for (let n = 0; n <= 10_000; n++) owed.add(tags(n))
    expect(owed.size).toBe(1)
    const replayed: OwedInvalidation[] = []
    await owed.settle(
      async (invalidation) => void replayed.push(invalidation),
      () => {},
      true,
    )
    expect(replayed).toEqual([{ kind: 'clear' }])
  })
})
