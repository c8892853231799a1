/**
 * Three instances in three processes sharing one Redis and one PostgreSQL, configured the README's way (no bus
 * named: each TieredCache opens one on its RedisCache's client). Randomized: once a write on one instance has
 * resolved, no instance returns the pre-write data (read-your-writes across instances: the writer waited for the
 * others' acknowledgements); an instance killed without a word delays writes by at most its lease.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDatabase, type TestDatabase } from '../support/database.js'
import { type RedisServerProcess, startRedisServer } from '../support/redis.js'

/** Far above the measured p99 (about 4 ms on loopback, docs/benchmarks.md), for loaded CI machines. */
const PROPAGATION_BOUND_MS = 150
const STEPS = 40
/** Write-then-read-elsewhere steps of the read-your-writes test (the issue asks for at least 200). */
const RYW_STEPS = 240

type BusStatsReply = {
  cache: { connected: boolean; peers: number; writesAcknowledged: number; writesLapsed: number; received: number }
  l1Hits: number
}

class Instance {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  readonly started: Promise<void>
  #next = 1

  constructor(env: Record<string, string>) {
    this.#child = fork(fileURLToPath(new URL('./instance-process.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.started = new Promise((resolve, reject) => {
      this.#child.once('exit', (code) => reject(new Error(`instance exited early (${code})`)))
      this.#child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
        if (message.id === 0) return resolve()
        const waiter = this.#pending.get(message.id)
        this.#pending.delete(message.id)
        if (message.error !== undefined) waiter?.reject(new Error(message.error))
        else waiter?.resolve(message.result)
      })
    })
  }

  call<T>(request: Record<string, unknown>): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.#child.send({ ...request, id })
    })
  }

  /** Kills the process without a word (no bus close, no goodbye): the others find out by its lease lapsing. */
  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.kill('SIGKILL')
    await exited
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.call({ op: 'exit' }).catch(() => undefined)
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

