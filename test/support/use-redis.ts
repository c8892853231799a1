import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import type { TieredCache } from '../../src/index.js'
import { type RedisServerProcess, type RedisService, startRedis, startRedisServer } from './redis.js'

/** A real Redis and a client on it for the enclosing suite (started in beforeAll, stopped in afterAll). */
export function useRedis(): () => Redis {
  let service: RedisService | undefined
  let client: Redis | undefined
  beforeAll(async () => {
    service = await startRedis()
    client = new Redis(service.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await service?.stop()
  })
  return () => {
    if (!client) throw new Error('useRedis(): the suite has not started yet')
    return client
  }
}

/**
 * A redis-server of the suite's own (tests may stop and start it) and one client on it, started in beforeAll;
 * in afterAll the caches handed to `track` are closed (their bus connections), then the client and the server.
 */
export function useRedisServer() {
  let server: RedisServerProcess | undefined
  let client: Redis | undefined
  const caches: TieredCache[] = []
  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => {})
  })
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    client?.disconnect()
    await server?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useRedisServer(): the suite has not started yet')
    return value
  }
  return {
    server: () => started(server),
    client: () => started(client),
    track: <C extends TieredCache>(made: C[]): C[] => {
      caches.push(...made)
      return made
    },
  }
}
