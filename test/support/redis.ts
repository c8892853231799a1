/**
 * Real Redis for test suites: a single server, a server we can take down and
 * bring back (outage tests), and a 3-master Redis Cluster.
 *
 * Order of preference for {@link startRedis}: `REDIS_URL`, testcontainers,
 * then the local `redis-server` binary. Servers we start bind 127.0.0.1 only,
 * keep no data on disk and are killed when the test process exits.
 */
import { Redis } from 'ioredis'
import { freePort, GiveUp, LOOPBACK, waitFor } from './ports.js'
import { findExecutable, makeTempDir, ManagedProcess, removeTempDir, runChecked, tryContainer } from './processes.js'

/** Where a service came from. */
export type ServiceSource = 'env' | 'container' | 'process'

/** A Redis server the tests may use. */
export interface RedisService {
  url: string
  host: string
  port: number
  /** Stops what the rig started; a no-op for `REDIS_URL`. */
  stop(): Promise<void>
  /** How it was provided. */
  readonly source: ServiceSource
  /** Pid of the server when the rig runs it as a local process. */
  readonly pid?: number | undefined
}

/** A local redis-server process owned by the test, which can be stopped and started again. */
export interface RedisServerProcess {
  url: string
  host: string
  port: number
  /** Pid of the current server process, `undefined` while stopped. */
  readonly pid: number | undefined
  /** Whether the server process is currently running. */
  readonly running: boolean
  /** Shut the server down (SIGTERM) and wait until it has exited. Data is lost. */
  stop(): Promise<void>
  /** Start the server again on the same port and wait until it answers PING. */
  start(): Promise<void>
  /** Kill the server abruptly (SIGKILL) and wait until it has exited. */
  kill(): Promise<void>
}

/** Address of one Redis Cluster node. */
export interface RedisClusterNode {
  host: string
  port: number
}

/** A Redis Cluster with every slot assigned. */
export interface RedisClusterService {
  /** The masters (seed nodes for an ioredis `Cluster`). */
  nodes: RedisClusterNode[]
  /** Stops the nodes the rig started; a no-op for `REDIS_CLUSTER_NODES`. */
  stop(): Promise<void>
  readonly source: Exclude<ServiceSource, 'container'>
  /** Pids of the node processes when the rig runs them. */
  readonly pids?: number[] | undefined
}

const MISSING_BINARY =
  'redis-server is not installed: install the Debian package `redis-server` ' +
  '(apt-get install -y redis-server) or set REDIS_URL to a Redis server the tests may use'

/**
 * A Redis server for a test suite.
 *
 * With `REDIS_URL` set that server is returned as is and `stop()` does
 * nothing; it may be shared, so suites must isolate themselves with unique key
 * prefixes (the rig never flushes it). Otherwise a redis:7-alpine container
 * when a container runtime works, else a local `redis-server` process.
 * @throws when none of these is available, naming the package to install.
 */
export async function startRedis(): Promise<RedisService> {
  const fromEnv = process.env['REDIS_URL']
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = new URL(fromEnv)
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new Error(`REDIS_URL must be a redis:// or rediss:// URL, got ${parsed.protocol}`)
    }
    return {
      url: fromEnv,
      host: parsed.hostname,
      port: parsed.port === '' ? 6379 : Number(parsed.port),
      source: 'env',
      stop: async () => undefined,
    }
  }

  const container = await tryContainer('redis', async () => {
    const { RedisContainer } = await import('@testcontainers/redis')
    return new RedisContainer('redis:7-alpine').start()
  })
  if (container !== null) {
    return {
      url: container.getConnectionUrl(),
      host: container.getHost(),
      port: container.getPort(),
      source: 'container',
      stop: async () => {
        await container.stop()
      },
    }
  }

  const server = await startRedisServer()
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    source: 'process',
    pid: server.pid,
    stop: () => server.stop(),
  }
}

/**
 * Always a local `redis-server` process owned by the caller, for tests that
 * need to take Redis down (`stop()`/`kill()`) and bring it back (`start()`) on
 * the same port. Each start uses a fresh empty directory; nothing persists.
 * @throws when the `redis-server` binary is missing.
 */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const binary = requireBinary('redis-server')
  let dir = await makeTempDir('redis-rig-')
  let first: SpawnedRedis
  try {
    first = await spawnRedis(binary, { dir })
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
  const port = first.port
  let proc: ManagedProcess | null = first.proc
  let dirLive = true

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const current = proc
    proc = null
    if (current !== null) await current.stop(signal)
    if (dirLive) {
      dirLive = false
      await removeTempDir(dir)
    }
  }

  return {
    url: `redis://${LOOPBACK}:${port}`,
    host: LOOPBACK,
    port,
    get pid() {
      return proc?.running ? proc.pid : undefined
    },
    get running() {
      return proc?.running ?? false
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start: async () => {
      if (proc?.running) return
      if (proc !== null) await halt('SIGKILL') // it died on its own; clean up first
      dir = await makeTempDir('redis-rig-')
      dirLive = true
      try {
        proc = (await spawnRedis(binary, { dir, port })).proc
      } catch (err) {
        dirLive = false
        await removeTempDir(dir)
        throw err
      }
    },
  }
}

