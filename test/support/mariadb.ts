/**
 * Real MariaDB (MySQL's protocol and SQL) for test suites.
 *
 * Order of preference: `MYSQL_URL` (a mysql:// or mariadb:// URL of a server the tests may use), testcontainers
 * (mariadb:11), then a throwaway server from the Debian package `mariadb-server`: `mariadb-install-db` into a temp
 * dir, then `mariadbd` on a free loopback port, stopped (and its data deleted) by `stop()`. SQL goes through the
 * `mariadb` driver (the one @prisma/adapter-mariadb uses).
 */
import { chown } from 'node:fs/promises'
import { join } from 'node:path'
import * as mariadb from 'mariadb'
import { freePort, GiveUp, isPortOpen, LOOPBACK, waitFor } from './ports.js'
import {
  findExecutable,
  isRoot,
  lookupUser,
  makeTempDir,
  ManagedProcess,
  removeTempDir,
  runChecked,
  tryContainer,
} from './processes.js'

/** A MariaDB server the tests may use. */
export interface MariaDbService {
  /** `mysql://` URL of the server (no database: callers create their own). */
  url: string
  /** Stops what the rig started (and deletes its data); a no-op for `MYSQL_URL`. */
  stop(): Promise<void>
  readonly source: 'env' | 'container' | 'process'
  readonly pid?: number | undefined
}

const MISSING_BINARIES =
  'mariadbd is not installed: install the Debian package `mariadb-server` (apt-get install -y mariadb-server) ' +
  'or set MYSQL_URL to a MySQL/MariaDB server the tests may use'

export async function startMariaDb(): Promise<MariaDbService> {
  const fromEnv = process.env['MYSQL_URL']
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^(mysql|mariadb):\/\//.test(fromEnv)) throw new Error('MYSQL_URL must be a mysql:// or mariadb:// URL')
    const url = new URL(fromEnv)
    url.pathname = '/'
    return { url: url.toString(), source: 'env', stop: async () => undefined }
  }

  const container = await tryContainer('mariadb', async () => {
    const { MariaDbContainer } = await import('@testcontainers/mariadb')
    return new MariaDbContainer('mariadb:11').withUserPassword('root').start()
  })
  if (container !== null) {
    return {
      url: `mysql://root:root@${container.getHost()}:${container.getPort()}/`,
      source: 'container',
      stop: async () => {
        await container.stop()
      },
    }
  }
  return startLocalMariaDb()
}

/** A private server from the Debian binaries, run as user `mysql` when we are root. */
async function startLocalMariaDb(): Promise<MariaDbService> {
  // mariadbd lives in /usr/sbin, which a non-root PATH may lack.
  const serverBinary = findExecutable('mariadbd') ?? findExecutable('/usr/sbin/mariadbd')
  const installDb = findExecutable('mariadb-install-db')
  if (serverBinary === null || installDb === null) throw new Error(MISSING_BINARIES)

  let user: string | undefined
  if (isRoot()) {
    const owner = lookupUser('mysql')
    if (owner === null)
      throw new Error('user "mysql" does not exist; it comes with the Debian package `mariadb-server`')
    user = 'mysql'
  }
  const dir = await makeTempDir('mariadb-rig-')
  const dataDir = join(dir, 'data')
  let proc: ManagedProcess | null = null
  try {
    if (user !== undefined) {
      const owner = lookupUser(user)!
      await chown(dir, owner.uid, owner.gid)
    }
    await runChecked(
      installDb,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        ...(user ? [`--user=${user}`] : []),
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { cwd: dir, timeoutMs: 60_000 },
    )
    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      const current = await ManagedProcess.start({
        command: serverBinary,
        name: `mariadbd :${port}`,
        args: [
          '--no-defaults',
          `--datadir=${dataDir}`,
          ...(user ? [`--user=${user}`] : []),
          `--port=${port}`,
          `--bind-address=${LOOPBACK}`,
          `--socket=${join(dir, 'sock')}`,
          `--pid-file=${join(dir, 'pid')}`,
          `--log-error=${join(dir, 'err.log')}`,
          // Durability is useless for a throwaway test server and costs time.
          '--innodb-flush-log-at-trx-commit=0',
          '--skip-name-resolve',
          '--max-connections=500',
        ],
        cwd: dir,
      })
      proc = current
      try {
        await waitFor(
          async () => {
            if (!current.running) throw new GiveUp('mariadbd exited before it was ready')
            return isPortOpen(port)
          },
          { timeoutMs: 30_000, intervalMs: 50, what: `mariadbd to listen on ${LOOPBACK}:${port}` },
        )
        await waitFor(
          async () => {
            if (!current.running) throw new GiveUp('mariadbd exited before it was ready')
            const conn = await mariadb.createConnection({ host: LOOPBACK, port, user: 'root' }).catch(() => null)
            if (conn === null) return false
            await conn.end()
            return true
          },
          { timeoutMs: 30_000, intervalMs: 100, what: `mariadbd on ${LOOPBACK}:${port} to accept root` },
        )
        break
      } catch (err) {
        await current.stop('SIGTERM', 10_000)
        if (attempt < 5 && /address already in use/i.test(current.output())) continue
        throw new Error(`${(err as Error).message}\n${current.describe()}`, { cause: err })
      }
    }
    const running = proc
    let stopped = false
    return {
      url: `mysql://root@${LOOPBACK}:${port}/`,
      source: 'process',
      pid: running.pid,
      stop: async () => {
        if (stopped) return
        stopped = true
        // SIGTERM is mariadbd's normal shutdown.
        await running.stop('SIGTERM', 15_000)
        await removeTempDir(dir)
      },
    }
  } catch (err) {
    if (proc !== null) await proc.stop('SIGTERM', 10_000)
    await removeTempDir(dir)
    throw err
  }
}
