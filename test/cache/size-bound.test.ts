/** The bounded size checks that let a tier refuse a value too large before copying or serializing it in full. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defaultSerializer } from '../../src/cache/msgpack-serializer.js'
import { encodedSizeOverBySample, estimateSize, estimateSizeUpTo } from '../../src/cache/size-bound.js'

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
    const big = rows(1000) // shorter than a sampled array: walked
    expect(estimateSizeUpTo(big, 1000)).toBeLessThan(2000) // a few rows, not 1,000
  })

  it('judges a long array over the bound from a sample of its rows, without walking it up to the bound', () => {
    let reads = 0
    const row = (i: number) => ({
      id: i,
      get title() {
        reads++
        return `a title long enough to count: ${'x'.repeat(100)}`
      },
    })
    const many = Array.from({ length: 60_000 }, (_, i) => row(i))
    expect(estimateSizeUpTo(many, 1_000_000)).toBeGreaterThan(1_000_000)
    expect(encodedSizeOverBySample(many, 1_000_000)).toBe(true)
    expect(reads).toBeLessThanOrEqual(2 * 32) // 32 sampled rows per measure, not the ~4,000 the bound holds
    // Under the bound, the sample decides nothing: the exact measure.
    const few = many.slice(0, 2000)
    expect(estimateSizeUpTo(few, 1_000_000)).toBe(estimateSize(few))
    expect(encodedSizeOverBySample(few, 1_000_000)).toBe(false)
  })

  it('a long array of tiny rows with one huge row (sampled) is measured, not judged from the huge one', () => {
    const rowsWithOneHuge = [{ text: 'y'.repeat(500_000) }, ...Array.from({ length: 5000 }, (_, i) => ({ i }))]
    const exact = estimateSize(rowsWithOneHuge)
    expect(exact).toBeLessThan(2_000_000)
    expect(estimateSizeUpTo(rowsWithOneHuge, 2_000_000)).toBe(exact)
    const encoded = defaultSerializer.serialize(rowsWithOneHuge).byteLength
    expect(encodedSizeOverBySample(rowsWithOneHuge, encoded)).toBe(false)
  })

  it('encodedSizeOverBySample never claims more than the MessagePack encoding holds', () => {
    const encodedBytes = (value: unknown) => {
      return defaultSerializer.serialize(value).byteLength
    }
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.constant(rows(30))), (value) => {
        expect(encodedSizeOverBySample(value, encodedBytes(value))).toBe(false)
      }),
    )
    expect(encodedSizeOverBySample(rows(50_000), 4096)).toBe(true)
  })
})
