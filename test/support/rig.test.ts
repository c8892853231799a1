/**
 * Self-tests of the service rig: every service really starts, answers real
 * commands, and really goes away (process reaped, port closed) when stopped.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster, Redis } from 'ioredis'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, GiveUp, isPortOpen, waitFor } from './ports.js'
import { isPidAlive, ManagedProcess, runCommand } from './processes.js'
import { startRedis, startRedisCluster, startRedisServer } from './redis.js'
import { createDatabase, psql, startPostgres } from './postgres.js'

/** Cleanups registered by a test, run even when it fails. */
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Run `fn` with an env var temporarily set (or removed with `undefined`). */
async function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[name]
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env[name]
    else process.env[name] = saved
  }
}

function expectGone(pid: number | undefined): void {
  expect(pid).toBeTypeOf('number')
  // Signal 0 only probes; ESRCH means the pid no longer exists (reaped).
  expect(() => process.kill(pid as number, 0)).toThrow()
}

function redisClient(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null })
  client.on('error', () => undefined)
  cleanups.push(async () => client.disconnect())
  return client
}

describe('ports', () => {
  it('freePort returns a bindable loopback port', async () => {
    const port = await freePort()
    expect(port).toBeGreaterThan(1024)
    expect(port).toBeLessThan(65536)
    expect(await isPortOpen(port)).toBe(false)
  })

  it('waitFor retries until success and names what it waited for on timeout', async () => {
    let calls = 0
    await expect(waitFor(() => ++calls >= 3 || false, { what: 'three calls', intervalMs: 1 })).resolves.toBe(true)
    expect(calls).toBe(3)
    await expect(
      waitFor(
        () => {
          throw new Error('still broken')
        },
        { what: 'the unicorn', timeoutMs: 50, intervalMs: 10 },
      ),
    ).rejects.toThrow(/the unicorn: still broken/)
    await expect(
      waitFor(
        () => {
          throw new GiveUp('dead')
        },
        { what: 'x', timeoutMs: 10_000 },
      ),
    ).rejects.toThrow('dead')
  })
})

describe('processes', () => {
  it('stop() escalates to SIGKILL when SIGTERM is ignored, and keeps recent output', async () => {
    const proc = await ManagedProcess.start({
      command: process.execPath,
      args: [
        '-e',
        "process.on('SIGTERM', () => console.log('ignoring TERM')); console.log('hello'); setInterval(() => {}, 1000)",
      ],
      name: 'stubborn',
    })
    await waitFor(() => proc.output().includes('hello'), { what: 'hello', timeoutMs: 5000 })
    const exit = await proc.stop('SIGTERM', 300)
    expect(exit.signal).toBe('SIGKILL')
    expect(proc.running).toBe(false)
    expect(isPidAlive(proc.pid)).toBe(false)
    expect(proc.output()).toContain('ignoring TERM')
  })

  it('reports a missing executable', async () => {
    await expect(ManagedProcess.start({ command: 'definitely-not-a-command-xyz' })).rejects.toThrow(
      /definitely-not-a-command-xyz/,
    )
  })

  it('runCommand collects complete output', async () => {
    const result = await runCommand(process.execPath, [
      '-e',
      "process.stdout.write('x'.repeat(200000)); process.exitCode = 3",
    ])
    expect(result.code).toBe(3)
    expect(result.stdout).toHaveLength(200_000)
  })
})

