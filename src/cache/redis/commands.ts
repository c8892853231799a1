import slotOf from 'cluster-key-slot'
import { CacheTimeoutError, CacheUnavailableError } from '../errors.js'
import { isClusterClient, type RedisClientLike, type RedisNodeLike, type RedisPipelineLike } from './client.js'
import { GET_CHECKED, GET_RAW, isNoScript, type RedisScript, SET_NOW } from './scripts.js'

export interface RedisCommandsOptions {
  /** Longest wait for one round trip; past it, CacheTimeoutError. */
  timeoutMs: number
  /** SCAN COUNT hint. */
  scanCount: number
  /** Commands per pipeline, keys per UNLINK. */
  batchSize: number
}

/** The scripts a pipeline may run: loaded again when the server lost them (NOSCRIPT). */
const PIPELINED_SCRIPTS: readonly RedisScript[] = [GET_CHECKED, GET_RAW, SET_NOW]

/**
 * How RedisCache reaches Redis, standalone or Cluster, knowing nothing of entries: every round trip bounded by
 * the operation timeout (and failed at once while the client is reconnecting), per-key commands pipelined per
 * node in chunks, SCAN on every master (never KEYS), UNLINK in batches.
 */
export class RedisCommands {
  readonly cluster: boolean

  constructor(
    readonly client: RedisClientLike,
    readonly options: RedisCommandsOptions,
  ) {
    this.cluster = isClusterClient(client)
  }

  /** `promise` (a command sent on this client), bounded by the operation timeout. */
  withTimeout<T>(operation: string, promise: Promise<T>): Promise<T> {
    // A client that lost its connection queues commands until it is back: fail at once rather than wait the
    // timeout for an answer that cannot come (the command's own late outcome is ignored, as after a timeout).
    if (LOST_CONNECTION.has(this.client.status)) {
      promise.catch(() => undefined)
      return Promise.reject(new CacheUnavailableError(`redis ${operation}`, this.client.status))
    }
    // One promise and one timer per round trip (this is on every cache read): settles with the operation,
    // or rejects at the deadline; a late outcome of the operation is then ignored (no unhandled rejection).
    const timeoutMs = this.options.timeoutMs
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CacheTimeoutError(`redis ${operation}`, timeoutMs)), timeoutMs)
      promise.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  /**
   * Runs one command per key (`keys` as stored in Redis) in pipelines: one pipeline on a standalone server, one
   * per master on a cluster (keys grouped by the node that serves their slot). Loads the scripts and retries
   * once on NOSCRIPT. Resolves to the replies in key order; throws the first command error.
   */
  async pipelined(
    keys: readonly string[],
    queue: (pipeline: RedisPipelineLike, index: number) => void,
  ): Promise<unknown[]> {
    const replies: unknown[] = new Array(keys.length)
    const runChunk = async (indexes: number[]) => {
      const run = async () => {
        const pipeline = this.client.pipeline()
        for (const index of indexes) queue(pipeline, index)
        return (await this.withTimeout('pipeline', pipeline.exec())) ?? []
      }
      let results = await run()
      if (results.some(([error]) => isNoScript(error))) {
        await Promise.all(PIPELINED_SCRIPTS.map((script) => script.load(this.client)))
        results = await run()
      }
      results.forEach(([error, reply], i) => {
        if (error) throw error
        replies[indexes[i]!] = reply
      })
    }
    // Nodes in parallel; within a node, one chunk after the other, so the operation timeout bounds each
    // round trip rather than the whole batch queued behind it.
    await Promise.all(
      this.#groupByNode(keys).map(async (group) => {
        for (const indexes of chunk(group, this.options.batchSize)) await runChunk(indexes)
      }),
    )
    return replies
  }

  /** The client itself standalone; every master of a cluster. */
  masters(): RedisNodeLike[] {
    return isClusterClient(this.client) ? this.client.nodes('master') : [this.client]
  }

  /** SCAN MATCH on every master (never KEYS), handing each page of keys to `onKeys`. */
  async scan(match: string, onKeys: (node: RedisNodeLike, keys: string[]) => Promise<void>): Promise<void> {
    await Promise.all(
      this.masters().map(async (node) => {
        let cursor = '0'
        do {
          const [next, keys] = await this.withTimeout(
            'scan',
            node.scan(cursor, 'MATCH', match, 'COUNT', this.options.scanCount),
          )
          cursor = next
          if (keys.length > 0) await onKeys(node, keys)
        } while (cursor !== '0')
      }),
    )
  }

  /** UNLINKs every key matching `match` (SCAN, then batches per node); resolves to how many were removed. */
  async scanUnlink(match: string): Promise<number> {
    let removed = 0
    const batchSize = this.options.batchSize
    await this.scan(match, async (node, keys) => {
      for (let i = 0; i < keys.length; i += batchSize) {
        // Not `removed += await ...`: that reads `removed` before the await and loses the other nodes' counts.
        const count = await this.#unlinkOn(node, keys.slice(i, i + batchSize))
        removed += count
      }
    })
    return removed
  }

  /** UNLINKs these keys (one command standalone; one per key on a cluster, where they may span slots). */
  async unlink(keys: string[]): Promise<void> {
    if (this.cluster) await Promise.all(keys.map((key) => this.client.unlink(key)))
    else await this.client.unlink(...keys)
  }

  /**
   * UNLINK a batch on one node: one multi-key UNLINK standalone; single-key UNLINKs pipelined on a cluster (keys of
   * one node can span slots).
   */
  async #unlinkOn(node: RedisNodeLike, keys: string[]): Promise<number> {
    if (!this.cluster) return this.withTimeout('unlink', node.unlink(...keys))
    const pipeline = node.pipeline()
    for (const key of keys) pipeline.unlink(key)
    const results = (await this.withTimeout('unlink', pipeline.exec())) ?? []
    return results.reduce((sum, [error, count]) => sum + (error ? 0 : Number(count)), 0)
  }

  #groupByNode(keys: readonly string[]): number[][] {
    const cluster = this.client
    if (!isClusterClient(cluster)) return keys.length === 0 ? [] : [keys.map((_, i) => i)]
    const groups = new Map<string, number[]>()
    keys.forEach((key, index) => {
      const slot = slotOf(key)
      const node = cluster.slots[slot]?.[0] ?? `slot:${slot}`
      const group = groups.get(node)
      if (group) group.push(index)
      else groups.set(node, [index])
    })
    return [...groups.values()]
  }
}

/**
 * Client states after a connection was lost (not the first connect, whose commands are worth waiting for): a
 * command then waits in the client's offline queue until it reconnects.
 */
const LOST_CONNECTION = new Set(['reconnecting', 'close', 'end'])

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
