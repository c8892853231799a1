/**
 * Real databases behind Prisma 7 for test suites: every Prisma scenario runs
 * on SQLite and on PostgreSQL (`describe.each(PROVIDERS)`).
 *
 *   const db = await startDatabase('postgresql');
 *   const prisma = db.createClient();      // a new PrismaClient each call
 *   ...
 *   await db.reset();                      // empty every table, restart ids
 *   await db.stop();                       // disconnect clients, drop what we made
 *
 * Schema: prisma/schema.prisma (models) with tables created from
 * prisma/sql/<provider>.sql, because `prisma migrate`/`db push` need the Rust
 * schema engine, which cannot be downloaded here. Clients: generated into
 * prisma/generated/ by `npm run generate` (run by `npm install`/`npm ci`
 * through the `prepare` script).
 *
 * TWO GENERATED CLIENTS, ONE TYPE. A Prisma 7 client is bound to the provider
 * of the schema it was generated from: given the other provider's driver
 * adapter its constructor throws, e.g. "The Driver Adapter
 * `@prisma/adapter-libsql`, based on `sqlite`, is not compatible with the
 * provider `postgres` specified in the Prisma schema." So there are two
 * clients, generated from one schema whose SQLite copy differs only in the
 * datasource provider (scripts/generate.mjs). Their model, result and
 * method types are identical; only some INPUT types differ, where PostgreSQL
 * accepts more: `mode: 'insensitive'` string filters, `skipDuplicates` in
 * createMany, JSON filters (`path` is string[] on PostgreSQL, a string on
 * SQLite; array_contains/lt/gt on Json), list field references, isolation
 * levels other than Serializable. Tests get the PostgreSQL client's type
 * ({@link TestPrismaClient}); the SQLite client is cast to it once, in
 * {@link startSqlite}. That is sound for everything both providers accept;
 * a PostgreSQL-only input compiles but is rejected at run time on SQLite with
 * a PrismaClientValidationError, so guard such tests with
 * `db.provider === 'postgresql'`. All runtime values (Prisma.Decimal,
 * Prisma.DbNull, Prisma.JsonNull, error classes, Prisma.sql) come from the
 * shared `@prisma/client/runtime/client`, so the re-exported `Prisma`
 * namespace works with both clients (instanceof included).
 */
import { createClient as createLibsqlClient, type Client as LibsqlClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { PrismaMariaDb } from '@prisma/adapter-mariadb'
import { PrismaPg } from '@prisma/adapter-pg'
import * as mariadb from 'mariadb'
import pg from 'pg'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PrismaClient as PostgresPrismaClient, Prisma } from '../../prisma/generated/postgresql/client.js'
import {
  PrismaClient as SqlitePrismaClient,
  type Prisma as SqlitePrisma,
} from '../../prisma/generated/sqlite/client.js'
import { PrismaClient as MysqlPrismaClient, type Prisma as MysqlPrisma } from '../../prisma/generated/mysql/client.js'
import { type MariaDbService, startMariaDb } from './mariadb.js'
import { createDatabase, startPostgres, type PostgresService } from './postgres.js'
import { makeTempDir, removeTempDir } from './processes.js'

export { Prisma }
export { $Enums, Role } from '../../prisma/generated/postgresql/client.js'
export type {
  AuditLog,
  Membership,
  Organization,
  Post,
  Profile,
  Tag,
  User,
} from '../../prisma/generated/postgresql/client.js'

/** The database kinds every Prisma scenario runs on. */
export type Provider = 'sqlite' | 'postgresql' | 'mysql'

/** Every provider, for `describe.each(PROVIDERS)`. `mysql` runs on MariaDB (MySQL's protocol and SQL). */
export const PROVIDERS: readonly Provider[] = ['sqlite', 'postgresql', 'mysql']

/**
 * The client type tests use for both providers: the PostgreSQL client's
 * (see the module comment for why the SQLite client may wear it).
 */
export type TestPrismaClient = PostgresPrismaClient

