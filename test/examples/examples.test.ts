/**
 * Every example in examples/ runs once, as its README says (`node --import tsx <file>`), in a child process of
 * its own, against a redis-server this suite starts: it must exit 0 and print the line that shows its point.
 * Databases go to a temp dir (DB_FILE), never to examples/.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { isPidAlive, makeTempDir, removeTempDir, runCommand, type RunResult } from '../support/processes.js'
import { type PostgresService, startPostgres } from '../support/postgres.js'
import { type RedisServerProcess, startRedisServer } from '../support/redis.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Far above what an example takes (2 to 6 s), for loaded CI machines. */
const RUN_TIMEOUT_MS = 90_000
const TEST_TIMEOUT_MS = 120_000

describe('examples', () => {
  let redis: RedisServerProcess
  let postgres: PostgresService
  let dir: string
  beforeAll(async () => {
    ;[redis, postgres] = await Promise.all([startRedisServer(), startPostgres()])
    dir = await makeTempDir('examples-')
  })
  afterAll(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()])
    if (dir) await removeTempDir(dir)
  })

  /** Runs an example to completion; REDIS_URL only when given (an inherited one is removed). */
  async function run(
    file: string,
    env: { REDIS_URL?: string; DB_FILE?: string; DATABASE_URL?: string },
    args: string[] = [],
  ): Promise<RunResult> {
    const inherited: NodeJS.ProcessEnv = { ...process.env }
    delete inherited['REDIS_URL']
    delete inherited['DATABASE_URL']
    delete inherited['PORT']
    return runCommand(process.execPath, ['--import', 'tsx', join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      timeoutMs: RUN_TIMEOUT_MS,
    })
  }
  const describeRun = (result: RunResult) =>
    `exit code ${result.code} (signal ${result.signal})\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`

  it(
    'basic: SQLite, L1 only; the second read is served from the cache and a write evicts it',
    async () => {
      const result = await run('examples/basic/demo.ts', { DB_FILE: join(dir, 'basic.db') })
      expect(result.code, describeRun(result)).toBe(0)
      expect(result.stdout).toMatch(/findUnique User 7 with posts \(again\)\s+[\d.]+ ms {2}from cache/)
      expect(result.stdout).toMatch(/findUnique User 7 with posts \(after the write\)\s+[\d.]+ ms {2}from database/)
      expect(result.stdout).toContain('name is now "Renamed"')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'redis: a second instance with an empty L1 reads the row from Redis',
    async () => {
      const result = await run('examples/redis/tiered.ts', { REDIS_URL: redis.url, DB_FILE: join(dir, 'tiered.db') })
      expect(result.code, describeRun(result)).toBe(0)
      expect(result.stdout).toMatch(/this instance, 2nd read\s+source l1/)
      expect(result.stdout).toMatch(/another instance \(new L1, same Redis\), 1st read\s+source l2/)
      expect(result.stdout).toMatch(/another instance after its write \("Ada Lovelace"\)\s+source db/)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'redis: an unreachable REDIS_URL exits 1 with a message naming it',
    async () => {
      const url = `redis://127.0.0.1:${await freePort()}`
      const result = await run('examples/redis/tiered.ts', { REDIS_URL: url, DB_FILE: join(dir, 'unreachable.db') })
      expect(result.code, describeRun(result)).toBe(1)
      expect(result.stderr).toContain(`Cannot reach Redis at REDIS_URL=${url}`)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'multi-instance: after A writes, B reads the new row (the bus dropped the old one from its L1), and both processes are stopped',
    async () => {
      const result = await run('examples/multi-instance/main.ts', {
        REDIS_URL: redis.url,
        DB_FILE: join(dir, 'shared.db'),
      })
      expect(result.code, describeRun(result)).toBe(0)
      expect(result.stdout).toMatch(/B reads User 1 again \(from its L1\)\s+name "Ada"\s+source l1/)
      expect(result.stdout).toMatch(/B reads User 1 after A wrote\s+name "Ada Lovelace"\s+source db/)
      expect(result.stdout).toContain('B read the new row: the bus dropped the old one from its L1')
      const stopped = /stopped instances A \(pid (\d+)\) and B \(pid (\d+)\)/.exec(result.stdout)
      expect(stopped, describeRun(result)).not.toBeNull()
      // main.ts awaited both children's exit (and so reaped them) before it exited.
      for (const pid of stopped!.slice(1).map(Number)) expect(isPidAlive(pid), `instance pid ${pid}`).toBe(false)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    "postgres: on PostgreSQL with Redis and a bus, B reads through Redis, hears A's write, and the process exits by itself",
    async () => {
      const result = await run('examples/postgres/main.ts', { REDIS_URL: redis.url, DATABASE_URL: postgres.url })
      expect(result.code, describeRun(result)).toBe(0)
      expect(result.stdout).toMatch(/A reads User 1 again\s+name "Ada"\s+source l1/)
      expect(result.stdout).toMatch(/B reads User 1 \(its L1 is empty\)\s+name "Ada"\s+source l2/)
      expect(result.stdout).toMatch(/B reads User 1 after A wrote\s+name "Ada Lovelace"\s+source db/)
      expect(result.stdout).toContain('closed: the process exits by itself')
    },
    TEST_TIMEOUT_MS,
  )

  for (const mode of ['L1 only', 'L1 + Redis + bus'] as const) {
    it(
      `accelerate (${mode}): an Accelerate app on the one-line import: miss, ttl, invalidate by tag, writes invalidate`,
      async () => {
        const db = join(dir, mode === 'L1 only' ? 'accelerate-l1.db' : 'accelerate-redis.db')
        const result = await run(
          'examples/accelerate/main.ts',
          mode === 'L1 only' ? { DB_FILE: db } : { REDIS_URL: redis.url, DB_FILE: db },
        )
        expect(result.code, describeRun(result)).toBe(0)
        expect(result.stdout).toContain(`cache: ${mode}`)
        expect(result.stdout).toMatch(/1st read\s+3 posts, newest "Post 3"\s+cacheStatus miss/)
        expect(result.stdout).toMatch(/info: region local, requestId [0-9a-f-]{36}, lastModified \d{4}-/)
        expect(result.stdout).toMatch(/2nd read\s+3 posts, newest "Post 3"\s+cacheStatus ttl/)
        expect(result.stdout).toMatch(
          /after a write outside Prisma \(still cached\)\s+3 posts, newest "Post 3"\s+cacheStatus ttl/,
        )
        expect(result.stdout).toMatch(
          /after \$accelerate\.invalidate\s+3 posts, newest "Post 3 \(edited elsewhere\)"\s+cacheStatus miss/,
        )
        expect(result.stdout).toMatch(
          /after prisma\.post\.create \(no invalidate call\)\s+4 posts, newest "Post 4"\s+cacheStatus miss/,
        )
        expect(result.stdout).toMatch(/user count \(swr: 60\), 2nd read\s+1 user\s+cacheStatus swr/)
        expect(result.stdout).toMatch(/users, no cacheStrategy\s+cacheStatus none/)
        expect(result.stdout).toContain('closed: the process exits by itself')
      },
      TEST_TIMEOUT_MS,
    )
  }

  for (const mode of ['L1 only', 'L1 + Redis + bus'] as const) {
    it(
      `http-api --self-test (${mode}): every route answers; the second GET is a hit; /metrics has prisma_cache_reads_total`,
      async () => {
        const env =
          mode === 'L1 only'
            ? { DB_FILE: join(dir, 'api-l1.db') }
            : { REDIS_URL: redis.url, DB_FILE: join(dir, 'api-redis.db') }
        const result = await run('examples/http-api/server.ts', env, ['--self-test'])
        expect(result.code, describeRun(result)).toBe(0)
        expect(result.stdout).toContain(`(cache: ${mode};`)
        expect(result.stdout).toMatch(/ok {3}GET \/users\/1 -> 200, source l1 \(a hit\)/)
        expect(result.stdout).toMatch(
          /ok {3}GET \/metrics -> 200, prisma_cache_reads_total\{model="User",result="hit"\} 1/,
        )
        expect(result.stdout).toContain('self-test passed')
        expect(result.stdout).not.toContain('FAIL')
      },
      TEST_TIMEOUT_MS,
    )
  }
})