/**
 * A real 3-master Redis Cluster (with one replica per master when `replicas: 1`) on loopback, built from the
 * local `redis-server` binary, resolved once every node reports
 * `cluster_state:ok`. With `REDIS_CLUSTER_NODES` (comma-separated host:port)
 * set, those nodes are returned instead and `stop()` does nothing.
 * @throws when the binaries are missing or the cluster does not form.
 */
export async function startRedisCluster(options: { replicas?: 0 | 1 } = {}): Promise<RedisClusterService> {
  const replicas = options.replicas ?? 0
  const count = 3 * (1 + replicas)
  const fromEnv = process.env['REDIS_CLUSTER_NODES']
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { nodes: parseNodes(fromEnv), source: 'env', stop: async () => undefined }
  }

  const server = requireBinary('redis-server')
  const cli = requireBinary('redis-cli')
  const dir = await makeTempDir('redis-cluster-rig-')
  const started: ManagedProcess[] = []
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop('SIGTERM')))
    await removeTempDir(dir)
  }

  try {
    const spawned = await Promise.all(
      Array.from({ length: count }, async () => {
        const node = await spawnRedis(server, {
          dir,
          // The cluster bus needs a second port; Redis 7 lets us pick it
          // (the default, port + 10000, may be taken or exceed 65535).
          extraArgs: async (port) => [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `${dir}/nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
            '--cluster-port',
            String(await freePort()),
          ],
        })
        started.push(node.proc)
        return node
      }),
    )
    const nodes = spawned.map(({ port }) => ({ host: LOOPBACK, port }))

    await runChecked(
      cli,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `${n.host}:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeoutMs: 30_000 },
    )
    await Promise.all(
      nodes.map((node) =>
        waitFor(
          async () => {
            const info = String(await redisCommand(node, 'CLUSTER', 'INFO'))
            // All three must agree: state ok alone can be reported while a
            // node has not learned about every peer yet.
            return (
              info.includes('cluster_state:ok') &&
              info.includes('cluster_slots_ok:16384') &&
              info.includes(`cluster_known_nodes:${count}`)
            )
          },
          {
            timeoutMs: 20_000,
            intervalMs: 100,
            what: `cluster node ${node.host}:${node.port} to report cluster_state:ok`,
          },
        ),
      ),
    )
    return { nodes, source: 'process', pids: started.map((p) => p.pid), stop: stopAll }
  } catch (err) {
    const details = started.map((p) => p.describe()).join('\n')
    await stopAll()
    throw new Error(`Redis Cluster failed to start: ${(err as Error).message}\n${details}`, { cause: err })
  }
}

/**
 * Run one command on a Redis node with a throwaway connection that neither
 * retries nor queues, so a dead server fails fast instead of hanging.
 */
export async function redisCommand(
  node: RedisClusterNode,
  command: string,
  ...args: (string | number)[]
): Promise<unknown> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    connectTimeout: 1000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  })
  // Without a listener ioredis reports connection errors as unhandled.
  client.on('error', () => undefined)
  try {
    await client.connect()
    return await client.call(command, ...args)
  } finally {
    client.disconnect()
  }
}

interface SpawnedRedis {
  proc: ManagedProcess
  port: number
}

interface SpawnRedisOptions {
  dir: string
  /** Fixed port (restart); otherwise a free one is picked, retrying on collisions. */
  port?: number
  extraArgs?: (port: number) => Promise<string[]>
}

/** Start redis-server and wait until it answers PING. */
async function spawnRedis(binary: string, options: SpawnRedisOptions): Promise<SpawnedRedis> {
  // freePort() cannot reserve the port, so parallel test workers can race for
  // it; a server that fails with EADDRINUSE is retried on a new port.
  const attempts = options.port === undefined ? 5 : 1
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort())
    const extra = options.extraArgs ? await options.extraArgs(port) : []
    const proc = await ManagedProcess.start({
      command: binary,
      name: `redis-server :${port}`,
      // --save '' and --appendonly no: nothing touches the disk, and a
      // restarted server comes back empty.
      args: [
        '--port',
        String(port),
        '--bind',
        LOOPBACK,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        options.dir,
        ...extra,
      ],
      cwd: options.dir,
      emergencySignal: 'SIGKILL',
    })
    try {
      await waitFor(
        async () => {
          if (!proc.running) throw new GiveUp(`redis-server exited before it was ready`)
          return (await redisCommand({ host: LOOPBACK, port }, 'PING')) === 'PONG'
        },
        { timeoutMs: 15_000, intervalMs: 50, what: `redis-server on ${LOOPBACK}:${port} to answer PING` },
      )
      return { proc, port }
    } catch (err) {
      await proc.stop('SIGKILL')
      if (attempt < attempts && /address already in use/i.test(proc.output())) continue
      throw new Error(`${(err as Error).message}\n${proc.describe()}`, { cause: err })
    }
  }
}

function requireBinary(name: 'redis-server' | 'redis-cli'): string {
  const path = findExecutable(name)
  if (path === null) {
    throw new Error(name === 'redis-server' ? MISSING_BINARY : `${name} is not installed: ${MISSING_BINARY}`)
  }
  return path
}

function parseNodes(list: string): RedisClusterNode[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.lastIndexOf(':')
      const port = Number(entry.slice(colon + 1))
      if (colon <= 0 || !Number.isInteger(port) || port <= 0) {
        throw new Error(`REDIS_CLUSTER_NODES: expected host:port, got "${entry}"`)
      }
      return { host: entry.slice(0, colon), port }
    })
}
