/**
 * The contract every CacheBackend meets, published as `prisma-tiered-cache/test-suite`: a backend of your own
 * passes it before it goes behind the Prisma extension. Our backends (MemoryCache, RedisCache standalone and
 * cluster, TieredCache) run the same suite.
 *
 * The suite brings no test framework: give it yours (vitest, jest, mocha + an `expect`): the functions the
 * suite calls are typed below. A section runs for each capability the backend declares (`capabilities`); for a
 * capability it does not declare, the suite checks the backend says so honestly (e.g. invalidatePattern rejects).
 *
 * ```ts
 * import { afterEach, beforeEach, describe, expect, it } from 'vitest'
 * import { backendTestSuite } from 'prisma-tiered-cache/test-suite'
 *
 * backendTestSuite({ name: 'MyCache', create: () => ({ cache: new MyCache(), other: new MyCache() }), test: { describe, it, expect, beforeEach, afterEach } })
 * ```
 */
import { isNumbered } from '../cache/backend.js'
import type { CacheBackend } from '../cache/backend.js'
import { CacheKey } from '../cache/key.js'
import { KeyPattern } from '../cache/pattern.js'
import { EntityTag } from '../cache/tag.js'

/** The matchers the suite uses: a subset of vitest's and jest's `expect(...)`. */
export interface SuiteAssertion {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toBeUndefined(): void
  toBeDefined(): void
  toBeNull(): void
  toBeInstanceOf(expected: unknown): void
  toBeGreaterThan(expected: number | bigint): void
  toBeGreaterThanOrEqual(expected: number | bigint): void
  toBeLessThan(expected: number | bigint): void
  toBeLessThanOrEqual(expected: number | bigint): void
  rejects: { toThrow(expected?: RegExp | string): Promise<unknown> }
}

/** The test framework's functions the suite calls (vitest's and jest's have these shapes). */
export interface SuiteTestApi {
  describe(name: string, body: () => void): unknown
  it(name: string, body: () => Promise<void>): unknown
  expect(actual: unknown): SuiteAssertion
  beforeEach(hook: () => Promise<void>): unknown
  afterEach(hook: () => Promise<void>): unknown
}

/** What `create` returns: a fresh, empty backend for one test. */
export interface SuiteTarget {
  cache: CacheBackend
  /** A second, independent backend of the same kind: its snapshots must be refused by `cache`. */
  other?: CacheBackend
  /**
   * Moves the backend's clock forward (a MemoryCache built with a `clock` you control): the TTL test then does
   * not sleep. Without it, the test waits for real.
   */
  advance?(ms: number): void | Promise<void>
}

