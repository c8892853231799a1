import { afterAll, beforeAll } from 'vitest'
import { type DatabaseOptions, type Provider, startDatabase, type TestDatabase } from './database.js'

/**
 * A real database for the enclosing suite (`startDatabase`: DATABASE_URL-style variables, a container, or the
 * Debian server on a free loopback port), started in beforeAll and stopped in afterAll. Call it before the suite's
 * own hooks; the object it returns stands for the database from then on (its members throw before the start).
 */
export function useDatabase(provider: Provider, options: DatabaseOptions = {}): TestDatabase {
  let db: TestDatabase | undefined
  beforeAll(async () => {
    db = await startDatabase(provider, options)
  })
  afterAll(async () => {
    await db?.stop()
  })
  const started = (): TestDatabase => {
    if (!db) throw new Error(`useDatabase(${provider}): the suite has not started yet`)
    return db
  }
  return {
    provider,
    get url() {
      return started().url
    },
    get schema() {
      return started().schema
    },
    get serverPid() {
      return started().serverPid
    },
    createClient: (clientOptions) => started().createClient(clientOptions),
    adapter: () => started().adapter(),
    query: (sql, params) => started().query(sql, params),
    reset: () => started().reset(),
    stop: () => started().stop(),
  }
}
