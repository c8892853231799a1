/** The bounded size checks that let a tier refuse a value too large before copying or serializing it in full. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defaultSerializer } from '../../src/cache/msgpack-serializer.js'
import { encodedSizeExceeds, estimateSize, estimateSizeUpTo } from '../../src/cache/size-bound.js'

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i, name: `user ${i}`, at: new Date(0), tags: ['a', 'bé'], n: null }))

describe('size bounds', () => {
  it('estimateSize counts strings 2 bytes per unit + 16, numbers 8, objects 16 + keys, a shared object 8', () => {
    expect(estimateSize('xy')).toBe(20)
    expect(estimateSize({ a: 'xy', n: 1 })).toBe(16 + (2 + 16) + 20 + (2 + 16) + 8)
    const shared = { n: 1 }
    expect(estimateSize([shared, shared])).toBe(16 + 8 + (16 + 18 + 8) + 8 + 8)
    expect(estimateSize(new Map([['k', new Date(0)]]))).toBe(16 + 16 + 18 + 32)
  })

  it('estimateSizeUpTo is estimateSize up to the limit, and stops past it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 5000 }), (value, limit) => {
        const full = estimateSize(value)
        const bounded = estimateSizeUpTo(value, limit)
        if (full <= limit) expect(bounded).toBe(full)
        else expect(bounded).toBeGreaterThan(limit)
      }),
    )
    const big = rows(50_000)
    expect(estimateSizeUpTo(big, 1000)).toBeLessThan(2000) // walked a few rows, not 50,000
  })

  it('encodedSizeExceeds never claims more than the MessagePack encoding holds', () => {
    const encodedBytes = (value: unknown) => {
      return defaultSerializer.serialize(value).byteLength
    }
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.constant(rows(30))), (value) => {
        expect(encodedSizeExceeds(value, encodedBytes(value))).toBe(false)
      }),
    )
    expect(encodedSizeExceeds(rows(50_000), 4096)).toBe(true)
  })
})
