import type { Redis } from 'ioredis'

/** Removes the keys matching each pattern (SCAN + UNLINK, never KEYS); answers how many. */
export async function removeKeys(client: Redis, patterns: readonly string[]): Promise<number> {
  let removed = 0
  for (const pattern of patterns) {
    let cursor = '0'
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      if (found.length > 0) removed += await client.unlink(...found)
    } while (cursor !== '0')
  }
  return removed
}