/**
 * SQL written once for every provider, in PostgreSQL's quoting: `"identifier"` and `$1` placeholders. MySQL gets
 * backticks and `?`; SQLite `?` (it reads double-quoted identifiers as they are). String literals must use single
 * quotes. `db.query` applies it; tests pass it to `$executeRawUnsafe`, or use {@link sqlIn} for `$executeRaw`.
 */
export function portableSql(provider: Provider, sql: string): string {
  if (provider === 'postgresql') return sql
  const placeholders = sql.replace(/\$\d+/g, '?')
  return provider === 'mysql'
    ? placeholders.replace(/"((?:[^"]|"")+)"/g, (_, name: string) => `\`${name.replaceAll('""', '"')}\``)
    : placeholders
}

/** A tagged template like `Prisma.sql`, written in PostgreSQL's quoting and translated by {@link portableSql}. */
export function sqlIn(provider: Provider) {
  return (strings: TemplateStringsArray, ...values: unknown[]): Prisma.Sql =>
    Prisma.sql(
      strings.map((part) => portableSql(provider, part)),
      ...values,
    )
}

/** PrismaClient options a test may pass; the driver adapter is ours. */
export type TestClientOptions = Omit<Prisma.PrismaClientOptions, 'adapter' | 'accelerateUrl'>

/** A fresh database with the test schema's tables. */
export interface TestDatabase {
  readonly provider: Provider
  /**
   * Where it is: `file:/abs/path.db` for SQLite, a `postgresql://` URL for
   * PostgreSQL (a database of its own, except with `DATABASE_URL`: see
   * {@link startDatabase}).
   */
  readonly url: string
  /** PostgreSQL schema holding the tables ("public" unless `DATABASE_URL` is used); undefined for SQLite. */
  readonly schema: string | undefined
  /** Pid of the PostgreSQL server when the rig runs it as a local process; undefined otherwise. */
  readonly serverPid: number | undefined
  /**
   * A NEW PrismaClient with the provider's driver adapter (tests often need
   * several clients on one database, e.g. two app instances). It connects
   * lazily; {@link stop} disconnects every client made here.
   */
  createClient(options?: TestClientOptions): TestPrismaClient
  /**
   * The driver adapter {@link createClient} gives its clients, for a client of another generated schema
   * (`startDatabase(provider, { tables })`). Such clients are the caller's to disconnect.
   */
  adapter(): NonNullable<Prisma.PrismaClientOptions['adapter']>
  /**
   * Run SQL outside Prisma (another writer behind the cache's back, or a
   * check of what is really stored), through the admin connection.
   * Placeholders are the driver's: `$1` on PostgreSQL, `?` on SQLite and MySQL; on MySQL, double-quoted
   * identifiers are read as backticked ones ({@link portableSql}), so one text serves every provider.
   * @returns the result rows as plain objects (none for statements without rows).
   */
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>
  /** Empty every table and restart identity/autoincrement counters. Clients stay usable. */
  reset(): Promise<void>
  /** Disconnect every client from {@link createClient}, close the admin connection, remove what was made. Idempotent. */
  stop(): Promise<void>
}

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
/** The DDL: prisma/sql/<provider>.sql for the test schema, prisma/sql/<tables>-<provider>.sql for another. */
const ddlFile = (provider: Provider, tables: string | undefined) =>
  join(ROOT, 'prisma', 'sql', tables === undefined ? `${provider}.sql` : `${tables}-${provider}.sql`)

/** Options of {@link startDatabase}. */
export interface DatabaseOptions {
  /** Tables of another schema: `edge-cases` runs prisma/sql/edge-cases-<provider>.sql (default: the test schema's). */
  tables?: string
}
/** How long SQLite connections wait for another connection's lock (several clients share the file). */
const SQLITE_BUSY_TIMEOUT_MS = 10_000

