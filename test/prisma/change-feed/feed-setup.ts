/**
 * Shared setup of the change feed tests: a real PostgreSQL with wal_level=logical (the rig starts its own server
 * with it; a DATABASE_URL server without it is refused here, clearly, before any test runs) and a feed with
 * slot and publication names of its own, so suites never share a slot.
 */
import type { TestDatabase } from '../../support/database.js'
import { postgresChangeFeed, type PostgresChangeFeedOptions } from '../../../src/index.js'

let feeds = 0

export async function requireLogicalWal(db: TestDatabase): Promise<void> {
  const [row] = await db.query('SHOW wal_level')
  if (row?.['wal_level'] !== 'logical') {
    throw new Error(
      `The change feed tests need a PostgreSQL server with wal_level=logical; the one at DATABASE_URL has ` +
        `wal_level=${String(row?.['wal_level'])} (ALTER SYSTEM SET wal_level = logical, then restart it), or unset DATABASE_URL`,
    )
  }
}

/** A feed on the test database with names unique to this process. */
export function testFeed(db: TestDatabase, options: Partial<PostgresChangeFeedOptions> = {}) {
  const name = `ptc_${process.pid}_${++feeds}`
  return postgresChangeFeed({
    connectionString: db.url,
    slot: name,
    publication: name,
    retryMs: 100,
    onWarning: () => {},
    ...(db.schema ? { schema: db.schema } : {}),
    ...options,
  })
}

/** The server's current WAL insert position: once the feed has applied it, every earlier commit is invalidated. */
export async function walPosition(db: TestDatabase): Promise<string> {
  const [row] = await db.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')
  return String(row?.['lsn'])
}

/** Drops the slots and publications the tests made (they retain WAL otherwise). */
export async function dropFeedObjects(db: TestDatabase): Promise<void> {
  await db.query(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'ptc\\_${process.pid}\\_%' AND active_pid IS NULL`,
  )
  for (const row of await db.query(
    `SELECT pubname FROM pg_publication WHERE pubname LIKE 'ptc\\_${process.pid}\\_%'`,
  )) {
    await db.query(`DROP PUBLICATION "${String(row['pubname'])}"`)
  }
}
