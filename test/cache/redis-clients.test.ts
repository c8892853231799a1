/**
 * RedisCache and RedisBus take the application's own Redis client, recognised by what it can do: ioredis 6 (the
 * repo's), ioredis 5 (installed beside it as `ioredis5`, an npm alias of ioredis@5) and iovalkey, each standalone
 * and as a Cluster, against a real redis-server and a real 3-node cluster. Each passes the backend conformance
 * suite, and a write on one instance reaches another instance's L1 over the bus built on that client.
 */
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis'
import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis5'
import { Cluster as ValkeyCluster, Valkey } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryCache, RedisBus, RedisCache, type RedisClientLike, TieredCache } from '../../src/index.js'
import { eventually } from '../support/eventually.js'
import { l1Trusted } from '../support/l1-trusted.js'
import { type RedisClusterService, type RedisService, startRedis, startRedisCluster } from '../support/redis.js'
import { describeConformance, redisTarget } from './conformance.js'

let prefixes = 0
const uniquePrefix = () => `rc${process.pid}x${++prefixes}:`

type Seed = { host: string; port: number }
interface ClientKind {
  name: string
  standalone(url: string): RedisClientLike
  cluster(nodes: Seed[]): RedisClientLike
}

const KINDS: ClientKind[] = [
  { name: 'ioredis 6', standalone: (url) => new Redis6(url), cluster: (nodes) => new Cluster6(nodes) },
  { name: 'ioredis 5', standalone: (url) => new Redis5(url), cluster: (nodes) => new Cluster5(nodes) },
  { name: 'iovalkey', standalone: (url) => new Valkey(url), cluster: (nodes) => new ValkeyCluster(nodes) },
]

let redis: RedisService
let cluster: RedisClusterService
beforeAll(async () => {
  ;[redis, cluster] = await Promise.all([startRedis(), startRedisCluster()])
})
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()])
})

for (const kind of KINDS) {
  for (const mode of ['standalone', 'cluster'] as const) {
    describe(`${kind.name}, ${mode}`, () => {
      const clients: RedisClientLike[] = []
      const connect = () => {
        const client = mode === 'standalone' ? kind.standalone(redis.url) : kind.cluster(cluster.nodes)
        clients.push(client)
        return client
      }
      let client: RedisClientLike
      beforeAll(async () => {
        client = connect()
        await client.ping()
      })
      afterAll(() => {
        for (const each of clients) each.disconnect()
      })

      it('is recognised by shape as the kind of client it is', async () => {
        await expect(new RedisCache({ client, prefix: uniquePrefix() }).healthCheck()).resolves.toMatchObject({
          ok: true,
          mode,
        })
      })

      describeConformance(`RedisCache on ${kind.name} (${mode})`, () => redisTarget(client, uniquePrefix))

      it("a write on one instance reaches the other's L1 over a RedisBus on this client", async () => {
        const prefix = uniquePrefix()
        const instance = () => {
          const own = connect()
          return new TieredCache(new MemoryCache(), new RedisCache({ client: own, prefix }), {
            bus: new RedisBus({ client: own, prefix }),
          })
        }
        const [a, b] = [instance(), instance()]
        try {
          await l1Trusted(a, b)
          await b.set('User:id=1', 'old', { ttl: 60, tags: ['User:id=1'] })
          expect((await b.get('User:id=1'))?.value).toBe('old')
          expect(await b.l1.has('User:id=1')).toBe(true)
          await a.invalidateTags(['User:id=1'])
          await eventually(async () => (await b.l1.get('User:id=1')) === undefined, "b's L1 copy dropped")
          expect(await b.get('User:id=1')).toBeUndefined()
        } finally {
          await Promise.all([a.close(), b.close()])
        }
      })
    })
  }
}
