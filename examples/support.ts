/**
 * Plumbing shared by the examples that has nothing to do with caching: a fresh SQLite file with the test schema's
 * tables, and a Redis connection that fails fast with a clear message when REDIS_URL points at nothing.
 */
import { readFile, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { Redis } from 'ioredis'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/**
 * Deletes `file` and creates the tables of prisma/schema.prisma in a new SQLite file there (from
 * prisma/sql/sqlite.sql: `prisma migrate` needs an engine that is not installed here). Optional `seed` SQL runs after.
 */
export async function createSqliteDatabase(file: string, seed = ''): Promise<void> {
  await Promise.all(['', '-journal', '-wal', '-shm'].map((suffix) => rm(file + suffix, { force: true })))
  const ddl = await readFile(fileURLToPath(new URL('../prisma/sql/sqlite.sql', import.meta.url)), 'utf8')
  const sqlite = createClient({ url: `file:${file}` })
  try {
    await sqlite.executeMultiple(ddl + seed)
  } finally {
    sqlite.close()
  }
}

/** The SQLite file an example uses: `DB_FILE` when set, else `fallback` (a gitignored *.db next to the example). */
export function databaseFile(fallback: URL): string {
  const fromEnv = process.env['DB_FILE']
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fileURLToPath(fallback)
}

/**
 * Connects to REDIS_URL (default redis://127.0.0.1:6379). When nothing answers within 2 s, prints what to do and
 * exits with code 1, instead of letting ioredis retry forever.
 */
export async function connectRedisOrExit(
  command: string,
  url = process.env['REDIS_URL'] || DEFAULT_REDIS_URL,
): Promise<Redis> {
  let lastError = ''
  // A throwaway probe that neither retries nor queues commands, so an unreachable server fails at once.
  let probe: Redis | undefined
  try {
    probe = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 2000,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    })
    probe.on('error', (error: Error) => {
      lastError = error.message
    })
    await probe.connect()
    if ((await probe.ping()) !== 'PONG') throw new Error('PING was not answered with PONG')
  } catch (error) {
    const reason = lastError || (error instanceof Error ? error.message : String(error))
    console.error(
      [
        `Cannot reach Redis at REDIS_URL=${url} (${reason}).`,
        'Start a Redis server (e.g. `redis-server`, or `docker run --rm -p 6379:6379 redis:7-alpine`) and point REDIS_URL at it:',
        `  REDIS_URL=${DEFAULT_REDIS_URL} ${command}`,
      ].join('\n'),
    )
    process.exit(1)
  } finally {
    probe?.disconnect()
  }
  // The connection the cache uses: a failed command gives up after one retry (the cache then answers from the
  // database), and connection errors are reported by the cache's stats instead of being printed here.
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  return redis
}
