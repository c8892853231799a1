import fc from 'fast-check'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { msgpackSerializer } from '../../src/index.js'

const roundTrip = (value: unknown) => msgpackSerializer.deserialize(msgpackSerializer.serialize(value))

/** Keys that decoders are known to mishandle, mixed into ordinary ones. */
const key = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON', 'valueOf', ''))
const leaf = [
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.date({ noInvalidDate: true }),
]

describe('msgpackSerializer', () => {
  it('gives back every value as it was: types, -0, NaN, BigInts of any size, keys such as __proto__ and constructor', () => {
    fc.assert(
      fc.property(
        // Leaves: every primitive, BigInts of any size, valid Dates (Node's deep equality finds two invalid Dates unequal:
        // they are checked below).
        fc.anything({ key, values: leaf, withMap: true, withSet: true, withTypedArray: true, maxDepth: 4 }),
        // Node's strict deep equality: prototypes, -0 against 0, own keys (vitest's reads an own `constructor` key as the class).
        (value) => isDeepStrictEqual(roundTrip(value), value),
      ),
      { numRuns: 500 },
    )
  })

  it('keeps own __proto__ and constructor keys as data, never as the prototype or the class', () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"name": "x"}, "toJSON": 1}') as Record<
      string,
      unknown
    >
    const back = roundTrip([json, { nested: json }]) as Array<Record<string, unknown>>
    expect(Object.getPrototypeOf(back[0])).toBe(Object.prototype)
    expect(Object.keys(back[0]!)).toEqual(['__proto__', 'constructor', 'toJSON'])
    expect(Object.getOwnPropertyDescriptor(back[0], '__proto__')?.value).toEqual({ polluted: true })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // The caller's value is not changed by the guard (it packs a copy).
    expect(Object.keys(json)).toEqual(['__proto__', 'constructor', 'toJSON'])
  })

  it('-0, invalid Dates and the classes of byte arrays survive, and decoded bytes never share the input buffer', () => {
    const back = roundTrip({
      z: -0,
      list: [-0, 0],
      u8: new Uint8Array([1]),
      buf: Buffer.from([2]),
      bad: new Date(Number.NaN),
    }) as { z: number; list: number[]; u8: Uint8Array; buf: Buffer; bad: Date }
    expect(back.bad).toBeInstanceOf(Date)
    expect(back.bad.getTime()).toBeNaN()
    expect(Object.is(back.z, -0)).toBe(true)
    expect(Object.is(back.list[0], -0) && Object.is(back.list[1], 0)).toBe(true)
    expect(back.u8.constructor).toBe(Uint8Array)
    expect(Buffer.isBuffer(back.buf)).toBe(true)
    const packed = Buffer.from(msgpackSerializer.serialize({ bytes: Buffer.from([7, 7, 7]) }))
    const decoded = msgpackSerializer.deserialize(packed) as { bytes: Buffer }
    packed.fill(0)
    expect([...decoded.bytes]).toEqual([7, 7, 7])
  })

  it('writes an object shape once per entry (records), and every entry decodes alone', () => {
    const posts = Array.from({ length: 5 }, (_, i) => ({ id: i, title: `post ${i}`, createdAt: new Date(i) }))
    const first = msgpackSerializer.serialize(posts)
    const second = msgpackSerializer.serialize([{ id: 9, title: 'other', createdAt: new Date(9) }])
    expect(Buffer.from(first).toString('latin1').split('createdAt')).toHaveLength(2)
    expect(msgpackSerializer.deserialize(second)).toEqual([{ id: 9, title: 'other', createdAt: new Date(9) }])
    expect(msgpackSerializer.deserialize(first)).toEqual(posts)
  })

  it('serializeWithHeadroom leaves the bytes asked for free in front of the bytes serialize gives', () => {
    const value = { id: 1, at: new Date(5), tags: ['a', 'b'], n: 10n }
    const bytes = Buffer.from(msgpackSerializer.serialize(value))
    // msgpackr reserves up to 255 bytes itself; beyond that, the bytes are copied behind the room.
    for (const headroom of [0, 1, 100, 255, 256, 1000]) {
      const out = msgpackSerializer.serializeWithHeadroom(value, headroom)
      expect(out.byteLength, `headroom ${headroom}`).toBe(headroom + bytes.byteLength)
      expect(Buffer.from(out.subarray(headroom)).equals(bytes), `headroom ${headroom}`).toBe(true)
      expect(msgpackSerializer.deserialize(out.subarray(headroom))).toEqual(value)
    }
    // After a large value (msgpackr grows its working buffer for it), small ones are back in an 8 KiB buffer.
    const large = msgpackSerializer.serializeWithHeadroom({ text: 'x'.repeat(100_000) }, 10)
    expect(large.buffer.byteLength).toBeGreaterThan(100_000)
    const after = [1, 2].map((n) => msgpackSerializer.serializeWithHeadroom({ n, value }, 10))
    expect(after[0]!.buffer.byteLength).toBeLessThanOrEqual(8192)
    expect(after[1]!.buffer).toBe(after[0]!.buffer)
    expect(msgpackSerializer.deserialize(large.subarray(10))).toEqual({ text: 'x'.repeat(100_000) })
    for (const bad of [-1, 1.5, Number.NaN])
      expect(() => msgpackSerializer.serializeWithHeadroom(1, bad)).toThrow(/headroom must be an integer ≥ 0, got/)
  })

  it('refuses a value with a cycle with an error that says so', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = { back: cyclic }
    expect(() => msgpackSerializer.serialize(cyclic)).toThrow(/cannot pack this value \(a cycle/)
  })

  it('learns classes by registration, and refuses types in use', () => {
    class Money {
      constructor(readonly cents: bigint) {}
    }
    msgpackSerializer.register<Money>({
      Class: Money,
      type: 33,
      write: (m) => m.cents,
      read: (cents: bigint) => new Money(cents),
    })
    msgpackSerializer.register<Money>({
      Class: Money,
      type: 33,
      write: (m) => m.cents,
      read: (cents: bigint) => new Money(cents),
    })
    const back = roundTrip({ price: new Money(250n) }) as { price: Money }
    expect(back.price).toBeInstanceOf(Money)
    expect(back.price.cents).toBe(250n)
    class Other {}
    expect(() =>
      msgpackSerializer.register({ Class: Other, type: 33, write: () => 1, read: () => new Other() }),
    ).toThrow(/already registered/)
    for (const type of [0, 1, 0x73, 128, 1.5]) {
      expect(() => msgpackSerializer.register({ Class: Other, type, write: () => 1, read: () => new Other() })).toThrow(
        /type must be an integer from 1 to 127/,
      )
    }
  })

  it('decodes alike with and without its native string decoder (msgpackr-extract, installed here with msgpackr)', () => {
    // This process decodes natively (the package is in node_modules); a child with msgpackr's switch off decodes
    // in JavaScript and encodes again: every value must come back as it was through both.
    expect(msgpackSerializer.accelerated).toBe(true)
    const strings = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 300 }))
    const values = fc.sample(
      fc.anything({ key: strings, values: [...leaf, strings], withMap: true, withSet: true, maxDepth: 3 }),
      { numRuns: 300, seed: 19 },
    )
    const payloads = values.map((value) => Buffer.from(msgpackSerializer.serialize(value)).toString('base64'))
    const child = fileURLToPath(new URL('./fixtures/msgpack-round-trip.ts', import.meta.url))
    const output = execFileSync(process.execPath, ['--import', 'tsx', child], {
      input: JSON.stringify(payloads),
      env: { ...process.env, MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    })
    const answer = JSON.parse(output.toString()) as { accelerated: boolean; payloads: string[] }
    expect(answer.accelerated).toBe(false)
    const mismatched = answer.payloads.filter((text, i) => {
      return !isDeepStrictEqual(msgpackSerializer.deserialize(Buffer.from(text, 'base64')), values[i])
    })
    expect(mismatched).toEqual([])
  })
})
