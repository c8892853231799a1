/**
 * Writes Prisma never sees, through a plain `pg` connection (the rig's admin connection), are invalidated by the
 * change feed: after the feed has applied the server's WAL position, every cached read equals the database.
 * Without the feed each of these reads stays stale until its TTL (300 s here): every test fails on the old code.
 */
import { Registry } from 'prom-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ChangeFeedSetupError, MemoryCache, RedisCache, TieredCache } from '../../../src/index.js'
import type { ChangeFeed } from '../../../src/prisma/change-feed/change-feed.js'
import { registerPrometheusMetrics } from '../../../src/metrics/prometheus.js'
import { startDatabase, type TestDatabase } from '../../support/database.js'
import { eventually } from '../../support/eventually.js'
import { cachedClient, countingClient, uniquePrefix, useRedis } from '../stack.js'
import { dropFeedObjects, requireLogicalWal, testFeed, walPosition } from './feed-setup.js'

let db: TestDatabase
let feed: ChangeFeed
let stack: ReturnType<typeof cachedClient>
const redis = useRedis()

beforeAll(async () => {
  db = await startDatabase('postgresql')
  await requireLogicalWal(db)
  feed = testFeed(db)
  const cache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis(), prefix: uniquePrefix() }))
  stack = cachedClient(db, cache, { auto: true, ttl: 300, changeFeed: feed }, countingClient(db))
  await feed.ready()
}, 60_000)

afterAll(async () => {
  await stack?.prisma.$cache.close()
  if (db) await dropFeedObjects(db)
  await db?.stop()
})

beforeEach(async () => {
  await db.reset()
  await db.query(`INSERT INTO "User" (email, name) VALUES ('a@x', 'Ann'), ('b@x', 'Bob')`)
  await db.query(
    `INSERT INTO "Post" (title, slug, "authorId", "updatedAt") VALUES ('P1', 'p1', 1, now()), ('P2', 'p2', 2, now())`,
  )
  await db.query(`INSERT INTO "Tag" (name) VALUES ('t1'), ('t2')`)
  await db.query(`INSERT INTO "_PostToTag" ("A", "B") VALUES (1, 1)`)
  await applied()
  await stack.prisma.$cache.clear()
})

/** Waits until the feed has applied everything committed so far (its own applied LSN, no blind sleep). */
async function applied(): Promise<void> {
  await feed.waitFor(await walPosition(db))
}

/** Reads twice (the second must be a hit, or the test proves nothing), returning the cached value. */
async function cached<T>(read: () => PromiseLike<T>): Promise<T> {
  await read()
  const before = stack.counter.queries
  const value = await read()
  expect(stack.counter.queries, 'the second read is served by the cache').toBe(before)
  return value
}

const user = (id: number) => () => stack.prisma.user.findUnique({ where: { id }, select: { id: true, name: true } })
const users = () => stack.prisma.user.findMany({ select: { id: true, name: true }, orderBy: { id: 'asc' } })
const rows = async (sql: string) => (await db.query(sql)).map((row) => ({ ...row }))

