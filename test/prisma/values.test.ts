/**
 * Property test: for rows with arbitrary values of every scalar type of the test schema, a cached result
 * (L1 hit, and L2 hit on another instance) deep-equals the uncached one, with the same types; with each built-in
 * serializer of the Redis tier.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PROVIDERS, Prisma, type Provider, Role } from '../support/database.js'
import { useDatabase } from '../support/use-database.js'
import { buildCache, cachedClient, SERIALIZERS, secondInstance, useRedis } from './stack.js'

const RUNS = 25

/** Text PostgreSQL accepts (no NUL, no lone surrogates) */
const text = fc.string({ unit: 'grapheme', maxLength: 20 })
const jsonKey = fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'prototype', 'json', 'meta', 'toString', ''))
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }),
    text,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(jsonKey, tie('value')), { maxLength: 3 }).map((entries) => {
      const object: Record<string, unknown> = {}
      for (const [k, v] of entries)
        Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true })
      return object
    }),
  ),
})).value

const row = fc.record({
  name: fc.option(text, { nil: null }),
  age: fc.option(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), { nil: null }),
  balance: fc
    .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }))
    .map(([units, scale]) => new Prisma.Decimal(units.toString()).div(10 ** scale)),
  karma: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  rating: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), { nil: null }),
  active: fc.boolean(),
  settings: json,
  avatar: fc.option(fc.uint8Array({ maxLength: 32 }), { nil: null }),
  createdAt: fc.date({
    min: new Date('1970-01-01T00:00:00.000Z'),
    max: new Date('2100-01-01T00:00:00.000Z'),
    noInvalidDate: true,
  }),
  role: fc.constantFrom(Role.USER, Role.EDITOR, Role.ADMIN),
})

const redisClient = useRedis()

describe.each(
  PROVIDERS.flatMap((provider) => SERIALIZERS.map(([name, serializer]) => [provider, name, serializer] as const)),
)('cached values equal uncached values on %s, Redis tier in %s', (provider: Provider, _name, serializer) => {
  const db = useDatabase(provider)

  it(`for ${RUNS} random rows of every scalar type, through L1 and L2`, async () => {
    const plain = db.createClient()
    const first = cachedClient(db, buildCache('memory+redis', redisClient(), serializer))
    let n = 0
    await fc.assert(
      fc.asyncProperty(row, async (data) => {
        const settings = data.settings === null ? Prisma.JsonNull : (data.settings as Prisma.InputJsonValue)
        let created: { id: number }
        try {
          created = await plain.user.create({
            data: {
              ...data,
              settings,
              email: `u${n++}-${Date.now()}@example.com`,
              posts: { create: { title: 't', slug: `s${n}`, price: data.balance, metadata: settings } },
            },
          })
        } catch {
          // Prisma 7.10 itself cannot write some Json inputs (an object with an own "__proto__" key inside an
          // array crashes its parameterizer): not a value the cache can be asked to hold. Discard the sample.
          fc.pre(false)
          return
        }
        const args = { where: { id: created.id }, include: { posts: true } } as const
        const expected = await plain.user.findUnique(args)
        const miss = await first.prisma.user.findUnique({ ...args, cache: 60 })
        const l1 = await first.prisma.user.findUnique({ ...args, cache: 60 })
        const l2 = await cachedClient(db, secondInstance(first.cache)).prisma.user.findUnique({ ...args, cache: 60 })
        for (const [label, value] of [
          ['miss', miss],
          ['l1 hit', l1],
          ['l2 hit', l2],
        ] as const) {
          expect(value, label).toEqual(expected)
          expect(value!.balance, label).toBeInstanceOf(Prisma.Decimal)
          expect(value!.balance.toString(), label).toBe(expected!.balance.toString())
          expect(typeof value!.karma, label).toBe('bigint')
          expect(value!.createdAt, label).toBeInstanceOf(Date)
          if (expected!.avatar !== null) expect(value!.avatar, label).toBeInstanceOf(Uint8Array)
          expect(JSON.stringify(Object.keys((value!.settings as object | null) ?? {})), label).toBe(
            JSON.stringify(Object.keys((expected!.settings as object | null) ?? {})),
          )
        }
      }),
      { numRuns: RUNS },
    )
  }, 120_000)
})