let counter = 0
/** A name unique in this machine for a while: lower-case SQL identifier. */
function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`
}

/**
 * A fresh, empty database with the test schema.
 *
 * - `sqlite`: a new file in a temp dir (WAL mode), tables from prisma/sql/sqlite.sql.
 * - `postgresql`: a server from {@link startPostgres} (shared by every
 *   PostgreSQL TestDatabase of this process while any is running, stopped
 *   with the last), a new database on it, tables from prisma/sql/postgresql.sql.
 *   With `DATABASE_URL` (a server the rig does not own, where it may not
 *   create databases) a new schema in that database instead.
 */
export async function startDatabase(provider: Provider, options: DatabaseOptions = {}): Promise<TestDatabase> {
  const ddl = ddlFile(provider, options.tables)
  switch (provider) {
    case 'sqlite':
      return startSqlite(ddl)
    case 'postgresql':
      return startPostgresDatabase(ddl)
    case 'mysql':
      return startMysqlDatabase(ddl)
    default:
      throw new Error(`startDatabase: unknown provider ${String(provider satisfies never)}`)
  }
}

/** Clients made by createClient, disconnected by stop(). */
class ClientSet {
  readonly #clients = new Set<{ $disconnect(): Promise<void> }>()
  add<T extends { $disconnect(): Promise<void> }>(client: T): T {
    this.#clients.add(client)
    return client
  }
  async disconnectAll(): Promise<void> {
    const clients = [...this.#clients]
    this.#clients.clear()
    const results = await Promise.allSettled(clients.map((c) => c.$disconnect()))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}

// --- SQLite -------------------------------------------------------------------

async function startSqlite(ddlPath: string): Promise<TestDatabase> {
  const dir = await makeTempDir('sqlite-rig-')
  const url = `file:${join(dir, 'test.db')}`
  // intMode 'bigint': BigInt columns beyond 2^53 would otherwise make the
  // driver throw ("Received integer which cannot be safely represented as a
  // JavaScript number"); the adapter turns bigints into strings for Prisma.
  const config = { url, intMode: 'bigint' as const, timeout: SQLITE_BUSY_TIMEOUT_MS }
  let admin: LibsqlClient | null = null
  try {
    admin = createLibsqlClient(config)
    await admin.execute('PRAGMA journal_mode = WAL')
    await admin.executeMultiple(await readFile(ddlPath, 'utf8'))
  } catch (err) {
    admin?.close()
    await removeTempDir(dir)
    throw err
  }
  const conn = admin
  const clients = new ClientSet()
  let stopped = false

  return {
    provider: 'sqlite',
    url,
    schema: undefined,
    serverPid: undefined,
    createClient(options?: TestClientOptions): TestPrismaClient {
      if (stopped) throw new Error('TestDatabase(sqlite).createClient after stop()')
      // The options differ only in isolation levels SQLite lacks: SQLite
      // rejects them at run time like the PostgreSQL-only query inputs.
      const sqliteOptions = options as Omit<SqlitePrisma.PrismaClientOptions, 'adapter' | 'accelerateUrl'> | undefined
      const client = new SqlitePrismaClient({ ...sqliteOptions, adapter: new PrismaLibSql(config) })
      // Sound cast: same models, same result types; see the module comment.
      return clients.add(client as unknown as TestPrismaClient)
    },
    adapter: () => new PrismaLibSql(config),
    async query(sql, params = []) {
      const result = await conn.execute({ sql, args: params as never })
      return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])))
    },
    async reset() {
      const tables = await conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
      )
      const names = tables.rows.map((row) => String(row[0]))
      // foreign_keys cannot change inside a transaction, hence outside BEGIN.
      await conn.executeMultiple(
        [
          'PRAGMA foreign_keys = OFF',
          'BEGIN IMMEDIATE',
          ...names.map((name) => `DELETE FROM "${name.replaceAll('"', '""')}"`),
          // AUTOINCREMENT counters live here (the table exists once one is used).
          "DELETE FROM sqlite_sequence WHERE EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')",
          'COMMIT',
          'PRAGMA foreign_keys = ON',
        ].join(';\n'),
      )
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await clients.disconnectAll()
      } finally {
        conn.close()
        await removeTempDir(dir)
      }
    },
  }
}

