/**
 * One table of cases for the staleness rule (src/cache/staleness.ts), run against every place that applies it:
 * the rule itself, MemoryCache's TagEpochs, RedisCache's in-process check of a header, KnownInvalidations'
 * verdict, and the Lua read script inside a real Redis (which keeps its own copy of the rule).
 */
import { describe, expect, it } from 'vitest'
import { KnownInvalidations, EVERYTHING } from '../../src/cache/coherence/known-invalidations.js'
import { isStaleEntry, parseHeader } from '../../src/cache/redis/entry.js'
import { RedisKeyspace } from '../../src/cache/redis/keyspace.js'
import { GET_CHECKED } from '../../src/cache/redis/scripts.js'
import { isStale } from '../../src/cache/staleness.js'
import { TagEpochs } from '../../src/cache/tag-epochs.js'
import { useRedis } from '../support/use-redis.js'

interface Case {
  name: string
  /** The epoch the entry was written under. */
  entry: number
  tags: string[]
  /** Each tag's last invalidation; `*`: the last clear. */
  invalidated: Record<string, number>
  stale: boolean
}

const CASES: Case[] = [
  { name: 'nothing invalidated', entry: 0, tags: ['A'], invalidated: {}, stale: false },
  { name: 'no tags, nothing cleared', entry: 3, tags: [], invalidated: { A: 5 }, stale: false },
  { name: 'its tag invalidated after it was computed', entry: 2, tags: ['A'], invalidated: { A: 3 }, stale: true },
  {
    name: 'its tag invalidated at its own epoch (before it was computed)',
    entry: 3,
    tags: ['A'],
    invalidated: { A: 3 },
    stale: false,
  },
  { name: 'its tag invalidated before', entry: 4, tags: ['A'], invalidated: { A: 2 }, stale: false },
  { name: 'another tag invalidated after', entry: 1, tags: ['A'], invalidated: { B: 4 }, stale: false },
  {
    name: 'one of several tags invalidated after',
    entry: 2,
    tags: ['A', 'B', 'C'],
    invalidated: { A: 1, C: 3 },
    stale: true,
  },
  { name: 'cleared after', entry: 2, tags: [], invalidated: { '*': 3 }, stale: true },
  { name: 'cleared at its own epoch', entry: 3, tags: ['A'], invalidated: { '*': 3 }, stale: false },
  { name: 'cleared before, its tag after', entry: 3, tags: ['A'], invalidated: { '*': 1, A: 5 }, stale: true },
  {
    name: 'written under epoch 0, its tag invalidated at 1',
    entry: 0,
    tags: ['A'],
    invalidated: { A: 1 },
    stale: true,
  },
]

/** The invalidations of a case in epoch order, one per epoch (fillers where the case names none), as a counter numbers them. */
function history(c: Case): string[] {
  const top = Math.max(c.entry, ...Object.values(c.invalidated))
  const byEpoch = new Map(Object.entries(c.invalidated).map(([tag, epoch]) => [epoch, tag]))
  return Array.from({ length: top }, (_, i) => byEpoch.get(i + 1) ?? `filler${i + 1}`)
}

describe('the staleness rule, one table', () => {
  it.each(CASES)('the rule: $name', (c) => {
    const at = (tag: string) => c.invalidated[tag]
    expect(isStale(c.entry, c.tags, at, c.invalidated['*'])).toBe(c.stale)
  })

  it.each(CASES)('MemoryCache (TagEpochs): $name', (c) => {
    const epochs = new TagEpochs(60_000)
    for (const tag of history(c)) {
      if (tag === '*') epochs.bumpAll()
      else epochs.bump([tag])
    }
    expect(epochs.isFresh(c.entry, c.tags)).toBe(!c.stale)
  })

  it.each(CASES)('RedisCache, in process (a header and epochs as Redis returns them): $name', (c) => {
    const header = parseHeader(Buffer.from(`${JSON.stringify([c.entry, c.tags, Date.now() + 60_000])}\npayload`))!
    const text = (epoch: number | undefined) => (epoch === undefined ? null : String(epoch))
    expect(isStaleEntry(header, text(c.invalidated['*']), (tag) => text(c.invalidated[tag]))).toBe(c.stale)
  })

  it.each(CASES)('KnownInvalidations (what the bus told): $name', (c) => {
    const known = new KnownInvalidations()
    known.reset(0, 0)
    history(c).forEach((tag, i) => known.record(i + 1, [tag === '*' ? EVERYTHING : tag], 0))
    expect(known.verdict(c.entry, c.tags, 0)).toBe(c.stale ? 'stale' : 'fresh')
  })

  describe('the Lua read script (GET_CHECKED) in a real Redis', () => {
    const redis = useRedis()

    it.each(CASES.map((c, i) => ({ ...c, i })))('$name', async (c) => {
      const keyspace = new RedisKeyspace(`stale${process.pid}x${c.i}:`)
      for (const [tag, epoch] of Object.entries(c.invalidated))
        await redis().set(tag === '*' ? keyspace.all : keyspace.tag(tag), epoch)
      await redis().set(keyspace.data('k'), `${JSON.stringify([c.entry, c.tags, Date.now() + 60_000])}\npayload`)
      const reply = (await GET_CHECKED.run(
        redis(),
        [keyspace.data('k')],
        [keyspace.tagPrefix, keyspace.all, keyspace.epoch],
      )) as [unknown, unknown]
      // A hit replies the entry's text; a stale entry replies status 1 (and is deleted).
      expect(reply[0] === 1).toBe(c.stale)
      if (!c.stale) expect(String(reply[0])).toMatch(/\npayload$/)
    })
  })
})