describe('redis', () => {
  it('startRedis gives a working server that stop() really removes', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const client = redisClient(redis.port)
    expect(await client.ping()).toBe('PONG')
    const key = `rig:${process.pid}:${Date.now()}`
    await client.set(key, 'value')
    expect(await client.get(key)).toBe('value')
    client.disconnect()

    await redis.stop()
    if (redis.source === 'process') {
      expectGone(redis.pid)
      expect(await isPortOpen(redis.port)).toBe(false)
    }
  })

  it('startRedisServer can be stopped and started again on the same port, empty', async () => {
    const server = await startRedisServer()
    cleanups.push(() => server.stop())
    const firstPid = server.pid
    const before = redisClient(server.port)
    await before.set('survives', 'no')
    expect(await before.get('survives')).toBe('no')
    before.disconnect()

    await server.stop()
    expect(server.running).toBe(false)
    expect(server.pid).toBeUndefined()
    expectGone(firstPid)
    expect(await isPortOpen(server.port)).toBe(false)
    await server.stop() // idempotent

    await server.start()
    expect(server.running).toBe(true)
    expect(server.pid).not.toBe(firstPid)
    const after = redisClient(server.port)
    expect(await after.get('survives')).toBeNull()
    expect(await after.dbsize()).toBe(0)
    after.disconnect()

    const secondPid = server.pid
    await server.kill()
    expectGone(secondPid)
    expect(await isPortOpen(server.port)).toBe(false)

    await server.start()
    expect(await redisClient(server.port).ping()).toBe('PONG')
  })

  it('REDIS_URL is used as is, with a no-op stop', async () => {
    const server = await startRedisServer()
    cleanups.push(() => server.stop())
    await withEnv('REDIS_URL', server.url, async () => {
      const external = await startRedis()
      expect(external).toMatchObject({ source: 'env', url: server.url, host: '127.0.0.1', port: server.port })
      await external.stop()
    })
    expect(server.running).toBe(true)
    expect(await isPortOpen(server.port)).toBe(true)
  })

  it('names the Debian package when redis-server is missing', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'rig-empty-path-'))
    cleanups.push(() => rm(emptyDir, { recursive: true, force: true }))
    await withEnv('PATH', emptyDir, async () => {
      await expect(startRedisServer()).rejects.toThrow(/apt-get install -y redis-server/)
    })
  })
})

describe('redis cluster', () => {
  it('startRedisCluster gives 3 masters that share 100 keys', async () => {
    const cluster = await startRedisCluster()
    cleanups.push(() => cluster.stop())
    expect(cluster.nodes).toHaveLength(3)

    const client = new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port })))
    client.on('error', () => undefined)
    cleanups.push(async () => client.disconnect())
    const keys = Array.from({ length: 100 }, (_, i) => `rig:cluster:${i}`)
    for (const key of keys) await client.set(key, `v-${key}`)
    for (const key of keys) expect(await client.get(key)).toBe(`v-${key}`)

    const masters = client.nodes('master')
    expect(masters).toHaveLength(3)
    const sizes = await Promise.all(masters.map((node) => node.dbsize()))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100)
    for (const size of sizes) expect(size).toBeGreaterThan(0)
    client.disconnect()

    await cluster.stop()
    if (cluster.source === 'process') {
      expect(cluster.pids).toHaveLength(3)
      for (const pid of cluster.pids ?? []) expectGone(pid)
      for (const node of cluster.nodes) expect(await isPortOpen(node.port)).toBe(false)
    }
  })

  it('REDIS_CLUSTER_NODES is used as is', async () => {
    await withEnv('REDIS_CLUSTER_NODES', '127.0.0.1:7000, 127.0.0.1:7001', async () => {
      const cluster = await startRedisCluster()
      expect(cluster.source).toBe('env')
      expect(cluster.nodes).toEqual([
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ])
      await cluster.stop()
    })
  })
})

describe('postgres', () => {
  it('startPostgres gives a working database that stop() really removes', async () => {
    const pg = await startPostgres()
    cleanups.push(() => pg.stop())
    expect(pg.url).toMatch(/^postgres(ql)?:\/\//)
    expect(await psql(pg, 'select 1')).toBe('1')
    await psql(pg, 'create table rig_probe (id int primary key, name text)')
    await psql(pg, "insert into rig_probe values (1, 'one'), (2, 'two')")
    expect(await psql(pg, 'select name from rig_probe order by id')).toBe('one\ntwo')

    const otherUrl = await createDatabase(pg, 'rig_other')
    if (pg.source !== 'env') {
      expect(otherUrl).not.toBe(pg.url)
      expect(await psql(otherUrl, 'select current_database()')).toBe('rig_other')
      // A separate database: the table above is not there.
      expect(await psql(otherUrl, "select count(*) from pg_tables where tablename = 'rig_probe'")).toBe('0')
    }

    await pg.stop()
    if (pg.source === 'process') {
      expectGone(pg.pid)
      expect(await isPortOpen(Number(new URL(pg.url).port))).toBe(false)
    }
  })

  it('DATABASE_URL is used as is and must be a postgres URL', async () => {
    await withEnv('DATABASE_URL', 'postgresql://u@127.0.0.1:1/db', async () => {
      const pg = await startPostgres()
      expect(pg).toMatchObject({ source: 'env', url: 'postgresql://u@127.0.0.1:1/db' })
      expect(await createDatabase(pg, 'whatever')).toBe(pg.url)
      await pg.stop()
    })
    await withEnv('DATABASE_URL', 'mysql://u@127.0.0.1/db', async () => {
      await expect(startPostgres()).rejects.toThrow(/postgres/)
    })
  })
})
