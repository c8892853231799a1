import { createHash } from 'node:crypto'
import { isClusterClient, type RedisClientLike, type RedisPipelineLike } from './client.js'

type ScriptArg = string | number | Buffer
type Replies = 'text' | 'bytes'

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server does not have it yet (NOSCRIPT),
 * e.g. after a restart or on a cluster node that never saw it.
 */
export class RedisScript {
  readonly sha: string

  constructor(
    readonly name: string,
    readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex')
  }

  /** Runs it; bulk replies come back as strings, or as Buffers with `replies: 'bytes'` (entries that hold bytes). */
  async run(
    client: RedisClientLike,
    keys: readonly string[],
    args: readonly ScriptArg[],
    replies: Replies = 'text',
  ): Promise<unknown> {
    const bytes = replies === 'bytes'
    try {
      return await (bytes
        ? client.callBuffer('evalsha', this.sha, keys.length, ...keys, ...args)
        : client.evalsha(this.sha, keys.length, ...keys, ...args))
    } catch (error) {
      if (!isNoScript(error)) throw error
      return bytes
        ? client.callBuffer('eval', this.lua, keys.length, ...keys, ...args)
        : client.eval(this.lua, keys.length, ...keys, ...args)
    }
  }

  /**
   * Queues the script in a pipeline by its SHA; on NOSCRIPT the caller loads the scripts and runs the pipeline
   * again.
   */
  queue(
    pipeline: RedisPipelineLike,
    keys: readonly string[],
    args: readonly ScriptArg[],
    replies: Replies = 'text',
  ): void {
    if (replies === 'bytes') pipeline.callBuffer('evalsha', this.sha, keys.length, ...keys, ...args)
    else pipeline.evalsha(this.sha, keys.length, ...keys, ...args)
  }

  /** SCRIPT LOAD on the client, or on every master of a cluster. */
  async load(client: RedisClientLike): Promise<void> {
    const targets = isClusterClient(client) ? client.nodes('master') : [client]
    await Promise.all(targets.map((node) => node.script('LOAD', this.lua)))
  }
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/**
 * Entry format in Redis: `<header JSON>\n<payload>`, header `[epoch, [tags...], expiresAt, format]` (expiresAt:
 * wall-clock ms, for readers that use a plain GET; format: how the payload is encoded; the scripts read only the
 * first two). JSON text never holds a raw newline, so the first `\n` ends the header; the payload may be bytes
 * (Lua strings are binary-safe).
 *
 * Standalone read, one round trip: the entry, the everything-tag and each of the entry's tag epochs are
 * checked inside the script, which deletes stale and corrupt entries. It reads tag keys it derives from the
 * entry, which Redis allows outside cluster mode only; the cluster path uses {@link GET_RAW} and MGET.
 * Replies: {value, pttl} on a hit; otherwise {status, epoch} — status 0 miss, 1 stale (deleted), 2 corrupt
 * (deleted) — where epoch is the current epoch: the snapshot for the write that follows a miss, for free.
 * KEYS[1] data key; ARGV[1] tag-key prefix; ARGV[2] everything-tag key; ARGV[3] epoch key.
 */
export const GET_CHECKED = new RedisScript(
  'get-checked',
  `local v = redis.call('GET', KEYS[1])
if not v then return {0, redis.call('GET', ARGV[3]) or '0'} end
local nl = string.find(v, '\\n', 1, true)
local ok, h = false, nil
if nl then ok, h = pcall(cjson.decode, string.sub(v, 1, nl - 1)) end
if not ok or type(h) ~= 'table' or type(h[1]) ~= 'number' or type(h[2]) ~= 'table' then
  redis.call('DEL', KEYS[1])
  return {2, redis.call('GET', ARGV[3]) or '0'}
end
local epoch = h[1]
local all = redis.call('GET', ARGV[2])
if all and tonumber(all) > epoch then redis.call('DEL', KEYS[1]) return {1, redis.call('GET', ARGV[3]) or '0'} end
for _, t in ipairs(h[2]) do
  local te = redis.call('GET', ARGV[1] .. t)
  if te and tonumber(te) > epoch then redis.call('DEL', KEYS[1]) return {1, redis.call('GET', ARGV[3]) or '0'} end
end
return {v, redis.call('PTTL', KEYS[1])}`,
)

/** Cluster read, first round trip: the raw entry and its PTTL (one key, one slot). Reply nil or {value, pttl}. */
export const GET_RAW = new RedisScript(
  'get-raw',
  `local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}`,
)

/**
 * Deletes an entry only if it still starts with the given header: a stale entry found by the cluster path
 * is removed without racing a fresh write of the same key (a fresh write has a newer epoch, so another header).
 */
export const DELETE_IF_HEADER = new RedisScript(
  'delete-if-header',
  `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
)

/**
 * Standalone write "as of now": reads the epoch and writes the entry in one round trip.
 * KEYS[1] data key, KEYS[2] epoch key; ARGV[1] ttl ms, ARGV[2] the header after the epoch (`[tags...],expiresAt[,format]`),
 * ARGV[3] payload.
 */
export const SET_NOW = new RedisScript(
  'set-now',
  `local e = redis.call('GET', KEYS[2]) or '0'
redis.call('SET', KEYS[1], '[' .. e .. ',' .. ARGV[2] .. ']\\n' .. ARGV[3], 'PX', ARGV[1])
return e`,
)

/**
 * Invalidation: one INCR of the epoch, then every given tag key records it, kept for ARGV[1] ms.
 * All keys share one hash tag, so this is one slot on a cluster. KEYS[1] epoch key, KEYS[2..] tag keys.
 */
export const BUMP_TAGS = new RedisScript(
  'bump-tags',
  `local e = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], e, 'PX', ARGV[1]) end
return e`,
)

/** Deletes a lock only if it still holds this holder's token. KEYS[1] lock key; ARGV[1] token. */
export const RELEASE_LOCK = new RedisScript(
  'release-lock',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
)