// --- PostgreSQL ---------------------------------------------------------------

/**
 * One server per process, shared by the TestDatabases of its kind running at a time: started by the first
 * `acquire`, stopped by the last `release`.
 */
class SharedServer<S extends { stop(): Promise<void> }> {
  #current: { service: Promise<S>; users: number } | null = null

  constructor(private readonly start: () => Promise<S>) {}

  acquire(): Promise<S> {
    if (this.#current === null) {
      const service = this.start()
      const current = { service, users: 0 }
      this.#current = current
      // A failed start must not be reused by the next caller.
      service.catch(() => {
        if (this.#current === current) this.#current = null
      })
    }
    this.#current.users += 1
    return this.#current.service
  }

  async release(): Promise<void> {
    const current = this.#current
    if (current === null) return
    current.users -= 1
    if (current.users > 0) return
    this.#current = null
    const service = await current.service.catch(() => null)
    await service?.stop()
  }
}

const postgresServer = new SharedServer(startPostgres)

async function startPostgresDatabase(ddlPath: string): Promise<TestDatabase> {
  let service: PostgresService
  try {
    service = await postgresServer.acquire()
  } catch (err) {
    await postgresServer.release()
    throw err
  }

  let admin: pg.Client | null = null
  try {
    const ownsServer = service.source !== 'env'
    const name = uniqueName('tdb')
    // Own server: a database of our own. DATABASE_URL: we may not be allowed
    // to create databases there, so a schema of our own in that database.
    const url = ownsServer ? await createDatabase(service, name) : service.url
    const schema = ownsServer ? 'public' : name
    admin = new pg.Client(connectionConfig(url, schema))
    // An idle admin connection cut by a server shutdown must not crash the test process.
    admin.on('error', () => undefined)
    await admin.connect()
    const ddl = await readFile(ddlPath, 'utf8')
    if (ownsServer) {
      await admin.query(ddl)
    } else {
      // search_path (from connectionConfig) already names it.
      await admin.query(`CREATE SCHEMA "${schema}"`)
      await admin.query(ddl)
    }
    return postgresDatabase(service, url, schema, ownsServer, admin)
  } catch (err) {
    await admin?.end().catch(() => undefined)
    await postgresServer.release()
    throw err
  }
}

/**
 * pg connection settings. Outside "public", search_path points at our schema
 * so that raw SQL ($executeRaw, db.query) finds the tables too: the adapter's
 * `schema` option only qualifies the SQL Prisma itself generates.
 */
function connectionConfig(url: string, schema: string): pg.ClientConfig {
  return schema === 'public'
    ? { connectionString: url }
    : { connectionString: url, options: `-c search_path=${schema}` }
}

function postgresDatabase(
  service: PostgresService,
  url: string,
  schema: string,
  ownsServer: boolean,
  admin: pg.Client,
): TestDatabase {
  const clients = new ClientSet()
  let stopped = false
  const quotedSchema = `"${schema.replaceAll('"', '""')}"`

  return {
    provider: 'postgresql',
    url,
    schema,
    serverPid: service.pid,
    createClient(options?: TestClientOptions): TestPrismaClient {
      if (stopped) throw new Error('TestDatabase(postgresql).createClient after stop()')
      return clients.add(new PostgresPrismaClient({ ...options, adapter: this.adapter() }))
    },
    adapter() {
      return new PrismaPg(
        { ...connectionConfig(url, schema), max: 5 },
        {
          ...(schema === 'public' ? {} : { schema }),
          // Idle pooled connections get an 'error' when the server goes away;
          // without a listener that would be an uncaught exception.
          onPoolError: () => undefined,
          onConnectionError: () => undefined,
        },
      )
    },
    async query(sql, params = []) {
      const result = await admin.query(sql, params as unknown[])
      return result.rows as Record<string, unknown>[]
    },
    async reset() {
      const tables = await admin.query<{ tablename: string }>(
        'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
        [schema],
      )
      if (tables.rows.length === 0) return
      const list = tables.rows.map((row) => `${quotedSchema}."${row.tablename.replaceAll('"', '""')}"`).join(', ')
      await admin.query(`TRUNCATE TABLE ${list} RESTART IDENTITY CASCADE`)
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await clients.disconnectAll()
        if (!ownsServer) await admin.query(`DROP SCHEMA ${quotedSchema} CASCADE`)
      } finally {
        await admin.end().catch(() => undefined)
        // Databases on our own server go with it (its data dir is deleted).
        await postgresServer.release()
      }
    },
  }
}

