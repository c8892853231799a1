/** The part of `pg`'s Client the feed uses for setup queries. */
export interface SqlClient {
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>
  end(): Promise<void>
}

/** A setup problem a retry cannot fix: the message names what to change (usually the SQL a DBA must run). */
export class ChangeFeedSetupError extends Error {
  override readonly name = 'ChangeFeedSetupError'
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`

/** wal_level must be logical: otherwise no slot can be created, and the error says how to turn it on. */
export async function checkWalLevel(sql: SqlClient): Promise<void> {
  const level = String((await sql.query('SHOW wal_level')).rows[0]?.['wal_level'])
  if (level !== 'logical') {
    throw new ChangeFeedSetupError(
      `prisma-tiered-cache: postgresChangeFeed needs wal_level=logical, the server has wal_level=${level}. ` +
        'Run `ALTER SYSTEM SET wal_level = logical;` and restart PostgreSQL (managed services: see the README).',
    )
  }
}

/**
 * The publication over the schema's tables: created if absent (and allowed), else checked to cover them all.
 * Either failure names the SQL a DBA must run.
 */
export async function ensurePublication(
  sql: SqlClient,
  name: string,
  schema: string,
  tableNames: readonly string[],
  create: boolean,
): Promise<void> {
  const found = await sql.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND lower(table_name) = ANY($2)",
    [schema, tableNames],
  )
  const tables = found.rows.map((row) => String(row['table_name'])).sort()
  if (tables.length === 0)
    throw new ChangeFeedSetupError(
      `prisma-tiered-cache: postgresChangeFeed found none of the schema's tables in schema "${schema}"`,
    )
  const qualified = (table: string) => `${quote(schema)}.${quote(table)}`
  const exists = (await sql.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name])).rows.length > 0
  if (exists) {
    const published = await sql.query(
      'SELECT tablename FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2',
      [name, schema],
    )
    const have = new Set(published.rows.map((row) => String(row['tablename'])))
    const missing = tables.filter((table) => !have.has(table))
    if (missing.length === 0) return
    throw new ChangeFeedSetupError(
      `prisma-tiered-cache: publication "${name}" lacks tables the cache reads; run: ` +
        `ALTER PUBLICATION ${quote(name)} ADD TABLE ${missing.map(qualified).join(', ')};`,
    )
  }
  const statement = `CREATE PUBLICATION ${quote(name)} FOR TABLE ${tables.map(qualified).join(', ')}`
  if (!create)
    throw new ChangeFeedSetupError(
      `prisma-tiered-cache: publication "${name}" does not exist (createPublication: false); run: ${statement};`,
    )
  try {
    await sql.query(statement)
  } catch (error) {
    // Two instances starting together: the other one created it.
    if ((error as { code?: string }).code === '42710') return
    throw new ChangeFeedSetupError(
      `prisma-tiered-cache: could not create publication "${name}" (${String(error)}); run: ${statement};`,
      { cause: error },
    )
  }
}

export type SlotState = 'ready' | 'created' | 'busy'

/**
 * The persistent slot: 'created' when it had to be made (nothing proves we saw the changes before it: the
 * caller invalidates everything), 'busy' when another consumer streams from it. A slot whose WAL the server
 * removed (wal_status 'lost') is dropped and made again, which also reports 'created'.
 */
export async function ensureSlot(sql: SqlClient, slot: string): Promise<SlotState> {
  const rows = (
    await sql.query('SELECT plugin, database, active_pid, wal_status FROM pg_replication_slots WHERE slot_name = $1', [
      slot,
    ])
  ).rows
  const row = rows[0]
  if (row !== undefined) {
    if (row['plugin'] !== 'pgoutput')
      throw new ChangeFeedSetupError(
        `prisma-tiered-cache: replication slot "${slot}" uses plugin ${String(row['plugin'])}, not pgoutput: pick another slot name`,
      )
    const database = String((await sql.query('SELECT current_database() AS db')).rows[0]?.['db'])
    if (row['database'] !== database)
      throw new ChangeFeedSetupError(
        `prisma-tiered-cache: replication slot "${slot}" belongs to database ${String(row['database'])}: pick another slot name`,
      )
    if (row['active_pid'] !== null) return 'busy'
    if (row['wal_status'] !== 'lost') return 'ready'
    await sql.query('SELECT pg_drop_replication_slot($1)', [slot])
  }
  try {
    await sql.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot])
  } catch (error) {
    if ((error as { code?: string }).code === '42710') return 'busy' // another instance created it just now
    throw error
  }
  return 'created'
}
