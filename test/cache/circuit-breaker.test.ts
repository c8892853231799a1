import { describe, expect, it } from 'vitest'
import { CircuitBreaker, CircuitOpenError } from '../../src/cache/circuit-breaker.js'
import { MemoryCache, RedisCache, TieredCache } from '../../src/index.js'
import { startRedisServer } from '../support/redis.js'
import { eventually } from '../support/eventually.js'
import { manualClock } from '../support/clock.js'
import { WrappedCache } from '../support/wrapped-cache.js'

const fail = () => Promise.reject(new Error('down'))
const ok = () => Promise.resolve('ok')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('CircuitBreaker', () => {
  it('opens after threshold consecutive failures, probes once after breakMs, closes on success', async () => {
    const clock = manualClock()
    const breaker = new CircuitBreaker({ threshold: 2, breakMs: 50, clock })
    await expect(breaker.run('x', fail)).rejects.toThrow('down')
    expect(breaker.state).toBe('closed')
    await expect(breaker.run('x', fail)).rejects.toThrow('down')
    expect(breaker.state).toBe('open')
    await expect(breaker.run('x', ok)).rejects.toBeInstanceOf(CircuitOpenError)
    clock.advance(49)
    expect(breaker.state).toBe('open')
    clock.advance(1)
    expect(breaker.state).toBe('half-open')
    await expect(breaker.run('x', fail)).rejects.toThrow('down')
    expect(breaker.state).toBe('open')
    expect(breaker.opens).toBe(2)
    clock.advance(50)
    // One probe at a time: a second call while the probe is in flight is refused.
    let answer = (_: string) => {}
    const probe = breaker.run('x', () => new Promise<string>((resolve) => (answer = resolve)))
    await expect(breaker.run('x', ok)).rejects.toBeInstanceOf(CircuitOpenError)
    answer('ok')
    await expect(probe).resolves.toBe('ok')
    expect(breaker.state).toBe('closed')
    await expect(breaker.run('x', ok)).resolves.toBe('ok')
  })

  it('rejects bad options', () => {
    expect(() => new CircuitBreaker({ threshold: 0 })).toThrow(/threshold/)
    expect(() => new CircuitBreaker({ breakMs: -1 })).toThrow(/breakMs/)
  })
})

describe('TieredCache L2 circuit breaker', () => {
  it('stops calling a failing L2 for breakMs, then probes it, and resumes when it answers', async () => {
    const l2 = new WrappedCache(new MemoryCache())
    const clock = manualClock()
    const cache = new TieredCache(new MemoryCache(), l2, { l2CircuitBreaker: { threshold: 3, breakMs: 100, clock } })
    l2.broken = true
    for (let i = 0; i < 3; i++) expect(await cache.get(`miss${i}`)).toBeUndefined()
    const calls = l2.log.length
    for (let i = 0; i < 20; i++) await cache.get(`skipped${i}`)
    expect(l2.log.length).toBe(calls)
    expect(cache.stats().l2Circuit).toMatchObject({ state: 'open', opens: 1, skipped: 20 })
    l2.broken = false
    await l2.inner.set('back', 'yes', { ttl: 60 })
    clock.advance(100)
    expect((await cache.get('back'))?.value).toBe('yes')
    expect(cache.stats().l2Circuit?.state).toBe('closed')
  })

  it('while the circuit is open an invalidation is owed at once, without calling L2; a background replay pays it when L2 is back', async () => {
    // Fails on the old code: invalidations were forced through the open circuit (each write waited L2's timeout).
    const l2 = new WrappedCache(new MemoryCache())
    const cache = new TieredCache(new MemoryCache(), l2, { l2CircuitBreaker: { threshold: 2, breakMs: 60_000 } })
    try {
      await cache.set('user', 'old', { ttl: 60, tags: ['User'] })
      l2.broken = true
      for (let i = 0; i < 2; i++) await cache.get(`miss${i}`)
      expect(cache.stats().l2Circuit?.state).toBe('open')
      const calls = l2.log.length
      await cache.invalidateTags(['User'])
      await cache.delete('user')
      expect(l2.log.slice(calls)).toEqual([])
      expect(cache.stats().pendingL2Invalidations).toBe(2)
      // L1 is invalidated at once; L2 is not read while it owes.
      expect(await cache.get('user')).toBeUndefined()
      expect(l2.log.slice(calls)).toEqual([])
      l2.broken = false
      // No caller: the background replay (once a second) repairs L2 and closes the circuit.
      await eventually(() => cache.stats().pendingL2Invalidations === 0, 'the owed invalidations to be replayed')
      expect(await l2.inner.get('user')).toBeUndefined()
      expect(l2.log.slice(calls)).toEqual(['invalidateTags', 'delete'])
      expect(cache.stats().l2Circuit?.state).toBe('closed')
    } finally {
      await cache.close()
    }
  })

  it('a required L2 with an open circuit fails an invalidation at once', async () => {
    const l2 = new WrappedCache(new MemoryCache())
    const cache = new TieredCache(new MemoryCache(), l2, {
      l2Required: true,
      l2CircuitBreaker: { threshold: 1, breakMs: 60_000 },
    })
    l2.broken = true
    await expect(cache.get('x')).rejects.toThrow(/l2/)
    const calls = l2.log.length
    await expect(cache.invalidateTags(['User'])).rejects.toThrow(/circuit open/)
    expect(l2.log.length).toBe(calls)
    await cache.close()
  })

  it('with a real redis-server stopped, L2 calls stop after the threshold and resume once it is back', async () => {
    const server = await startRedisServer()
    const l2 = new RedisCache({ url: server.url, prefix: 'cb:', operationTimeoutMs: 100 })
    const cache = new TieredCache(new MemoryCache(), l2, { l2CircuitBreaker: { threshold: 2, breakMs: 300 } })
    try {
      await cache.set('k', 1, { ttl: 60 })
      await server.stop()
      for (let i = 0; i < 50; i++) await cache.get(`cold${i}`)
      // 2 calls wait up to the operation timeout; the others are refused at once (counted, not timed).
      expect(cache.stats().l2Circuit?.skipped).toBeGreaterThanOrEqual(45)
      await server.start()
      let resumed = false
      for (let i = 0; i < 40 && !resumed; i++) {
        await sleep(100)
        await cache.set('after', 2, { ttl: 60 })
        // (A command sent while the client was reconnecting fails at once but may still run once it is back:
        // the value can be there before a call through the circuit has succeeded.)
        resumed =
          (await l2.get('after').catch(() => undefined))?.value === 2 && cache.stats().l2Circuit?.state === 'closed'
      }
      expect(resumed).toBe(true)
      expect(cache.stats().l2Circuit?.state).toBe('closed')
    } finally {
      await cache.close()
      await server.stop()
    }
  })
})
