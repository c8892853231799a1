/**
 * A slot migration (MOVED / ASK redirections) in the middle of a run on a real 3-node cluster: reads, writes
 * and invalidations keep working, and nothing stale is served.
 */
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { CacheKey, MemoryCache, RedisCache, TieredCache } from '../../src/index.js'
import { type RedisClusterService, startRedisCluster } from '../support/redis.js'
import slotOf from 'cluster-key-slot'

/** Moves one slot to the next master, as `redis-cli --cluster reshard` does; resolves to the new owner. */
async function migrateSlot(
  nodes: { host: string; port: number }[],
  slot: number,
): Promise<{ host: string; port: number }> {
  const clients = nodes.map((node) => new Redis({ host: node.host, port: node.port, lazyConnect: false }))
  try {
    const ids = await Promise.all(clients.map(async (c) => String(await c.call('CLUSTER', 'MYID'))))
    const ranges = (await clients[0]!.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>
    const ownerPort = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1]
    const from = nodes.findIndex((n) => n.port === ownerPort)
    const to = (from + 1) % nodes.length
    const source = clients[from]!
    const target = clients[to]!
    await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[from]!)
    await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[to]!)
    for (;;) {
      const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]
      if (keys.length === 0) break
      await source.call('MIGRATE', nodes[to]!.host, nodes[to]!.port, '', 0, 5000, 'KEYS', ...keys)
    }
    for (const c of clients) await c.call('CLUSTER', 'SETSLOT', slot, 'NODE', ids[to]!)
    return nodes[to]!
  } finally {
    for (const c of clients) c.disconnect()
  }
}

/** Runs `step` in a loop until stopped; counts operations and errors (an error must never happen). */
function runLoad(step: (i: number) => Promise<void>): { stop(): Promise<{ errors: number; operations: number }> } {
  let running = true
  let errors = 0
  let operations = 0
  // Stopped when the test ends, even if an assertion failed first: a loop left running keeps the worker alive.
  onTestFinished(() => {
    running = false
  })
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await step(i)
        operations++
      } catch {
        errors++
      }
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { errors, operations }
    },
  }
}

describe('RedisCache during a slot migration', () => {
  let service: RedisClusterService
  let cluster: Cluster
  beforeAll(async () => {
    service = await startRedisCluster()
    cluster = new Cluster(service.nodes)
    await cluster.ping()
  })
  afterAll(async () => {
    cluster?.disconnect()
    await service?.stop()
  })

  it('keeps answering (MOVED/ASK followed) while the slots of its entries and of its tags move', async () => {
    const cache = new RedisCache({ client: cluster, prefix: 'mig:', operationTimeoutMs: 2000 })
    const keys = Array.from({ length: 50 }, (_, i) => CacheKey.fields('User', { id: i }))
    await cache.setMany(
      keys.map((key, i) => ({ key, value: { i }, options: { ttl: 60, tags: ['User', `User:id=${i}`] } })),
    )
    // So that the tag slot holds keys to move (the epoch counter, a tag epoch).
    await cache.invalidateTags(['Unrelated'])
    const load = runLoad(async (i) => {
      const key = keys[i % keys.length]!
      await cache.get(key)
      await cache.set(key, { i }, { ttl: 60, tags: ['User', `User:id=${i % keys.length}`] })
    })
    // Move the slot of one entry, then the slot every tag key lives in.
    const entrySlot = slotOf(cache.keyspace.data(keys[0]!.toString()))
    const tagSlot = slotOf(cache.keyspace.epoch)
    const entryOwner = await migrateSlot(service.nodes, entrySlot)
    const tagOwner = await migrateSlot(service.nodes, tagSlot)
    for (const [owner, slot] of [
      [entryOwner, entrySlot],
      [tagOwner, tagSlot],
    ] as const) {
      const node = new Redis(owner)
      expect(Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBeGreaterThan(0)
      node.disconnect()
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    const { errors, operations } = await load.stop()
    expect(errors).toBe(0)
    expect(operations).toBeGreaterThan(10)
    await cache.invalidateTags(['User'])
    expect((await cache.getMany(keys)).every((entry) => entry === undefined)).toBe(true)
    await cache.set(keys[0]!, 'after', { ttl: 60, tags: ['User'] })
    expect((await cache.get(keys[0]!))?.value).toBe('after')
  })
})

describe('RedisCache and the bus during a cluster failover', () => {
  let service: RedisClusterService
  let cluster: Cluster
  beforeAll(async () => {
    service = await startRedisCluster({ replicas: 1 })
    cluster = new Cluster(service.nodes.slice(0, 3))
    await cluster.ping()
  }, 90_000)
  afterAll(async () => {
    cluster?.disconnect()
    await service?.stop()
  })

  it('a replica taking over a master (CLUSTER FAILOVER) fails no operation of a running load', async () => {
    // Through TieredCache, as the Prisma layer uses it: a command caught mid-switch (READONLY, a timeout) is a
    // tolerated L2 error, never a failed operation; afterwards L2 answers again and invalidation is exact.
    const redisTier = new RedisCache({ client: cluster, prefix: 'fo:', operationTimeoutMs: 3000 })
    const cache = new TieredCache(new MemoryCache(), redisTier, { l2CircuitBreaker: false })
    const keys = Array.from({ length: 30 }, (_, i) => CacheKey.fields('Post', { id: i }))
    await cache.invalidateTags(['Unrelated'])
    const load = runLoad(async (i) => {
      const key = keys[i % keys.length]!
      await cache.set(key, { i }, { ttl: 60, tags: ['Post'] })
      await cache.get(key)
      if (i % 10 === 0) await cache.invalidateTags([`Post:id=${i % keys.length}`])
    })
    // Promote the replica of the master that holds the tag slot (every invalidation and every tag check goes there).
    const tagSlot = slotOf(redisTier.keyspace.epoch)
    type Range = [number, number, [string, number, string], ...Array<[string, number, string]>]
    let replica: [string, number, string] | undefined
    // Replicas show up in CLUSTER SLOTS once they are attached and known to the node answering.
    for (let attempt = 0; attempt < 200 && !replica; attempt++) {
      const ranges = (await cluster.call('CLUSTER', 'SLOTS')) as Range[]
      replica = ranges.find(([from, to]) => tagSlot >= from && tagSlot <= to)?.[3]
      if (!replica) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(replica).toBeDefined()
    const replicaClient = new Redis({ host: replica![0], port: replica![1] })
    await replicaClient.call('CLUSTER', 'FAILOVER')
    const deadline = Date.now() + 15_000
    while (!String(await replicaClient.call('ROLE')).startsWith('master') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    expect(String(((await replicaClient.call('ROLE')) as unknown[])[0])).toBe('master')
    replicaClient.disconnect()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const { errors, operations } = await load.stop()
    expect(errors).toBe(0)
    expect(operations).toBeGreaterThan(10)
    // L2 itself works again, directly.
    await redisTier.set(keys[0]!, 'direct', { ttl: 60, tags: ['Post'] })
    expect((await redisTier.get(keys[0]!))?.value).toBe('direct')
    await cache.invalidateTags(['Post'])
    expect((await cache.getMany(keys)).every((entry) => entry === undefined)).toBe(true)
    expect((await redisTier.getMany(keys)).every((entry) => entry === undefined)).toBe(true)
  }, 60_000)
})