export interface BackendTestSuiteOptions {
  /** Names the suite's `describe`. */
  name: string
  /** Called before each test (a fresh backend each time; closed after the test). */
  create: () => SuiteTarget | Promise<SuiteTarget>
  test: SuiteTestApi
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A value with every type the default serializer promises to round-trip. */
export function richValue() {
  return {
    id: 1,
    name: 'Ada',
    createdAt: new Date('2024-01-02T03:04:05.678Z'),
    big: 12345678901234567890n,
    bytes: new Uint8Array([0, 1, 255]),
    buffer: Buffer.from('héllo'),
    map: new Map<string, unknown>([['a', { deep: [1, 2] }]]),
    set: new Set([1, 'two']),
    nothing: null,
    missing: undefined,
    list: [undefined, null, 0, '', false],
    nested: { posts: [{ id: 1, title: 'x', at: new Date(0) }] },
    // Every byte value: entries are bytes, not UTF-8 text (a newline, invalid sequences).
    allBytes: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    numbers: [-0, Number.NaN, -Infinity, 2 ** 53, 2 ** 32 + 1, 0.1, -(2 ** 31) - 1],
    bigints: [-5n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, -(2n ** 100n)],
    // JSON data with keys a decoder must not take for the prototype or the class (a Prisma Json column may hold them).
    json: JSON.parse(
      '{"__proto__": {"a": 1}, "constructor": {"toJSON": 2}, "prototype": 3, "list": [{"__proto__": null}]}',
    ) as unknown,
  }
}

/** Registers the contract's tests for one backend with the given test framework. */
export function backendTestSuite(options: BackendTestSuiteOptions): void {
  const { describe, it, expect, beforeEach, afterEach } = options.test
  let target: SuiteTarget
  let cache: CacheBackend

  describe(`CacheBackend contract: ${options.name}`, () => {
    beforeEach(async () => {
      target = await options.create()
      cache = target.cache
    })
    afterEach(async () => {
      await Promise.all([target.cache.close(), target.other?.close()])
    })

    describe('core', () => {
      it('declares its capabilities', async () => {
        const c = cache.capabilities
        for (const flag of ['remote', 'snapshots', 'patterns', 'batch', 'numbered'] as const)
          expect(typeof c[flag]).toBe('boolean')
        expect(typeof cache.name).toBe('string')
        expect(cache.maxTtl).toBeGreaterThan(0)
      })

      it('misses, then hits with the value, the remaining TTL and the tags', async () => {
        const key = CacheKey.fields('User', { id: 1 })
        expect(await cache.get(key)).toBeUndefined()
        await cache.set(key, { id: 1 }, { ttl: 60, tags: ['User', EntityTag.record('User', { id: 1 })] })
        const hit = await cache.get(key)
        expect(hit?.value).toEqual({ id: 1 })
        expect(hit?.remainingTtlMs).toBeGreaterThan(50_000)
        expect(hit?.remainingTtlMs).toBeLessThanOrEqual(60_000)
        expect([...(hit?.tags ?? [])].sort()).toEqual(['User', 'User:id=1'])
        expect(await cache.get('User:id=1')).toBeDefined()
      })

      it('round-trips Date, BigInt, Uint8Array, Buffer, Map, Set, undefined vs null', async () => {
        await cache.set('rich', richValue(), { ttl: 60 })
        const hit = await cache.get<ReturnType<typeof richValue>>('rich')
        expect(hit?.value).toEqual(richValue())
        const value = hit!.value
        expect(value.createdAt).toBeInstanceOf(Date)
        expect(typeof value.big).toBe('bigint')
        expect(value.bytes).toBeInstanceOf(Uint8Array)
        expect(Buffer.isBuffer(value.buffer)).toBe(true)
        expect(value.map).toBeInstanceOf(Map)
        expect(value.set).toBeInstanceOf(Set)
        expect('missing' in value).toBe(true)
        expect(value.missing).toBeUndefined()
        expect(value.nothing).toBeNull()
        expect(Object.is(value.numbers[0], -0)).toBe(true)
        expect(value.bigints.every((b) => typeof b === 'bigint')).toBe(true)
        const json = value.json as Record<string, unknown>
        expect(Object.keys(json)).toEqual(['__proto__', 'constructor', 'prototype', 'list'])
        expect(Object.getPrototypeOf(json)).toBe(Object.prototype)
        expect(Object.getOwnPropertyDescriptor(json, '__proto__')?.value).toEqual({ a: 1 })
      })

      it('hands out values the caller can mutate without changing what the next caller gets', async () => {
        const original = { list: [1, 2], at: new Date(0) }
        await cache.set('mutable', original, { ttl: 60 })
        original.list.push(3)
        const first = (await cache.get<typeof original>('mutable'))!.value
        first.list.push(99)
        first.at.setFullYear(2000)
        const second = (await cache.get<typeof original>('mutable'))!.value
        expect(second).toEqual({ list: [1, 2], at: new Date(0) })
      })

      it('expires entries after their TTL', async () => {
        await cache.set('short', 1, { ttl: 0.15 })
        expect((await cache.get('short'))?.value).toBe(1)
        await (target.advance ? target.advance(300) : sleep(300))
        expect(await cache.get('short')).toBeUndefined()
        expect(await cache.has('short')).toBe(false)
      })

      it('deletes and reports what existed', async () => {
        await cache.set('d', 1, { ttl: 60 })
        expect(await cache.has('d')).toBe(true)
        expect(await cache.delete('d')).toBe(true)
        expect(await cache.delete('d')).toBe(false)
        expect(await cache.get('d')).toBeUndefined()
      })

      it('invalidates by model tag and by record tag, and nothing else', async () => {
        await cache.set('User:id=1', 1, { ttl: 60, tags: ['User', 'User:id=1'] })
        await cache.set('User:id=2', 2, { ttl: 60, tags: ['User', 'User:id=2'] })
        await cache.set('Post:list', 3, { ttl: 60, tags: ['Post', 'User'] })
        await cache.set('Post:id=1', 4, { ttl: 60, tags: ['Post'] })
        await cache.set('untagged', 5, { ttl: 60 })
        await cache.invalidateTags([EntityTag.record('User', { id: 1 })])
        expect(await cache.get('User:id=1')).toBeUndefined()
        expect((await cache.get('User:id=2'))?.value).toBe(2)
        await cache.invalidateTags(['User'])
        expect(await cache.get('User:id=2')).toBeUndefined()
        expect(await cache.get('Post:list')).toBeUndefined()
        expect((await cache.get('Post:id=1'))?.value).toBe(4)
        expect((await cache.get('untagged'))?.value).toBe(5)
        // Written after the invalidation: fresh.
        await cache.set('User:id=2', 22, { ttl: 60, tags: ['User'] })
        expect((await cache.get('User:id=2'))?.value).toBe(22)
      })

      it('lookup with expectedTags answers as without, whether the guess is right, too wide, too narrow or wrong', async () => {
        const guesses = [
          undefined,
          ['User', 'User:id=1'],
          ['User', 'User:id=1', 'Post', 'Post:*'],
          ['User'],
          ['Comment'],
          [],
        ]
        const answers = async (key: string) =>
          Promise.all(
            guesses.map(
              async (expectedTags) => (await cache.lookup(key, expectedTags ? { expectedTags } : {})).entry?.value,
            ),
          )
        await cache.set('User:id=1', 'row 1', { ttl: 60, tags: ['User', 'User:id=1'] })
        await cache.set('User:id=2', 'row 2', { ttl: 60, tags: ['User', 'User:id=2'] })
        await cache.set('list', 'list', { ttl: 60, tags: ['User:*'] })
        expect(await answers('User:id=1')).toEqual(guesses.map(() => 'row 1'))
        await cache.invalidateTags(['User:id=1', 'User:*'])
        expect(await answers('User:id=1')).toEqual(guesses.map(() => undefined))
        expect(await answers('list')).toEqual(guesses.map(() => undefined))
        expect(await answers('User:id=2')).toEqual(guesses.map(() => 'row 2'))
        await cache.clear()
        expect(await answers('User:id=2')).toEqual(guesses.map(() => undefined))
      })

      it('clears everything', async () => {
        await cache.set('a', 1, { ttl: 60 })
        await cache.set('b', 2, { ttl: 60, tags: ['T'] })
        expect(await cache.size()).toBe(2)
        await cache.clear()
        expect(await cache.get('a')).toBeUndefined()
        expect(await cache.size()).toBe(0)
        await cache.set('fresh', 1, { ttl: 60 })
        expect((await cache.get('fresh'))?.value).toBe(1)
      })

      it('getMany and setMany keep the order of keys', async () => {
        await cache.setMany([
          { key: 'm1', value: 1, options: { ttl: 60 } },
          { key: CacheKey.of('M', '3'), value: { three: 3 }, options: { ttl: 60, tags: ['M'] } },
        ])
        const entries = await cache.getMany(['m1', 'm2', 'M:3'])
        expect(entries.map((e) => e?.value)).toEqual([1, undefined, { three: 3 }])
        await cache.invalidateTags(['M'])
        expect((await cache.getMany(['m1', 'M:3'])).map((e) => e?.value)).toEqual([1, undefined])
        expect(await cache.getMany([])).toEqual([])
      })

      it('getOrSet computes once for concurrent callers and gives each its own copy', async () => {
        let calls = 0
        const compute = async () => {
          calls++
          await sleep(50)
          return { rows: [1, 2, 3] }
        }
        const results = await Promise.all(
          Array.from({ length: 10 }, () => cache.getOrSet('gos', compute, { ttl: 60, tags: ['G'] })),
        )
        expect(calls).toBe(1)
        for (const r of results) expect(r).toEqual({ rows: [1, 2, 3] })
        results[0]!.rows.push(4)
        expect(results[1]).toEqual({ rows: [1, 2, 3] })
        expect(await cache.getOrSet('gos', compute, { ttl: 60 })).toEqual({ rows: [1, 2, 3] })
        expect(calls).toBe(1)
      })

      it('getOrSet: a failed compute reaches every waiter and stores nothing', async () => {
        let calls = 0
        const failing = async (): Promise<number> => {
          calls++
          await sleep(30)
          throw new Error('database down')
        }
        const settled = await Promise.allSettled(
          Array.from({ length: 5 }, () => cache.getOrSet('fail', failing, { ttl: 60 })),
        )
        expect(calls).toBe(1)
        for (const s of settled) expect(s.status === 'rejected' && (s.reason as Error).message).toBe('database down')
        expect(await cache.get('fail')).toBeUndefined()
        expect(await cache.getOrSet('fail', () => 7, { ttl: 60 })).toBe(7)
      })

      it('rejects bad input with a clear error, before writing anything', async () => {
        for (const ttl of [-1, 0, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
          await expect(cache.set('bad', 1, { ttl })).rejects.toThrow(/ttl must be a finite number of seconds > 0/)
        }
        await expect(cache.set('bad', 1, { ttl: 60, tags: [''] })).rejects.toThrow(/Invalid tag/)
        await expect(cache.set('bad', 1, { ttl: 60, tags: 'User' as unknown as string[] })).rejects.toThrow(
          /tags must be an array/,
        )
        await expect(cache.get(42 as unknown as string)).rejects.toThrow(/must be a string or a CacheKey/)
        await expect(
          cache.setMany([
            { key: 'good', value: 1, options: { ttl: 60 } },
            { key: 'bad', value: 1, options: { ttl: -5 } },
          ]),
        ).rejects.toThrow(/ttl/)
        expect(await cache.get('good')).toBeUndefined()
        if (Number.isFinite(cache.maxTtl))
          await expect(cache.set('huge-ttl', 1, { ttl: cache.maxTtl * 2 })).rejects.toThrow(/maxTtl/)
      })

      it('counts hits, misses and writes', async () => {
        const before = cache.stats()
        await cache.set('s', 1, { ttl: 60 })
        await cache.get('s')
        await cache.get('nope')
        const after = cache.stats()
        expect(after.writes - before.writes).toBeGreaterThanOrEqual(1)
        expect(after.hits - before.hits).toBe(1)
        expect(after.misses - before.misses).toBe(1)
        expect(after.readLatency.count).toBeGreaterThan(before.readLatency.count)
      })
    })

    describe('optional: refusesAsTooLarge', () => {
      it('a value it says it refuses, set refuses: told through onTooLarge, nothing kept under the key', async () => {
        const refuses = cache.refusesAsTooLarge?.bind(cache)
        if (!refuses) return
        expect(refuses({ id: 1, name: 'Ada' })).toBe(false)
        // Strings of growing length (their measure is their length: no walk), up to 64 MiB.
        const sizes = [1, 64, 1024, 8192, 65_536].map((kib) => kib * 1024)
        const tooLarge = sizes.map((size) => ({ text: 'x'.repeat(size) })).find((value) => refuses(value))
        if (tooLarge === undefined) return // no bound up to 64 MiB
        await cache.set('large', 'an older value', { ttl: 60 })
        const told: string[] = []
        await cache.set('large', tooLarge, { ttl: 60, onTooLarge: (tier) => told.push(tier) })
        expect(told).toEqual([cache.name])
        expect(await cache.get('large')).toBeUndefined()
      })
    })

    describe('capability: snapshots (race-safe fills)', () => {
      const when = (body: () => Promise<void>) => async () => {
        if (cache.capabilities.snapshots) await body()
      }

      it(
        'a write computed before an invalidation lands stale',
        when(async () => {
          const before = await cache.snapshot()
          await cache.invalidateTags(['User'])
          await cache.set('User:id=1', 'old row', { ttl: 60, tags: ['User'], snapshot: before })
          expect(await cache.get('User:id=1')).toBeUndefined()
          const after = await cache.snapshot()
          await cache.set('User:id=1', 'new row', { ttl: 60, tags: ['User'], snapshot: after })
          expect((await cache.get('User:id=1'))?.value).toBe('new row')
          // An unrelated tag's invalidation does not affect it.
          const other1 = await cache.snapshot()
          await cache.invalidateTags(['Post'])
          await cache.set('User:id=3', 'row', { ttl: 60, tags: ['User'], snapshot: other1 })
          expect((await cache.get('User:id=3'))?.value).toBe('row')
        }),
      )

      it(
        'lookup: a miss gives a snapshot that makes the write that follows race-safe',
        when(async () => {
          await cache.set('l', 1, { ttl: 60 })
          expect((await cache.lookup('l')).entry?.value).toBe(1)
          const miss = await cache.lookup('User:id=9')
          expect(miss.entry).toBeUndefined()
          expect(miss.snapshot).toBeDefined()
          await cache.invalidateTags(['User'])
          await cache.set('User:id=9', 'computed before the invalidation', {
            ttl: 60,
            tags: ['User'],
            snapshot: miss.snapshot,
          })
          expect(await cache.get('User:id=9')).toBeUndefined()
          const fresh = await cache.lookup('User:id=9')
          await cache.set('User:id=9', 'computed after', { ttl: 60, tags: ['User'], snapshot: fresh.snapshot })
          expect((await cache.get('User:id=9'))?.value).toBe('computed after')
          // With expectedTags too.
          const guessed = await cache.lookup('User:id=1', { expectedTags: ['User', 'User:id=1'] })
          await cache.invalidateTags(['User:id=1'])
          await cache.set('User:id=1', 'computed before', {
            ttl: 60,
            tags: ['User', 'User:id=1'],
            snapshot: guessed.snapshot,
          })
          expect((await cache.lookup('User:id=1', { expectedTags: ['User', 'User:id=1'] })).entry).toBeUndefined()
          expect(await cache.get('User:id=1')).toBeUndefined()
        }),
      )

      it(
        'a write computed before a clear lands stale',
        when(async () => {
          const before = await cache.snapshot()
          await cache.clear()
          await cache.set('late', 1, { ttl: 60, snapshot: before })
          expect(await cache.get('late')).toBeUndefined()
        }),
      )

      it(
        'getOrSet does not store a value whose tags were invalidated while computing',
        when(async () => {
          const value = await cache.getOrSet(
            'racy',
            async () => {
              await cache.invalidateTags(['R'])
              return 'computed before the write finished'
            },
            { ttl: 60, tags: ['R'] },
          )
          expect(value).toBe('computed before the write finished')
          expect(await cache.get('racy')).toBeUndefined()
        }),
      )

      it(
        'refuses a snapshot taken from another cache',
        when(async () => {
          if (target.other === undefined) return
          const foreign = await target.other.snapshot()
          await expect(cache.set('k', 1, { ttl: 60, snapshot: foreign })).rejects.toThrow(
            /snapshot was not taken from this cache/,
          )
        }),
      )
    })

    describe('capability: patterns', () => {
      it('invalidates by pattern, only what matches (or, without the capability, rejects)', async () => {
        if (!cache.capabilities.patterns) {
          await expect(cache.invalidatePattern('User:*')).rejects.toThrow()
          return
        }
        for (let id = 1; id <= 5; id++) await cache.set(CacheKey.fields('User', { id }), id, { ttl: 60 })
        await cache.set(CacheKey.of('Users', 'x'), 'x', { ttl: 60 })
        await cache.set(CacheKey.of('User', 'a*b'), 'star', { ttl: 60 })
        expect(await cache.invalidatePattern(KeyPattern.identifierPrefix('User', 'a*'))).toBe(1)
        expect((await cache.get('User:id=1'))?.value).toBe(1)
        expect(await cache.invalidatePattern(KeyPattern.entity('User'))).toBe(5)
        expect(await cache.get('User:id=3')).toBeUndefined()
        expect((await cache.get('Users:x'))?.value).toBe('x')
        expect(await cache.invalidatePattern('Users:*')).toBe(1)
      })
    })

    describe('capability: batch', () => {
      it('a batch of 500 (repeated keys, misses, tags) answers as 500 single calls', async () => {
        if (!cache.capabilities.batch) return
        const items = Array.from({ length: 500 }, (_, i) => ({
          key: `b:${i}`,
          value: { i },
          options: { ttl: 60, tags: [`T${i % 7}`] },
        }))
        await cache.setMany(items)
        await cache.invalidateTags(['T3'])
        const keys = [...items.map((item) => item.key), 'b:0', 'absent', 'b:3']
        const batch = (await cache.getMany<{ i: number }>(keys)).map((e) => e?.value.i)
        const single = await Promise.all(keys.map(async (key) => (await cache.get<{ i: number }>(key))?.value.i))
        expect(batch).toEqual(single)
        expect(batch.filter((i) => i === undefined).length).toBe(1 + items.filter((_, i) => i % 7 === 3).length + 1)
      })
    })

    describe('capability: numbered invalidations', () => {
      it('numbers every invalidation and stamps every entry with the epoch it was written under', async () => {
        if (!cache.capabilities.numbered) return
        if (!isNumbered(cache)) throw new Error('unreachable')
        const numbered = cache
        expect(await numbered.peek('absent')).toBe('miss')
        const start = await numbered.currentEpoch()
        await numbered.set('n', 'value', { ttl: 60, tags: ['N'] })
        const peeked = await numbered.peek<string>('n')
        if (peeked === 'miss' || peeked === 'unknown') throw new Error(`peek answered ${peeked}`)
        expect(peeked.epoch).toBe(start)
        expect(peeked.entry.value).toBe('value')
        const [epoch] = await numbered.invalidateTagsNumbered(['N', 'Other'])
        expect(epoch).toBeGreaterThan(start)
        expect(await numbered.currentEpoch()).toBeGreaterThanOrEqual(epoch!)
        // peek does not check tags: it answers the entry with its stamp, older than the invalidation.
        const after = await numbered.peek('n')
        if (after !== 'miss' && after !== 'unknown') expect(after.epoch).toBeLessThan(epoch!)
        expect(await numbered.get('n')).toBeUndefined()
        // A snapshot at an older epoch: a write under it is stale by the invalidation.
        await numbered.set('n', 'old', { ttl: 60, tags: ['N'], snapshot: numbered.snapshotAt(start) })
        expect(await numbered.get('n')).toBeUndefined()
        const cleared = await numbered.clearNumbered()
        expect(cleared).toBeGreaterThan(epoch!)
        await numbered.set('c', 1, { ttl: 60, snapshot: numbered.snapshotAt(epoch!) })
        expect(await numbered.get('c')).toBeUndefined()
      })
    })
  })
}
