import type { RedisClientLike, RedisCommandsLike } from '../../src/cache/redis/client.js'
import { escapeGlob } from '../../src/cache/pattern.js'
import { eventually } from './eventually.js'

/**
 * Time passing for Redis's own expiry, without waiting for it: every key under `prefix` that has a TTL gets `ms`
 * less to live (PEXPIRE); those whose time is up get 1 ms, and this resolves once Redis has expired them (polled).
 * A key without a TTL, or with more than `ms` left, stays: a test that expects it gone still fails.
 * On a cluster, each master's keys are scanned and changed on that master.
 */
export async function advanceRedisTtls(client: RedisClientLike, prefix: string, ms: number): Promise<void> {
  const nodes: RedisCommandsLike[] = 'nodes' in client && client.isCluster ? client.nodes('master') : [client]
  await Promise.all(nodes.map((node) => advanceNode(node, `${escapeGlob(prefix)}*`, ms)))
}

async function advanceNode(node: RedisCommandsLike, match: string, ms: number): Promise<void> {
  const expiring: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000)
    cursor = next
    const left = (await replies(node, keys, (key) => ['PTTL', key])) as number[]
    const changed = keys.flatMap((key, i) => {
      const ttl = left[i]!
      if (ttl < 0) return [] // -1: no TTL (it must stay), -2: gone already
      if (ttl <= ms) expiring.push(key)
      return [[key, Math.max(1, ttl - ms)] as const]
    })
    await replies(node, changed, ([key, rest]) => ['PEXPIRE', key, rest])
  } while (cursor !== '0')
  await eventually(
    async () => (await replies(node, expiring, (key) => ['EXISTS', key])).every((n) => n === 0),
    `${expiring.length} keys to expire`,
  )
}

/** One command per item, in one pipeline; the replies in order (a failed command throws). */
async function replies<T>(
  node: RedisCommandsLike,
  items: readonly T[],
  command: (item: T) => [string, ...(string | number)[]],
): Promise<unknown[]> {
  if (items.length === 0) return []
  const pipeline = node.pipeline()
  for (const item of items) {
    const [name, ...args] = command(item)
    pipeline.callBuffer(name, ...args)
  }
  const results = (await pipeline.exec()) ?? []
  return results.map(([error, reply]) => {
    if (error) throw error
    return reply
  })
}