// --- MySQL / MariaDB ----------------------------------------------------------

const mariaDbServer = new SharedServer<MariaDbService>(startMariaDb)

/** A new database on the shared server (with MYSQL_URL too: a database of its own, dropped by stop()). */
async function startMysqlDatabase(ddlPath: string): Promise<TestDatabase> {
  let service: MariaDbService
  try {
    service = await mariaDbServer.acquire()
  } catch (err) {
    await mariaDbServer.release()
    throw err
  }
  const name = uniqueName('tdb')
  const server = new URL(service.url)
  const config: mariadb.ConnectionConfig = {
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    ...(server.password === '' ? {} : { password: decodeURIComponent(server.password) }),
    // BIGINT and DECIMAL as the driver's exact types (Prisma's adapter sets its own).
    bigIntAsNumber: false,
    decimalAsNumber: false,
  }
  let admin: mariadb.Connection | null = null
  try {
    admin = await mariadb.createConnection({ ...config, multipleStatements: true })
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    await admin.query(`USE \`${name}\``)
    await admin.query(await readFile(ddlPath, 'utf8'))
  } catch (err) {
    await admin?.end().catch(() => undefined)
    await mariaDbServer.release()
    throw err
  }
  const conn = admin
  const clients = new ClientSet()
  let stopped = false
  const url = `mysql://${server.username || 'root'}${server.password ? `:${server.password}` : ''}@${server.host}/${name}`
  const adapter = () => new PrismaMariaDb({ ...config, database: name, connectionLimit: 5 })
  return {
    provider: 'mysql',
    url,
    schema: undefined,
    serverPid: service.pid,
    createClient(options?: TestClientOptions): TestPrismaClient {
      if (stopped) throw new Error('TestDatabase(mysql).createClient after stop()')
      const mysqlOptions = options as Omit<MysqlPrisma.PrismaClientOptions, 'adapter' | 'accelerateUrl'> | undefined
      const client = new MysqlPrismaClient({ ...mysqlOptions, adapter: adapter() })
      // Sound cast: same models, same result types; see the module comment.
      return clients.add(client as unknown as TestPrismaClient)
    },
    adapter,
    async query(sql, params = []) {
      const result: unknown = await conn.query(portableSql('mysql', sql), params as unknown[])
      // Rows come as an array of objects (with a `meta` property); other statements as an OK packet.
      return Array.isArray(result) ? result.map((row) => ({ ...(row as Record<string, unknown>) })) : []
    },
    async reset() {
      const tables = (await conn.query(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = ?',
        [name, 'BASE TABLE'],
      )) as { name: string }[]
      if (tables.length === 0) return
      // TRUNCATE also restarts AUTO_INCREMENT; foreign keys are off for the duration on this connection only.
      await conn.query(
        [
          'SET FOREIGN_KEY_CHECKS = 0',
          ...tables.map((t) => `TRUNCATE TABLE \`${t.name}\``),
          'SET FOREIGN_KEY_CHECKS = 1',
        ].join(';\n'),
      )
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await clients.disconnectAll()
        await conn.query(`DROP DATABASE \`${name}\``)
      } finally {
        await conn.end().catch(() => undefined)
        await mariaDbServer.release()
      }
    },
  }
}
