/**
 * `npm run bench:outage`: two instances (each its own PrismaClient on PostgreSQL, its own L1, one shared Redis
 * with a bus) serve 200 queries/s (95% cached reads of random users, 5% writes); after 3 s the redis-server is
 * stopped for 5 s, then started again. Prints failed queries and latency before, during and after the outage.
 * The write rows are whole writes (database included); `its invalidation` is what the cache adds to a write.
 * Every server it starts, it stops.
 */
import { Redis } from 'ioredis'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from '../src/index.js'
import { startDatabase } from '../test/support/database.js'
import { startRedisServer } from '../test/support/redis.js'

const RATE = 200
const BEFORE_MS = 3000
const OUTAGE_MS = 5000
const AFTER_MS = 4000
const OPERATION_TIMEOUT_MS = 200
const USERS = 200

type Sample = { at: number; ms: number; ok: boolean; write: boolean }
const invalidations: Sample[] = []
const redis = await startRedisServer()
const db = await startDatabase('postgresql')
const clients: Redis[] = []
let started = performance.now()
try {
  const plain = db.createClient()
  for (let i = 0; i < USERS; i++) await plain.user.create({ data: { email: `o${i}@example.com`, name: `u${i}` } })
  const ids = (await plain.user.findMany({ select: { id: true } })).map((u) => u.id)
  const instances = [0, 1].map(() => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => {})
    clients.push(client)
    const cache = new TieredCache(
      new MemoryCache(),
      new RedisCache({ client, prefix: 'outage:', operationTimeoutMs: OPERATION_TIMEOUT_MS }),
      // The README's shape: the bus is the RedisCache's (publishTimeoutMs = its operationTimeoutMs); writes await
      // the other instance's acknowledgement (awaitPeers, the default).
      { l1Ttl: 30 },
    )
    // What the cache adds to a write: the time its invalidation takes (the rest is the database's).
    const invalidate = cache.invalidateTags.bind(cache)
    cache.invalidateTags = async (tags) => {
      const t0 = performance.now()
      await invalidate(tags)
      invalidations.push({ at: t0 - started, ms: performance.now() - t0, ok: true, write: true })
    }
    return { cache, prisma: db.createClient().$extends(cacheExtension({ cache, ttl: 60 })) }
  })
  for (const { cache } of instances) {
    const deadline = Date.now() + 10_000
    while (!cache.stats().bus?.connected && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))
  }
  // Warm the caches.
  for (const { prisma } of instances) for (const id of ids) await prisma.user.findUnique({ where: { id }, cache: 60 })

  const samples: Sample[] = []
  started = performance.now()
  const total = BEFORE_MS + OUTAGE_MS + AFTER_MS
  const inFlight: Promise<void>[] = []
  let sent = 0
  const phase = (at: number) => (at < BEFORE_MS ? 'before' : at < BEFORE_MS + OUTAGE_MS ? 'during' : 'after')
  const outage = (async () => {
    await new Promise((resolve) => setTimeout(resolve, BEFORE_MS))
    await redis.stop()
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS))
    await redis.start()
  })()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started
      const due = Math.min(Math.floor((elapsed / 1000) * RATE), (total / 1000) * RATE)
      for (; sent < due; sent++) {
        const instance = instances[sent % 2]!
        const id = ids[Math.floor(Math.random() * ids.length)]!
        const write = Math.random() < 0.05
        const t0 = performance.now()
        const run = write
          ? instance.prisma.user.update({ where: { id }, data: { name: `w${sent}` } })
          : instance.prisma.user.findUnique({ where: { id }, cache: 60 })
        inFlight.push(
          Promise.resolve(run).then(
            () => void samples.push({ at: t0 - started, ms: performance.now() - t0, ok: true, write }),
            () => void samples.push({ at: t0 - started, ms: performance.now() - t0, ok: false, write }),
          ),
        )
      }
      if (elapsed >= total) {
        clearInterval(timer)
        resolve()
      }
    }, 2)
  })
  await Promise.all(inFlight)
  await outage

  // After the outage: every instance agrees with the database.
  let stale = 0
  for (const id of ids) {
    const truth = (await plain.user.findUnique({ where: { id } }))?.name
    for (const { prisma } of instances)
      if ((await prisma.user.findUnique({ where: { id }, cache: 60 }))?.name !== truth) stale++
  }
  const quantiles = (inPhase: Sample[]) => {
    const ms = inPhase.map((s) => s.ms).sort((a, b) => a - b)
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0
    return { n: inPhase.length, p50: q(0.5), p99: q(0.99), max: ms.at(-1) ?? 0 }
  }
  type Row = { phase: string; kind: string; queries: number; failed: number; p50: string; p99: string; max: string }
  const rows: Row[] = (['before', 'during', 'after'] as const).flatMap((name) =>
    (['read', 'write'] as const).map((kind) => {
      const inPhase = samples.filter((s) => phase(s.at) === name && s.write === (kind === 'write'))
      const { n, p50, p99, max } = quantiles(inPhase)
      return {
        phase: name,
        kind,
        queries: n,
        failed: inPhase.filter((s) => !s.ok).length,
        p50: p50.toFixed(2),
        p99: p99.toFixed(2),
        max: max.toFixed(2),
      }
    }),
  )
  const writeP99 = (name: 'before' | 'during') => quantiles(samples.filter((s) => phase(s.at) === name && s.write)).p99
  for (const name of ['before', 'during', 'after'] as const) {
    const { n, p50, p99, max } = quantiles(invalidations.filter((s) => phase(s.at) === name))
    rows.push({
      phase: name,
      kind: 'its invalidation',
      queries: n,
      failed: 0,
      p50: p50.toFixed(2),
      p99: p99.toFixed(2),
      max: max.toFixed(2),
    })
  }
  console.log(
    `\n${RATE} queries/s over 2 instances (95% cached reads, 5% writes), PostgreSQL, Redis stopped for ${OUTAGE_MS / 1000} s; operationTimeoutMs ${OPERATION_TIMEOUT_MS}`,
  )
  console.table(rows)
  console.log(
    `write p99 during the outage minus before it: ${(writeP99('during') - writeP99('before')).toFixed(2)} ms (target <= 10)`,
  )
  console.log(
    `failed queries: ${samples.filter((s) => !s.ok).length} of ${samples.length}; reads disagreeing with the database after the outage: ${stale} of ${ids.length * 2}`,
  )
  console.log(
    'L2 circuit:',
    instances.map(({ cache }) => cache.stats().l2Circuit),
    'bus:',
    instances.map(({ cache }) => cache.stats().bus?.connected),
  )
  await Promise.allSettled(instances.map(({ cache }) => cache.close()))
} finally {
  for (const client of clients) client.disconnect()
  await db.stop()
  await redis.stop()
}
