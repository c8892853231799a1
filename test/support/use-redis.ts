import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { type RedisService, startRedis } from './redis.js'

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