describe('change feed: external writes invalidate', () => {
  it('insert: lists and counts see the new row', async () => {
    await cached(users)
    await cached(() => stack.prisma.user.count())
    await db.query(`INSERT INTO "User" (email, name) VALUES ('c@x', 'Cy')`)
    await applied()
    expect(await users()).toEqual(await rows(`SELECT id, name FROM "User" ORDER BY id`))
    expect(await stack.prisma.user.count()).toBe(3)
  })

  it('update of a non-key column, and of the key', async () => {
    await cached(user(1))
    await cached(user(2))
    await db.query(`UPDATE "User" SET name = 'Annie' WHERE id = 1`)
    await db.query(`UPDATE "Post" SET "authorId" = 1 WHERE "authorId" = 2`)
    await db.query(`UPDATE "User" SET id = 20 WHERE id = 2`)
    await applied()
    expect(await user(1)()).toEqual({ id: 1, name: 'Annie' })
    expect(await user(2)()).toBeNull()
    expect(await user(20)()).toEqual({ id: 20, name: 'Bob' })
  })

  it('delete, and the rows a cascade deletes', async () => {
    await cached(user(1))
    await cached(() => stack.prisma.post.findUnique({ where: { id: 1 } }))
    await cached(() => stack.prisma.post.count())
    await db.query(`DELETE FROM "User" WHERE id = 1`)
    await applied()
    expect(await user(1)()).toBeNull()
    expect(await stack.prisma.post.findUnique({ where: { id: 1 } })).toBeNull()
    expect(await stack.prisma.post.count()).toBe(1)
  })

  it('rows of an implicit m-n join table', async () => {
    const tagsOf = () =>
      stack.prisma.post.findUnique({
        where: { id: 1 },
        select: { tags: { select: { name: true }, orderBy: { id: 'asc' } } },
      })
    expect(await cached(tagsOf)).toEqual({ tags: [{ name: 't1' }] })
    await db.query(`INSERT INTO "_PostToTag" ("A", "B") VALUES (1, 2)`)
    await applied()
    expect(await tagsOf()).toEqual({ tags: [{ name: 't1' }, { name: 't2' }] })
    await db.query(`DELETE FROM "_PostToTag" WHERE "B" = 1`)
    await applied()
    expect(await tagsOf()).toEqual({ tags: [{ name: 't2' }] })
  })

  it('TRUNCATE', async () => {
    const tags = () => stack.prisma.tag.findMany({ select: { name: true } })
    expect(await cached(tags)).toHaveLength(2)
    await cached(() => stack.prisma.tag.findUnique({ where: { id: 1 } }))
    await db.query(`TRUNCATE "Tag" CASCADE`)
    await applied()
    expect(await tags()).toEqual([])
    expect(await stack.prisma.tag.findUnique({ where: { id: 1 } })).toBeNull()
  })

  it('a multi-statement transaction is applied at its commit; a rollback changes nothing', async () => {
    await cached(user(1))
    await cached(() => stack.prisma.post.count())
    await db.query('BEGIN')
    await db.query(`UPDATE "User" SET name = 'Tx' WHERE id = 1`)
    await db.query(`INSERT INTO "Post" (title, slug, "authorId", "updatedAt") VALUES ('P3', 'p3', 1, now())`)
    await db.query('COMMIT')
    await applied()
    expect(await user(1)()).toEqual({ id: 1, name: 'Tx' })
    expect(await stack.prisma.post.count()).toBe(3)

    await cached(user(1))
    const before = feed.status().transactionsApplied
    await db.query('BEGIN')
    await db.query(`UPDATE "User" SET name = 'Rolled back' WHERE id = 1`)
    await db.query('ROLLBACK')
    await db.query(`UPDATE "Tag" SET name = 't9' WHERE id = 2`) // a later commit: the feed has passed the rollback
    await applied()
    expect(feed.status().transactionsApplied).toBe(before + 1)
    const queries = stack.counter.queries
    expect(await user(1)()).toEqual({ id: 1, name: 'Tx' })
    expect(stack.counter.queries, 'the rollback invalidated nothing: still a hit').toBe(queries)
  })

  it('reports its position and lag in stats() and health()', async () => {
    await applied()
    const stats = stack.prisma.$cache.stats().changeFeed
    expect(stats).toMatchObject({ state: 'streaming', lagBytes: 0, lagSeconds: 0, resets: expect.any(Number) })
    const health = (await stack.prisma.$cache.health()) as { ok: boolean; changeFeed?: { state: string } }
    expect(health).toMatchObject({ ok: true, changeFeed: { state: 'streaming' } })
    const registry = new Registry()
    registerPrometheusMetrics(stack.prisma.$cache, registry)
    expect(await registry.getSingleMetricAsString('prisma_cache_change_feed_lag_bytes')).toMatch(
      /^prisma_cache_change_feed_lag_bytes 0$/m,
    )
  })
})

