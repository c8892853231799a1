import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CacheKey, EntityTag, KeyPattern } from '../../src/index.js'

describe('CacheKey', () => {
  it('has the documented string form', () => {
    expect(CacheKey.fields('User', { id: 1 }).toString()).toBe('User:id=1')
    expect(CacheKey.fields('Member', { userId: 1, orgId: 2 }).toString()).toBe('Member:orgId=2,userId=1')
    expect(CacheKey.of('Post', 'slug').toString()).toBe('Post:slug')
    expect(CacheKey.fields('User', { email: 'a@b.com' }).toString()).toBe('User:email=a@b.com')
  })

  it.each([':', '*', '?', '[', ']', '\\', ' ', '%', '{', '}', '^', '\n'])(
    'escapes %j so it is never syntax',
    (char) => {
      const key = CacheKey.of('User', `a${char}b`)
      const text = key.toString()
      if (char !== '%') expect(text.slice('User:'.length)).not.toContain(char)
      else expect(text).toBe('User:a%25b')
      expect(text).not.toMatch(/[*?[\]\\{} ]/)
      expect(CacheKey.parse(text).equals(key)).toBe(true)
    },
  )

  it('format and parse round-trip for any identifier, and different identifiers never collide', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const ka = CacheKey.of('User', a)
        expect(CacheKey.parse(ka.toString()).identifier).toBe(a)
        if (a !== b) expect(ka.toString()).not.toBe(CacheKey.of('User', b).toString())
      }),
      { numRuns: 2000 },
    )
  })

  it('field identifiers cannot be forged by values holding separators', () => {
    const forged = CacheKey.fields('User', { id: '1,role=admin' }).toString()
    const real = CacheKey.fields('User', { id: '1', role: 'admin' }).toString()
    expect(forged).not.toBe(real)
    expect(CacheKey.fields('User', { a: 'x=y' }).toString()).not.toBe(
      CacheKey.fields('User', { 'a=x': 'y' }).toString(),
    )
  })

  it('rejects bad input with errors that name the problem', () => {
    expect(() => CacheKey.of('Us:er', '1')).toThrow(/Invalid cache entity "Us:er"/)
    expect(() => CacheKey.of('', '1')).toThrow(/Invalid cache entity/)
    expect(() => CacheKey.parse('nocolon')).toThrow(/Not a cache key/)
    expect(() => CacheKey.parse('User:%ZZ')).toThrow(/malformed %-escape/)
    expect(() => CacheKey.parse('User:a b')).toThrow(/canonical form/)
    expect(() => CacheKey.fields('User', {})).toThrow(/at least one field/)
    expect(() => CacheKey.fields('User', { id: {} as unknown as string })).toThrow(/Identifier field "id"/)
  })
})

describe('KeyPattern', () => {
  it('entity patterns match only that entity', () => {
    const users = KeyPattern.entity('User')
    expect(users.glob).toBe('User:*')
    expect(users.matches(CacheKey.fields('User', { id: 1 }))).toBe(true)
    expect(users.matches('Users:id=1')).toBe(false)
    expect(users.matches(CacheKey.of('UserProfile', 'x'))).toBe(false)
  })

  it('identifier prefixes are literal: wildcards inside them match only themselves', () => {
    const pattern = KeyPattern.identifierPrefix('User', 'a*')
    expect(pattern.matches(CacheKey.of('User', 'a*b'))).toBe(true)
    expect(pattern.matches(CacheKey.of('User', 'abc'))).toBe(false)
    const q = KeyPattern.identifierPrefix('User', 'x?')
    expect(q.matches(CacheKey.of('User', 'x?1'))).toBe(true)
    expect(q.matches(CacheKey.of('User', 'xy1'))).toBe(false)
  })

  it('an identifier with glob characters is never matched by a pattern not meant for it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.string({ unit: 'binary', maxLength: 12 }),
        (a, b) => {
          const exact = KeyPattern.key(CacheKey.of('User', a))
          expect(exact.matches(CacheKey.of('User', a))).toBe(true)
          if (a !== b) expect(exact.matches(CacheKey.of('User', b))).toBe(false)
          const prefix = KeyPattern.identifierPrefix('User', a)
          expect(prefix.matches(CacheKey.of('User', b))).toBe(
            b.startsWith(a) || CacheKey.of('User', b).toString().startsWith(CacheKey.of('User', a).toString()),
          )
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('follows Redis glob semantics', () => {
    expect(KeyPattern.glob('User:id=[12]').matches('User:id=1')).toBe(true)
    expect(KeyPattern.glob('User:id=[^12]').matches('User:id=1')).toBe(false)
    expect(KeyPattern.glob('User:id=[a-c]').matches('User:id=b')).toBe(true)
    expect(KeyPattern.glob('User:id=?').matches('User:id=10')).toBe(false)
    expect(KeyPattern.glob('User:\\*').matches('User:*')).toBe(true)
    expect(KeyPattern.glob('User:\\*').matches('User:x')).toBe(false)
    expect(KeyPattern.glob('a.b').matches('axb')).toBe(false)
    expect(() => KeyPattern.glob('')).toThrow(/non-empty/)
  })
})

describe('EntityTag', () => {
  it('has model-wide and record forms in the key string form', () => {
    expect(EntityTag.entity('User').toString()).toBe('User')
    expect(EntityTag.record('User', { id: 1 }).toString()).toBe('User:id=1')
    expect(EntityTag.record('Member', { userId: 1, orgId: 2 }).text).toBe(
      CacheKey.fields('Member', { orgId: 2, userId: 1 }).toString(),
    )
    expect(() => EntityTag.entity('Bad Name')).toThrow(/Invalid cache entity/)
  })
})
