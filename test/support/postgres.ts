/**
 * Real PostgreSQL for test suites.
 *
 * Order of preference: `DATABASE_URL`, testcontainers (postgres:16-alpine),
 * then a throwaway cluster from the Debian server binaries in
 * /usr/lib/postgresql/<version>/bin. SQL is run with the `psql` binary because
 * no PostgreSQL driver is a dependency of this package.
 */
import { chown } from 'node:fs/promises'
import { accessSync, constants as fsConstants, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, GiveUp, isPortOpen, LOOPBACK, waitFor } from './ports.js'
import {
  findExecutable,
  isRoot,
  lookupUser,
  makeTempDir,
  ManagedProcess,
  removeTempDir,
  runChecked,
  runCommand,
  tryContainer,
} from './processes.js'

/** A PostgreSQL database the tests may use. */
export interface PostgresService {
  /** `postgresql://` URL of the suite's database. */
  url: string
  /** Stops what the rig started (and deletes its data); a no-op for `DATABASE_URL`. */
  stop(): Promise<void>
  /** How it was provided. */
  readonly source: 'env' | 'container' | 'process'
  /** Pid of the postmaster when the rig runs it as a local process. */
  readonly pid?: number | undefined
}

/** Name of the database created for a suite on servers the rig owns. */
export const DEFAULT_DATABASE = 'test'

const PG_ROOT = '/usr/lib/postgresql'
const MISSING_BINARIES =
  `PostgreSQL server binaries not found in ${PG_ROOT}/<version>/bin: install the Debian package \`postgresql\` ` +
  '(apt-get install -y postgresql) or set DATABASE_URL to a PostgreSQL database the tests may use'

/** Per-service way to create further databases; absent for external servers. */
const creators = new WeakMap<PostgresService, (name: string) => Promise<string>>()
/** How to run psql against servers we own (as which user). */
const psqlUsers = new WeakMap<PostgresService, string | undefined>()

/**
 * A PostgreSQL database for a test suite.
 *
 * With `DATABASE_URL` set (a postgres:// or postgresql:// URL) it is returned
 * as is and `stop()` does nothing. Otherwise a postgres:16-alpine container
 * when a container runtime works, else a fresh local cluster (initdb into a
 * temp dir, run as user `postgres` when we are root because the server
 * refuses to run as root) with a database named {@link DEFAULT_DATABASE}.
 * @throws when none of these is available, naming the package to install.
 */
