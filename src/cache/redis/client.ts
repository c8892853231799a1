/**
 * What RedisCache and RedisBus need of a Redis client, described by shape rather than by class.
 *
 * The application brings its own client: ioredis 5 or 6 (whichever copy its node_modules holds, not
 * necessarily ours), or a fork with the same API such as iovalkey; standalone or Cluster. `instanceof` against
 * our copy of ioredis rejected all but one of those, and a declared type from one ioredis major rejected the
 * other's clients at compile time. So the types below name only the calls made here, with the replies these
 * clients give in their default (RESP2) mode, and {@link asRedisClient} checks the same list at run time.
 */

/** A listener as passed to `on`/`once`; the arguments depend on the event. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the listener type of Node's EventEmitter, which every client uses
type Listener = (...args: any[]) => void

/** A pipeline (or a node's pipeline on a cluster): commands queued, sent together by `exec`. */
export interface RedisPipelineLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number | Buffer)[]): unknown
  /** Any command, with bulk replies as Buffers (entries may hold bytes that are not UTF-8). */
  callBuffer(command: string, ...args: (string | number | Buffer)[]): unknown
  set(key: string, value: string | Buffer, px: 'PX', ms: number): unknown
  unlink(key: string): unknown
  exec(): Promise<[Error | null, unknown][] | null>
}

/** The commands and events used on any client, standalone or cluster. */
export interface RedisCommandsLike {
  readonly status: string
  get(key: string): Promise<string | null>
  /** The `*Buffer` variants answer bulk replies as Buffers: entries may hold bytes that are not UTF-8. */
  getBuffer(key: string): Promise<Buffer | null>
  set(key: string, value: string | Buffer, px: 'PX', ms: number): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>
  mget(keys: string[]): Promise<(string | null)[]>
  mgetBuffer(keys: string[]): Promise<(Buffer | null)[]>
  del(key: string): Promise<number>
  unlink(...keys: string[]): Promise<number>
  evalsha(sha: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown>
  eval(script: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown>
  /** Any command, with bulk replies as Buffers (EVALSHA of a script that returns an entry). */
  callBuffer(command: string, ...args: (string | number | Buffer)[]): Promise<unknown>
  script(subcommand: 'LOAD', script: string): Promise<unknown>
  ping(): Promise<unknown>
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>
  publish(channel: string, message: string): Promise<unknown>
  subscribe(channel: string): Promise<unknown>
  pipeline(): RedisPipelineLike
  quit(): Promise<unknown>
  /** `reconnect`: drop the socket and connect again (ioredis); otherwise close it for good. */
  disconnect(reconnect?: boolean): void
  on(event: string, listener: Listener): unknown
  once(event: string, listener: Listener): unknown
}

/** A standalone (or Sentinel) connection, as ioredis's `Redis`. */
export interface RedisNodeLike extends RedisCommandsLike {
  readonly isCluster?: boolean
  readonly options: { readonly sentinels?: unknown; readonly role?: string }
  duplicate(options?: { autoResubscribe?: boolean }): RedisNodeLike
}

/** A cluster client, as ioredis's `Cluster`: it says so with `isCluster` (true). */
export interface RedisClusterLike extends RedisCommandsLike {
  readonly isCluster: boolean
  readonly options: { readonly scaleReads?: unknown }
  /** Per slot, the addresses serving it, master first. */
  readonly slots: readonly (readonly string[])[]
  nodes(role: 'master'): RedisNodeLike[]
  duplicate(): RedisClusterLike
}

/** A client RedisCache and RedisBus accept: ioredis 5 or 6, iovalkey, or anything with the same calls. */
export type RedisClientLike = RedisNodeLike | RedisClusterLike

const COMMANDS = [
  'get',
  'getBuffer',
  'set',
  'mget',
  'mgetBuffer',
  'del',
  'unlink',
  'evalsha',
  'eval',
  'callBuffer',
  'script',
  'ping',
  'scan',
  'publish',
  'subscribe',
  'pipeline',
  'quit',
  'disconnect',
  'on',
  'once',
  'duplicate',
] as const

export function isClusterClient(client: RedisClientLike): client is RedisClusterLike {
  return client.isCluster === true && 'nodes' in client
}

/**
 * The client, checked by what it can do; a TypeError naming what is missing otherwise (before anything is sent).
 * `who` names the caller in the message (`RedisCache`, `RedisBus`).
 */
export function asRedisClient(client: unknown, who: string): RedisClientLike {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(
      `${who}: \`client\` must be a Redis client (ioredis 5 or 6, iovalkey; standalone or Cluster), got ${describe(client)}`,
    )
  }
  const candidate = client as Record<string, unknown>
  const missing: string[] = COMMANDS.filter((name) => typeof candidate[name] !== 'function')
  if (candidate.isCluster === true && typeof candidate.nodes !== 'function') missing.push('nodes')
  if (missing.length > 0) {
    throw new TypeError(
      `${who}: \`client\` must be a Redis client (ioredis 5 or 6, iovalkey; standalone or Cluster); ` +
        `this ${describe(client)} has no ${missing.join(', ')}`,
    )
  }
  return client as RedisClientLike
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' ? name : 'object'
}

/** Closings under way, so that two owners closing one client (a RedisCache and its bus) share one QUIT. */
const closing = new WeakMap<RedisClientLike, Promise<void>>()

/**
 * QUIT (pending replies first), or drop the socket when that fails. Idempotent and shared: a second QUIT on a
 * closing connection fails, and ioredis's disconnect() after the socket has closed leaves a 2 s timer that keeps
 * the process alive, so each client is closed once.
 */
export function closeClient(client: RedisClientLike, timeoutMs: number): Promise<void> {
  const pending = closing.get(client)
  if (pending !== undefined) return pending
  if (client.status === 'end') return Promise.resolve()
  const closed = (async () => {
    let timer: NodeJS.Timeout | undefined
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()))
    try {
      await Promise.race([
        client.quit().then(() => ended),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('QUIT timed out')), timeoutMs)
        }),
      ])
    } catch {
      if (client.status !== 'end') client.disconnect()
    } finally {
      clearTimeout(timer)
    }
  })()
  closing.set(client, closed)
  return closed
}