describe('three instances in three processes', () => {
  let redis: RedisServerProcess
  let db: TestDatabase
  let instances: Instance[] = []
  beforeAll(async () => {
    // A server of our own: the outage test stops and restarts it.
    redis = await startRedisServer()
    db = await startDatabase('postgresql')
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, CACHE_PREFIX: `mp${process.pid}:` }
    instances = [0, 1, 2].map(() => new Instance(env))
    await Promise.all(instances.map((instance) => instance.started))
    for (const instance of instances) expect(await instance.call({ op: 'ready' })).toBe(true)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()))
    await db?.stop()
    await redis?.stop()
  })

  it(`${STEPS} random writes: after each one and the propagation bound, every instance reads the new row`, async () => {
    const plain = db.createClient()
    const users = await Promise.all(
      [1, 2, 3].map((n) =>
        plain.user.create({
          data: { email: `mp${n}@example.com`, name: 'initial', posts: { create: { title: 't', slug: 's' } } },
        }),
      ),
    )
    let version = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
          minLength: STEPS,
          maxLength: STEPS,
        }),
        async (steps) => {
          for (const [writer, target] of steps) {
            const user = users[target]!
            // Every instance caches the current row first.
            for (const instance of instances) await instance.call({ op: 'read', userId: user.id })
            const name = `v${++version}`
            await instances[writer]!.call({ op: 'write', userId: user.id, name })
            await new Promise((resolve) => setTimeout(resolve, PROPAGATION_BOUND_MS))
            for (const [i, instance] of instances.entries())
              expect(
                await instance.call({ op: 'read', userId: user.id }),
                `instance ${i} after ${name} by ${writer}`,
              ).toBe(name)
          }
        },
      ),
      { numRuns: 1 },
    )
    const stats = await instances[0]!.call<{ cache: { received: number } }>({ op: 'stats' })
    expect(stats.cache.received).toBeGreaterThan(0)
    // L2 hits were judged from what the bus told (localTagCheck), so the property above covers that path too.
    const localChecks = await Promise.all(
      instances.map((instance) => instance.call<{ l2LocalChecks: number }>({ op: 'stats' })),
    )
    expect(localChecks.reduce((sum, s) => sum + s.l2LocalChecks, 0)).toBeGreaterThan(0)
  }, 120_000)

  it(`${RYW_STEPS} random write-then-read-elsewhere steps: once a write resolves, no other instance serves the old row`, async () => {
    const plain = db.createClient()
    const users = await Promise.all(
      [1, 2, 3].map((n) => plain.user.create({ data: { email: `ryw${n}@example.com`, name: 'initial' } })),
    )
    const before = await Promise.all(instances.map((instance) => instance.call<BusStatsReply>({ op: 'stats' })))
    let version = 0
    const stale: string[] = []
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 2 })),
          {
            minLength: RYW_STEPS,
            maxLength: RYW_STEPS,
          },
        ),
        async (steps) => {
          for (const [writer, offset, target] of steps) {
            const user = users[target]!
            const reader = instances[(writer + offset) % instances.length]!
            // The reader (and every other instance) holds the current row in its L1: the second read is an L1 hit.
            for (const instance of instances) {
              await instance.call({ op: 'read', userId: user.id })
              await instance.call({ op: 'read', userId: user.id })
            }
            const name = `r${++version}`
            await instances[writer]!.call({ op: 'write', userId: user.id, name })
            // At once: no propagation delay is allowed for.
            const read = await reader.call<string>({ op: 'read', userId: user.id })
            if (read !== name) stale.push(`${name} by ${writer}, read ${read} on ${(writer + offset) % 3}`)
          }
        },
      ),
      { numRuns: 1 },
    )
    expect(stale).toEqual([])
    const after = await Promise.all(instances.map((instance) => instance.call<BusStatsReply>({ op: 'stats' })))
    // L1 was in use (the leases held), and the writes waited for acknowledgements, none for a lease to lapse.
    const sum = (replies: BusStatsReply[], pick: (reply: BusStatsReply) => number) =>
      replies.reduce((total, reply) => total + pick(reply), 0)
    expect(sum(after, (r) => r.l1Hits) - sum(before, (r) => r.l1Hits)).toBeGreaterThanOrEqual(3 * RYW_STEPS)
    expect(sum(after, (r) => r.cache.writesAcknowledged) - sum(before, (r) => r.cache.writesAcknowledged)).toBe(
      RYW_STEPS,
    )
    expect(sum(after, (r) => r.cache.writesLapsed) - sum(before, (r) => r.cache.writesLapsed)).toBe(0)
    for (const reply of after) expect(reply.cache.peers).toBe(2)
  }, 180_000)

  it('an instance killed without a word: the next write resolves once its lease lapsed, and the later ones do not wait for it', async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, CACHE_PREFIX: `mp${process.pid}:` }
    const doomed = new Instance(env)
    await doomed.started
    expect(await doomed.call({ op: 'ready' })).toBe(true)
    const user = await db.createClient().user.create({ data: { email: 'killed@example.com', name: 'k0' } })
    expect(await doomed.call({ op: 'read', userId: user.id })).toBe('k0')
    const writer = instances[0]!
    // The writer knows the fourth instance (it heard its heartbeat).
    const deadline = Date.now() + 10_000
    while ((await writer.call<BusStatsReply>({ op: 'stats' })).cache.peers < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    const before = await writer.call<BusStatsReply>({ op: 'stats' })
    expect(before.cache.peers).toBe(3)
    await doomed.kill()
    await writer.call({ op: 'write', userId: user.id, name: 'k1' })
    const lapsed = await writer.call<BusStatsReply>({ op: 'stats' })
    // Its wait ended by the dead instance's lease lapsing (bounded by one lease: PeerAcks, test/cache/coherence).
    expect(lapsed.cache.writesLapsed).toBe(before.cache.writesLapsed + 1)
    expect(lapsed.cache.peers).toBe(2)
    await writer.call({ op: 'write', userId: user.id, name: 'k2' })
    const next = await writer.call<BusStatsReply>({ op: 'stats' })
    expect(next.cache.writesAcknowledged).toBe(lapsed.cache.writesAcknowledged + 1)
    expect(next.cache.writesLapsed).toBe(lapsed.cache.writesLapsed)
    for (const instance of instances) expect(await instance.call({ op: 'read', userId: user.id })).toBe('k2')
  }, 60_000)

  it('a Redis outage: no query fails, nothing written during it is served stale, and everything resumes', async () => {
    const plain = db.createClient()
    const user = await plain.user.create({ data: { email: 'outage@example.com', name: 'before' } })
    const busUp = async (up: boolean) => {
      const deadline = Date.now() + 10_000
      for (const instance of instances) {
        while ((await instance.call<{ cache: { connected: boolean } }>({ op: 'stats' })).cache.connected !== up) {
          if (Date.now() > deadline) throw new Error(`buses did not become ${up ? 'up' : 'down'}`)
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
    }
    for (const instance of instances) expect(await instance.call({ op: 'read', userId: user.id })).toBe('before')
    await redis.stop()
    await busUp(false)
    for (let i = 0; i < 6; i++) {
      const name = `during-${i}`
      await instances[i % instances.length]!.call({ op: 'write', userId: user.id, name })
      for (const instance of instances) expect(await instance.call({ op: 'read', userId: user.id })).toBe(name)
    }
    await redis.start()
    await busUp(true)
    await instances[0]!.call({ op: 'write', userId: user.id, name: 'after' })
    await new Promise((resolve) => setTimeout(resolve, PROPAGATION_BOUND_MS))
    for (const instance of instances) expect(await instance.call({ op: 'read', userId: user.id })).toBe('after')
  }, 120_000)
})