export async function startPostgres(): Promise<PostgresService> {
  const fromEnv = process.env['DATABASE_URL']
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^postgres(ql)?:\/\//.test(fromEnv)) {
      throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL')
    }
    return { url: fromEnv, source: 'env', stop: async () => undefined }
  }

  const container = await tryContainer('postgres', async () => {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    return new PostgreSqlContainer('postgres:16-alpine').start()
  })
  if (container !== null) {
    const service: PostgresService = {
      url: container.getConnectionUri(),
      source: 'container',
      stop: async () => {
        await container.stop()
      },
    }
    creators.set(service, async (name) => {
      const result = await container.exec([
        'psql',
        '-U',
        container.getUsername(),
        '-d',
        container.getDatabase(),
        '-c',
        `CREATE DATABASE "${name}"`,
      ])
      if (result.exitCode !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${result.output}`)
      return withDatabase(service.url, name)
    })
    return service
  }

  return startLocalPostgres()
}

/**
 * Create another, empty database on the same server and return its URL.
 *
 * When the service comes from `DATABASE_URL` the rig does not own the server
 * and may lack the rights to create databases, so `DATABASE_URL` itself is
 * returned: callers then share one database and must isolate their data
 * (unique table names or rows) themselves.
 */
export async function createDatabase(service: PostgresService, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`createDatabase: use a lower-case SQL identifier, got "${name}"`)
  }
  const create = creators.get(service)
  return create === undefined ? service.url : create(name)
}

/**
 * Run SQL with the local `psql` binary and return its unaligned, tuples-only
 * output (one row per line, columns separated by `|`), trimmed.
 * @throws with psql's error output when the statement fails.
 */
export async function psql(target: PostgresService | string, sql: string): Promise<string> {
  if (typeof target === 'string') return runPsql(target, sql, undefined)
  return runPsql(target.url, sql, psqlUsers.get(target))
}

/** psql as `runAs` (the server's own user for servers we own). */
async function runPsql(url: string, sql: string, runAs: string | undefined): Promise<string> {
  const binDir = findPgBinDir()
  const binary = binDir !== null ? join(binDir, 'psql') : findExecutable('psql')
  if (binary === null) throw new Error(`psql not found: ${MISSING_BINARIES}`)
  const result = await runChecked(binary, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    runAs,
    // The postgres user may not be able to enter the test's cwd.
    cwd: '/',
    env: { ...process.env, PGCONNECT_TIMEOUT: '3' },
    timeoutMs: 30_000,
  })
  return result.stdout.trim()
}

/** Start a private PostgreSQL cluster from the Debian binaries. */
async function startLocalPostgres(): Promise<PostgresService> {
  const binDir = findPgBinDir()
  if (binDir === null) throw new Error(MISSING_BINARIES)

  let runAs: string | undefined
  let owner: { uid: number; gid: number } | null = null
  if (isRoot()) {
    runAs = 'postgres'
    owner = lookupUser(runAs)
    if (owner === null) {
      throw new Error(
        `PostgreSQL refuses to run as root and user "postgres" does not exist; it comes with the Debian package \`postgresql\``,
      )
    }
  }

  const dir = await makeTempDir('pg-rig-')
  const dataDir = join(dir, 'data')
  let proc: ManagedProcess | null = null
  try {
    if (owner !== null) await chown(dir, owner.uid, owner.gid)
    // Everything runs with cwd = our dir: the postgres user cannot enter
    // root's cwd or home, which makes initdb/psql complain.
    await runChecked(
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { runAs, cwd: dir, timeoutMs: 60_000 },
    )

    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      const current = await ManagedProcess.start({
        command: join(binDir, 'postgres'),
        name: `postgres :${port}`,
        // fsync/synchronous_commit/full_page_writes off: durability is useless
        // for a throwaway test cluster and costs time.
        args: [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          `listen_addresses=${LOOPBACK}`,
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          // Logical decoding for the change feed's tests (a little more WAL per write, nothing else).
          '-c',
          'wal_level=logical',
        ],
        runAs,
        cwd: dir,
        // SIGQUIT = immediate shutdown: the postmaster takes its backends down too.
        emergencySignal: 'SIGQUIT',
      })
      proc = current
      const adminUrl = `postgresql://postgres@${LOOPBACK}:${port}/postgres`
      try {
        // TCP first (cheap), then a real query: the server accepts
        // connections slightly before it accepts queries.
        await waitFor(
          async () => {
            if (!current.running) throw new GiveUp('postgres exited before it was ready')
            return isPortOpen(port)
          },
          { timeoutMs: 30_000, intervalMs: 50, what: `postgres to listen on ${LOOPBACK}:${port}` },
        )
        await waitFor(
          async () => {
            if (!current.running) throw new GiveUp('postgres exited before it was ready')
            return (
              (
                await runCommand(join(binDir, 'psql'), ['-X', '-A', '-t', '-d', adminUrl, '-c', 'select 1'], {
                  runAs,
                  cwd: dir,
                  timeoutMs: 5000,
                })
              ).code === 0
            )
          },
          { timeoutMs: 30_000, intervalMs: 100, what: `postgres on ${LOOPBACK}:${port} to answer "select 1"` },
        )
        break
      } catch (err) {
        await current.stop('SIGQUIT')
        // Another worker may have grabbed the port between freePort() and bind.
        if (attempt < 5 && /address already in use/i.test(current.output())) continue
        throw new Error(`${(err as Error).message}\n${current.describe()}`, { cause: err })
      }
    }

    const running = proc
    const serverUrl = `postgresql://postgres@${LOOPBACK}:${port}`
    let stopped = false
    const service: PostgresService = {
      url: `${serverUrl}/${DEFAULT_DATABASE}`,
      source: 'process',
      pid: running.pid,
      stop: async () => {
        if (stopped) return
        stopped = true
        // SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, then exit.
        await running.stop('SIGINT', 10_000)
        await removeTempDir(dir)
      },
    }
    psqlUsers.set(service, runAs)
    creators.set(service, async (name) => {
      await runPsql(`${serverUrl}/postgres`, `CREATE DATABASE "${name}"`, runAs)
      return `${serverUrl}/${name}`
    })
    await createDatabase(service, DEFAULT_DATABASE)
    return service
  } catch (err) {
    if (proc !== null) await proc.stop('SIGINT', 10_000)
    await removeTempDir(dir)
    throw err
  }
}

/** Highest-version /usr/lib/postgresql/<v>/bin that has a postgres binary, or null. */
function findPgBinDir(): string | null {
  let versions: string[]
  try {
    versions = readdirSync(PG_ROOT)
  } catch {
    return null
  }
  const usable = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(PG_ROOT, v, 'bin'))
    .filter((bin) => {
      try {
        accessSync(join(bin, 'postgres'), fsConstants.X_OK)
        return true
      } catch {
        return false
      }
    })
  return usable[0] ?? null
}

/** Same server URL, other database. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}
