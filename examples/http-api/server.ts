/**
 * An HTTP API (Fastify) over a cached Prisma client, with Prometheus metrics and a health check.
 *
 *   npx tsx examples/http-api/server.ts                                            # L1 only
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/http-api/server.ts           # L1 + Redis + bus
 *   npx tsx examples/http-api/server.ts --self-test                                # start, call every route, stop
 *
 * Routes: GET /users/:id (cached read; the answer says where it came from), PUT /users/:id {"name": "..."}
 * (a write: invalidates what it changed), GET /metrics (Prometheus text), GET /health (the cache's tiers and bus).
 * Listens on 127.0.0.1:$PORT (default: a free port, printed). The database is a fresh SQLite file
 * (examples/http-api/api.db, or DB_FILE) with three users.
 */
import { PrismaLibSql } from '@prisma/adapter-libsql'
import Fastify from 'fastify'
import type { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { Prisma, PrismaClient } from '../../prisma/generated/sqlite/client.js'
import { type CacheBackend, cacheExtension, MemoryCache, RedisBus, RedisCache, TieredCache } from 'prisma-tiered-cache'
import { registerPrometheusMetrics } from 'prisma-tiered-cache/prometheus'
import { connectRedisOrExit, createSqliteDatabase, databaseFile } from '../support.js'

const selfTest = process.argv.includes('--self-test')
const command = 'npx tsx examples/http-api/server.ts'

// ---- the database and the cached client ---------------------------------------------------------------------

const file = databaseFile(new URL('./api.db', import.meta.url))
await createSqliteDatabase(
  file,
  `INSERT INTO "User" ("email", "name") VALUES ('ada@example.com', 'Ada'), ('grace@example.com', 'Grace'), ('linus@example.com', 'Linus');`,
)

let redis: Redis | undefined
let cache: CacheBackend
if (process.env['REDIS_URL']) {
  redis = await connectRedisOrExit(command)
  const prefix = 'example-api:'
  // With a bus, every instance of the API that shares this Redis hears of the others' writes.
  const tiered = new TieredCache(
    new MemoryCache({ maxSize: 32 * 1024 * 1024 }),
    new RedisCache({ client: redis, prefix, operationTimeoutMs: 200 }),
    { bus: new RedisBus({ client: redis, prefix }) },
  )
  await tiered.ready
  // L1 is used once the bus has subscribed; give it a moment so the first requests can use it.
  for (const deadline = Date.now() + 5000; !tiered.stats().bus?.connected && Date.now() < deadline;)
    await new Promise((resolve) => setTimeout(resolve, 10))
  cache = tiered
} else {
  cache = new MemoryCache({ maxSize: 32 * 1024 * 1024 })
}
const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url: `file:${file}` }) }).$extends(
  cacheExtension({ cache, models: { User: { ttl: 60 } } }),
)
// This example recreates its database at every start, so what an earlier run left under its Redis prefix is void.
if (redis) await prisma.$cache.clear()

const registry = new Registry()
registerPrometheusMetrics(prisma.$cache, registry)

// ---- the app -----------------------------------------------------------------------------------------------

const userFields = { id: true, email: true, name: true, role: true, createdAt: true } as const
const idParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const

const app = Fastify({ logger: !selfTest })

app.get<{ Params: { id: number } }>('/users/:id', { schema: { params: idParams } }, async (request, reply) => {
  // User has a model TTL (60 s), so this read is cached; withCacheInfo() tells where the answer came from.
  const { data, info } = await prisma.user
    .findUnique({ where: { id: request.params.id }, select: userFields })
    .withCacheInfo()
  const cacheInfo = { source: info.source, key: info.key, ttlLeftMs: info.ttlLeftMs }
  if (data === null) return reply.code(404).send({ error: 'not found', cache: cacheInfo })
  return { user: data, cache: cacheInfo }
})

app.put<{ Params: { id: number }; Body: { name: string } }>(
  '/users/:id',
  {
    schema: {
      params: idParams,
      body: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 } },
        required: ['name'],
        additionalProperties: false,
      },
    },
  },
  async (request, reply) => {
    try {
      // Evicts User :id, and every User list and count; not the other users.
      return {
        user: await prisma.user.update({
          where: { id: request.params.id },
          data: { name: request.body.name },
          select: userFields,
        }),
      }
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025')
        return reply.code(404).send({ error: 'not found' })
      throw error
    }
  },
)

app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))

app.get('/health', async (_request, reply) => {
  const health = await prisma.$cache.health()
  return reply.code(health.ok ? 200 : 503).send(health)
})

app.addHook('onClose', async () => {
  await cache.close()
  await prisma.$disconnect()
  await redis?.quit()
})

// ---- run -----------------------------------------------------------------------------------------------------

const address = await app.listen({ host: '127.0.0.1', port: selfTest ? 0 : Number(process.env['PORT'] ?? 0) })
console.log(`listening on ${address} (cache: ${redis ? 'L1 + Redis + bus' : 'L1 only'}; database ${file})`)

if (selfTest) {
  let failed = false
  const check = (ok: boolean, what: string) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
    failed ||= !ok
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(address + path, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return {
      status: response.status,
      text,
      json: () => JSON.parse(text) as { user?: { name: string | null }; cache?: { source: string } },
    }
  }
  try {
    const first = await call('GET', '/users/1')
    check(
      first.status === 200 && first.json().cache?.source === 'db',
      `GET /users/1 -> ${first.status}, source ${first.json().cache?.source} (a miss: read from the database)`,
    )
    const second = await call('GET', '/users/1')
    const secondSource = second.json().cache?.source
    check(
      second.status === 200 && (secondSource === 'l1' || secondSource === 'l2'),
      `GET /users/1 -> ${second.status}, source ${secondSource} (a hit)`,
    )
    const put = await call('PUT', '/users/1', { name: 'Ada Lovelace' })
    check(
      put.status === 200 && put.json().user?.name === 'Ada Lovelace',
      `PUT /users/1 {"name":"Ada Lovelace"} -> ${put.status}`,
    )
    const third = await call('GET', '/users/1')
    check(
      third.status === 200 && third.json().user?.name === 'Ada Lovelace' && third.json().cache?.source === 'db',
      `GET /users/1 -> ${third.status}, "${third.json().user?.name}", source ${third.json().cache?.source} (the write invalidated it)`,
    )
    const missing = await call('GET', '/users/999')
    check(missing.status === 404, `GET /users/999 -> ${missing.status}`)
    const invalid = await call('PUT', '/users/1', { name: '' })
    check(invalid.status === 400, `PUT /users/1 {"name":""} -> ${invalid.status}`)
    const metrics = await call('GET', '/metrics')
    const hits = metrics.text
      .split('\n')
      .find((line) => line.startsWith('prisma_cache_reads_total{model="User",result="hit"}'))
    check(
      metrics.status === 200 && hits !== undefined,
      `GET /metrics -> ${metrics.status}, ${hits ?? 'no prisma_cache_reads_total for User hits'}`,
    )
    const health = await call('GET', '/health')
    check(health.status === 200, `GET /health -> ${health.status} ${health.text}`)
  } catch (error) {
    check(false, `request failed: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    await app.close()
  }
  console.log(failed ? 'self-test FAILED' : 'self-test passed')
  process.exitCode = failed ? 1 : 0
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
}
