import { describe, expect, it } from 'vitest'
import { MemoryCache, msgpackSerializer, type Serializer, superjsonSerializer } from '../../src/index.js'
import { manualClock } from '../support/clock.js'
import { describeConformance, richValue } from './conformance.js'

describeConformance('MemoryCache (clone)', () => {
  const clock = manualClock()
  return { cache: new MemoryCache({ clock }), other: new MemoryCache(), advance: clock.advance }
})
describeConformance('MemoryCache (serialize)', () => {
  const clock = manualClock()
  return {
    cache: new MemoryCache({ values: 'serialize', maxSize: 1_000_000, clock }),
    other: new MemoryCache(),
    advance: clock.advance,
  }
})
describeConformance('MemoryCache (clone, bounded by maxSize)', () => {
  const clock = manualClock()
  return { cache: new MemoryCache({ maxSize: 4_000_000, clock }), other: new MemoryCache(), advance: clock.advance }
})
describeConformance('MemoryCache (the system clock: TTLs measured by performance.now())', () => ({
  cache: new MemoryCache(),
  other: new MemoryCache(),
}))

describe('MemoryCache bounds', () => {
  it('evicts the least recently used entry past max entries, and counts it', async () => {
    const cache = new MemoryCache({ max: 3 })
    for (const k of ['a', 'b', 'c']) await cache.set(k, k, { ttl: 60 })
    await cache.get('a')
    await cache.set('d', 'd', { ttl: 60 })
    expect(await cache.get('b')).toBeUndefined()
    expect((await cache.get('a'))?.value).toBe('a')
    expect(await cache.size()).toBe(3)
    expect(cache.stats().evictions).toBe(1)
  })

  it('stays under maxSize bytes and skips values over maxEntrySize (counted, not thrown)', async () => {
    const cache = new MemoryCache({ maxSize: 20_000, maxEntrySize: 5_000 })
    for (let i = 0; i < 200; i++) await cache.set(`k${i}`, { i, text: 'x'.repeat(100) }, { ttl: 60 })
    expect(cache.calculatedSize).toBeLessThanOrEqual(20_000)
    expect(cache.stats().evictions).toBeGreaterThan(0)
    await cache.set('old', 'small', { ttl: 60 })
    await cache.set('old', 'y'.repeat(10_000), { ttl: 60 })
    expect(await cache.get('old')).toBeUndefined()
    expect(cache.stats().rejectedTooLarge).toBe(1)
  })

  it('refusesAsTooLarge tells what set refuses, before copying (clone mode, the default measure)', async () => {
    const cache = new MemoryCache({ maxSize: 20_000, maxEntrySize: 5_000 })
    const large = { text: 'y'.repeat(10_000) }
    const small = { text: 'y'.repeat(100) }
    expect(cache.refusesAsTooLarge(large)).toBe(true)
    expect(cache.refusesAsTooLarge(small)).toBe(false)
    const refused: string[] = []
    await cache.set('large', large, { ttl: 60, onTooLarge: (tier) => refused.push(tier) })
    await cache.set('small', small, { ttl: 60, onTooLarge: (tier) => refused.push(tier) })
    expect(refused).toEqual(['memory'])
    expect(await cache.has('large')).toBe(false)
    expect(await cache.has('small')).toBe(true)
    // Without a bound, or with a measure of its own, it cannot tell early: false (set still decides).
    expect(new MemoryCache().refusesAsTooLarge(large)).toBe(false)
    expect(new MemoryCache({ maxSize: 20_000, sizeCalculation: () => 1 }).refusesAsTooLarge(large)).toBe(false)
  })

  it('keeps prototypes when cloning (class instances come back as instances)', async () => {
    class Money {
      constructor(
        public cents: number,
        public digits: number[],
      ) {}
      get dollars() {
        return this.cents / 100
      }
    }
    const cache = new MemoryCache()
    await cache.set('m', { price: new Money(250, [2, 5]), value: richValue() }, { ttl: 60 })
    const hit = (await cache.get<{ price: Money }>('m'))!.value
    expect(hit.price).toBeInstanceOf(Money)
    expect(hit.price.dollars).toBe(2.5)
    hit.price.digits.push(0)
    expect((await cache.get<{ price: Money }>('m'))!.value.price.digits).toEqual([2, 5])
  })

  it('keeps an own __proto__ key as data, without touching the prototype', async () => {
    const cache = new MemoryCache()
    const value = JSON.parse('{"__proto__": {"polluted": true}, "json": 1, "meta": 2}') as Record<string, unknown>
    await cache.set('p', value, { ttl: 60 })
    const hit = (await cache.get<Record<string, unknown>>('p'))!.value
    expect(Object.getPrototypeOf(hit)).toBe(Object.prototype)
    expect(Object.keys(hit)).toEqual(['__proto__', 'json', 'meta'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('forgets invalidated tags after 2 x maxTtl, so tag records do not grow without bound', async () => {
    const clock = manualClock()
    const cache = new MemoryCache({ maxTtl: 0.05, clock })
    for (let i = 0; i < 5000; i++) await cache.invalidateTags([`User:id=${i}`])
    clock.advance(101)
    for (let i = 0; i < 2000; i++) await cache.invalidateTags([`Post:id=${i}`])
    expect(cache.trackedTags).toBeLessThanOrEqual(2000)
  })

  it('refuses a snapshot older than maxTtl (its tag records may be gone)', async () => {
    const clock = manualClock()
    const cache = new MemoryCache({ maxTtl: 0.05, clock })
    const old = await cache.snapshot()
    clock.advance(51)
    await cache.set('k', 1, { ttl: 0.05, snapshot: old })
    expect(await cache.get('k')).toBeUndefined()
  })
})

/** A serializer of the same kind as `inner` that counts its calls. */
function counting(inner: Serializer) {
  const calls = { serialize: 0, deserialize: 0 }
  const serializer: Serializer =
    inner.binary === true
      ? {
          format: inner.format,
          binary: true,
          serialize: (v) => (calls.serialize++, inner.serialize(v)),
          deserialize: (b) => (calls.deserialize++, inner.deserialize(b)),
        }
      : {
          serialize: (v) => (calls.serialize++, inner.serialize(v)),
          deserialize: (t) => (calls.deserialize++, inner.deserialize(t)),
        }
  return { calls, serializer }
}

describe.each([
  ['MessagePack', msgpackSerializer, Buffer.from([0xdd, 0, 0])],
  ['superjson', superjsonSerializer, 'not superjson'],
] as const)('MemoryCache values written serialized (encoded, as from an L2 hit), %s', (_name, inner, corrupt) => {
  it('clone mode keeps the serialized form, decodes it once on the first read, and still hands every reader its own copy', async () => {
    const { calls, serializer } = counting(inner)
    const cache = new MemoryCache()
    const value = richValue()
    await cache.set('k', { not: 'used' }, { ttl: 60, encoded: { data: serializer.serialize(value), serializer } })
    expect(calls.deserialize).toBe(0)
    const first = (await cache.get<ReturnType<typeof richValue>>('k'))!.value
    expect(first).toEqual(value)
    expect(first.createdAt).toBeInstanceOf(Date)
    first.name = 'MUTATED'
    const second = (await cache.get<ReturnType<typeof richValue>>('k'))!.value
    expect(second).toEqual(value)
    expect(calls.deserialize).toBe(1)
  })

  it('serialize mode keeps data from its own serializer as is, and re-encodes data from another', async () => {
    const own = counting(inner)
    const cache = new MemoryCache({ values: 'serialize', serializer: own.serializer })
    await cache.set('same', 1, { ttl: 60, encoded: { data: inner.serialize(1), serializer: own.serializer } })
    expect(own.calls.serialize).toBe(0)
    const other = counting(inner)
    await cache.set('other', 2, { ttl: 60, encoded: { data: 'data of another format', serializer: other.serializer } })
    expect(own.calls.serialize).toBe(1)
    expect((await cache.get('same'))?.value).toBe(1)
    expect((await cache.get('other'))?.value).toBe(2)
  })

  it('data that no longer decodes is a miss, removed and counted, never an error', async () => {
    const cache = new MemoryCache()
    await cache.set('k', 1, { ttl: 60, encoded: { data: corrupt, serializer: inner } })
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.has('k')).toBe(false)
    expect(cache.stats().errors).toBe(1)
  })
})

describe('MemoryCache owned values', () => {
  it('keeps a value written as owned as it is (the writer promised nobody holds it), and still copies on read', async () => {
    const cache = new MemoryCache()
    const owned = { n: 1 }
    await cache.set('owned', owned, { ttl: 60, owned: true })
    const plain = { n: 1 }
    await cache.set('plain', plain, { ttl: 60 })
    // Breaking the promise shows what was kept: the object itself, against a copy.
    owned.n = 2
    plain.n = 2
    expect((await cache.get<{ n: number }>('owned'))?.value).toEqual({ n: 2 })
    expect((await cache.get<{ n: number }>('plain'))?.value).toEqual({ n: 1 })
    expect((await cache.get('owned'))?.value).not.toBe(owned)
  })
})
