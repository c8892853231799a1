/**
 * Exactly one consumer, no gaps: two instances share a slot (PostgreSQL lets one connection stream from it); the
 * consumer, in a separate process, is killed with SIGKILL while external writes stream in; the standby takes over
 * from the slot's acknowledged position, so the commits the dead one received but had not applied are delivered
 * again. Every cached read then equals the database. Fails when the feed acknowledges what it only received
 * (auto-acknowledge) or when a standby never takes over.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { NoopCache, postgresChangeFeed, RedisCache, TieredCache } from '../../../src/index.js'
import { startDatabase, type TestDatabase } from '../../support/database.js'
import { eventually } from '../../support/eventually.js'
import { type RedisService, startRedis } from '../../support/redis.js'
import { cachedClient, countingClient, uniquePrefix } from '../stack.js'
import { dropFeedObjects, requireLogicalWal, walPosition } from './feed-setup.js'

const USERS = 40
let db: TestDatabase
let redisService: RedisService
let redis: Redis
let child: ChildProcess | undefined

beforeAll(async () => {
  db = await startDatabase('postgresql')
  await requireLogicalWal(db)
  redisService = await startRedis()
  redis = new Redis(redisService.url)
}, 60_000)

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL')
    await once(child, 'exit')
  }
  redis?.disconnect()
  await redisService?.stop()
  if (db) await dropFeedObjects(db)
  await db?.stop()
})

it('the consumer killed mid-stream: the standby takes over from the slot and loses nothing', async () => {
  const name = `ptc_${process.pid}_takeover`
  const prefix = uniquePrefix()
  for (let i = 1; i <= USERS; i++) await db.query(`INSERT INTO "User" (email, name) VALUES ($1, 'v0')`, [`u${i}@x`])
  child = fork(fileURLToPath(new URL('./consumer-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      DB_SCHEMA: db.schema ?? 'public',
      REDIS_URL: redisService.url,
      CACHE_PREFIX: prefix,
      FEED_NAME: name,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = once(child, 'exit')
  await once(child, 'message')
  // This instance reads through the shared tier only (no L1 of its own), so it sees what the consumer invalidated.
  const feed = postgresChangeFeed({
    connectionString: db.url,
    schema: db.schema ?? 'public',
    slot: name,
    publication: name,
    retryMs: 50,
  })
  const cache = new TieredCache(new NoopCache(), new RedisCache({ client: redis, prefix }))
  const { prisma } = cachedClient(db, cache, { auto: true, ttl: 300, changeFeed: feed }, countingClient(db))
  await feed.ready()
  expect(feed.status().state).toBe('standby')
  const read = (id: number) => prisma.user.findUnique({ where: { id }, select: { name: true } })

  for (let id = 1; id <= USERS; id++) await read(id)
  for (let i = 1; i <= 200; i++) {
    const id = (i % USERS) + 1
    await db.query(`UPDATE "User" SET name = $1 WHERE id = $2`, [`v${i}`, id])
    await read(((i * 7) % USERS) + 1) // refills entries while invalidations are in flight
    if (i === 80) child.kill('SIGKILL')
  }
  await exited
  await eventually(() => feed.status().state === 'streaming', 'the standby to take the slot over', 10_000)
  await feed.waitFor(await walPosition(db))
  const expected = await db.query(`SELECT id, name FROM "User" ORDER BY id`)
  for (const row of expected) expect(await read(Number(row['id']))).toEqual({ name: row['name'] })
  await prisma.$cache.close()
}, 60_000)