describe('change feed: randomized', () => {
  it('external and Prisma writes mixed at random: every cached read equals the database after each step', async () => {
    let seed = Number(process.env['FEED_SEED'] ?? Date.now() % 100_000)
    const initialSeed = seed
    const random = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n)
    const probes = [
      user(1),
      user(2),
      user(3),
      users,
      () =>
        stack.prisma.post.findMany({
          where: { authorId: 1 },
          select: { id: true, title: true },
          orderBy: { id: 'asc' },
        }),
      () => stack.prisma.user.count(),
    ]
    const truth = [
      ...[1, 2, 3].map((id) => async () => (await rows(`SELECT id, name FROM "User" WHERE id = ${id}`))[0] ?? null),
      () => rows(`SELECT id, name FROM "User" ORDER BY id`),
      () => rows(`SELECT id, title FROM "Post" WHERE "authorId" = 1 ORDER BY id`),
      async () => (await rows(`SELECT count(*)::int AS n FROM "User"`))[0]?.['n'],
    ]
    for (let step = 0; step < 30; step++) {
      const id = 1 + random(3)
      const name = `s${step}`
      switch (random(6)) {
        case 0:
          await db.query(`UPDATE "User" SET name = $1 WHERE id = $2`, [name, id])
          break
        case 1:
          await db.query(`INSERT INTO "User" (id, email, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, [
            id,
            `${name}@x`,
            name,
          ])
          break
        case 2:
          await db.query(`DELETE FROM "User" WHERE id = $1`, [id])
          break
        case 3:
          await db.query(
            `INSERT INTO "Post" (title, slug, "authorId", "updatedAt") SELECT $1, $1, id, now() FROM "User" WHERE id = 1`,
            [name],
          )
          break
        case 4:
          await stack.prisma.user.updateMany({ where: { id }, data: { name } })
          break
        case 5:
          await stack.prisma.post.updateMany({ where: { authorId: 1 }, data: { title: name } })
          break
      }
      await applied()
      for (const [index, probe] of probes.entries()) {
        expect(await probe(), `seed ${initialSeed}, step ${step}, probe ${index}`).toEqual(await truth[index]!())
      }
    }
  }, 60_000)
})

describe('change feed: continuity and setup', () => {
  it('a slot dropped behind its back: the feed invalidates everything rather than serve what it missed', async () => {
    await cached(user(1))
    const resets = feed.status().resets
    const slot = String(
      (
        await db.query(
          `SELECT slot_name FROM pg_replication_slots WHERE active_pid IS NOT NULL AND slot_name LIKE 'ptc\\_${process.pid}\\_%'`,
        )
      )[0]?.['slot_name'],
    )
    // Kick the consumer off and drop the slot before it reconnects (it retries every 100 ms).
    await eventually(async () => {
      await db.query(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`,
        [slot],
      )
      const dropped = await db.query(
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NULL`,
        [slot],
      )
      return dropped.length === 1
    }, 'the slot to be dropped')
    // No slot exists now: this change is in no stream at all.
    await db.query(`UPDATE "User" SET name = 'Unseen' WHERE id = 1`)
    await eventually(
      () => feed.status().resets > resets && feed.status().state === 'streaming',
      'the feed to recreate its slot',
    )
    expect(await user(1)()).toEqual({ id: 1, name: 'Unseen' })
  })

  it('a missing publication it may not create: ready() rejects naming the SQL to run', async () => {
    const strict = testFeed(db, { createPublication: false })
    const client = cachedClient(db, new MemoryCache(), { changeFeed: strict }, countingClient(db))
    const error = await strict.ready().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ChangeFeedSetupError)
    expect(String(error)).toMatch(/run: CREATE PUBLICATION "ptc_\d+_\d+" FOR TABLE .*"\."Post", .*"\."User"/)
    expect(strict.status().state).toBe('failed')
    await client.prisma.$cache.close()
  })
})

describe('change feed: a consumer that cannot keep up', () => {
  it('warns once it is lagWarningBytes behind, reports the lag, and is back to 0 once it has caught up', async () => {
    /** A memory tier whose invalidations wait until released: the consumer receives commits it cannot apply. */
    class GatedCache extends MemoryCache {
      release = () => {}
      #gate: Promise<void> | undefined
      hold() {
        this.#gate = new Promise<void>((resolve) => (this.release = resolve))
      }
      override async invalidateTags(tags: Parameters<MemoryCache['invalidateTags']>[0]): Promise<void> {
        await this.#gate
        return super.invalidateTags(tags)
      }
    }
    const cache = new GatedCache()
    const warnings: string[] = []
    const slow = testFeed(db, { lagWarningBytes: 1, onWarning: (message) => warnings.push(message) })
    const gated = cachedClient(db, cache, { auto: true, ttl: 300, changeFeed: slow })
    try {
      await slow.ready()
      cache.hold()
      await db.query(`UPDATE "User" SET name = 'Lagging' WHERE id = 1`)
      await eventually(() => warnings.length > 0, 'a lag warning while invalidations are held')
      expect(warnings[0]).toMatch(/change feed is \d+ bytes of WAL behind \(slot "ptc_/)
      expect(gated.prisma.$cache.stats().changeFeed?.lagBytes).toBeGreaterThan(0)
      cache.release()
      await slow.waitFor(await walPosition(db))
      expect(gated.prisma.$cache.stats().changeFeed).toMatchObject({ lagBytes: 0, lagSeconds: 0 })
      expect(warnings).toHaveLength(1)
    } finally {
      cache.release()
      await gated.prisma.$cache.close()
    }
  })
})
