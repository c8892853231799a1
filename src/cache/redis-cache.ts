import { randomBytes } from 'node:crypto'
import type {
  CacheCapabilities,
  CacheEntry,
  CacheLock,
  CacheSnapshot,
  CloseOptions,
  Lookup,
  LookupOptions,
  NumberedInvalidations,
  Peeked,
  SetManyItem,
  SetOptions,
} from './backend.js'
import { BaseCache, validateTtl } from './base-cache.js'
import { RedisBus } from './redis/redis-bus.js'
import type { InvalidationBus } from './coherence/bus-port.js'
import { type KeyLike, keyText } from './key.js'
import { KeyPattern } from './pattern.js'
import { encodedSizeOverBySample } from './size-bound.js'
import { asRedisClient, closeClient, isClusterClient, type RedisClientLike } from './redis/client.js'
import { RedisCommands } from './redis/commands.js'
import { connectRedis } from './redis/connect.js'
import { type EntryHeader, headerPrefix, isStaleEntry, parseHeader } from './redis/entry.js'
import { EntryCodec } from './redis/entry-codec.js'
import { RedisKeyspace } from './redis/keyspace.js'
import { BUMP_TAGS, DELETE_IF_HEADER, GET_CHECKED, GET_RAW, RELEASE_LOCK, SET_NOW } from './redis/scripts.js'
import { defaultSerializer } from './msgpack-serializer.js'
import type { Serializer } from './serializer.js'
import { type CacheStats, type LatencyHistogram, StatsRecorder } from './stats.js'
import { type TagLike, tagTexts } from './tag.js'

export interface RedisCacheOptions {
  /**
   * Your Redis client: ioredis 5 or 6 `Redis` or `Cluster` (your copy), or iovalkey. It stays yours: `close()`
   * leaves it open unless asked (`close({ clients: true })`). Either this or `url`.
   */
  client?: RedisClientLike
  /** `redis://host:port/db`: RedisCache opens (with your ioredis) and on close quits its own connection. */
  url?: string
  /** Namespace of every key, without `{` or `}`. Default `ptc:`. */
  prefix?: string
  /** For a connection opened from `url`. Default 2,000 ms. */
  connectTimeoutMs?: number
  /** Longest wait for any one cache operation; past it the operation fails with CacheTimeoutError. Default 500 ms. */
  operationTimeoutMs?: number
  /** Upper bound of entry TTLs in seconds; tag epochs are kept 2 × maxTtl. Default 86,400. */
  maxTtl?: number
  /** Largest serialized entry stored, in bytes; larger values are skipped and counted. Default 4 MiB. */
  maxEntryBytes?: number
  /**
   * How values are encoded. Default: MessagePack (`msgpackSerializer`, bytes); `superjsonSerializer` (text),
   * or your own. Entries name their format, so any RedisCache reads entries written in the built-in formats
   * and its own, and takes others as misses (a rolling deploy that changes serializer never reads garbage).
   */
  serializer?: Serializer
  /**
   * Compress serialized values larger than this many bytes (deflate). Default: never (compressed values are read
   * either way).
   */
  compressAbove?: number
  /** SCAN COUNT hint for pattern invalidation, clear and size. Default 1,000. */
  scanCount?: number
  /** Keys deleted per pipeline during pattern invalidation and tags per invalidation script. Default 500. */
  batchSize?: number
  /** Name in stats. Default `redis`. */
  name?: string
}

export interface RedisHealth {
  ok: boolean
  mode: 'standalone' | 'cluster'
  /** The client's connection status (`ready`, `connecting`, `reconnecting`, `end`...). */
  status: string
  latencyMs?: number
  error?: string
}

/** Beyond this many expected tags a lookup runs the read script (an MGET that long is no cheaper). */
const MAX_EXPECTED_TAGS = 64

class RedisSnapshot implements CacheSnapshot {
  constructor(
    readonly owner: RedisCache,
    readonly epoch: string,
    readonly takenAt: number,
  ) {}

  get version(): string {
    return this.epoch
  }
}

/** One entry as read from Redis (bytes: the payload need not be text), before the tag check (cluster) and decoding. */
interface RawEntry {
  key: string
  data: Buffer
  pttl: number
}

/**
 * The shared tier: entries in Redis (standalone or Cluster), versioned tags (see docs/design.md), SCAN-based
 * pattern invalidation (never KEYS), a timeout on every operation, corrupt entries read as misses.
 */
export class RedisCache extends BaseCache implements NumberedInvalidations {
  readonly name: string
  readonly client: RedisClientLike
  readonly keyspace: RedisKeyspace
  readonly #owned: boolean
  /** The client behind the operation timeout, with pipelines per node, SCAN and UNLINK in batches. */
  readonly #redis: RedisCommands
  readonly #codec: EntryCodec
  readonly maxTtl: number
  readonly capabilities: CacheCapabilities = {
    remote: true,
    snapshots: true,
    patterns: true,
    batch: true,
    numbered: true,
  }
  readonly #maxEntryBytes: number
  /** The default serializer, uncompressed: a lower bound of its size can refuse a value before encoding it. */
  readonly #boundBeforeEncoding: boolean
  readonly #stats: StatsRecorder

  constructor(options: RedisCacheOptions) {
    super()
    if ((options.client === undefined) === (options.url === undefined))
      throw new TypeError('RedisCache: pass exactly one of `client` (your Redis client) or `url`')
    this.name = options.name ?? 'redis'
    this.keyspace = new RedisKeyspace(options.prefix ?? 'ptc:')
    const timeoutMs = positive(options.operationTimeoutMs ?? 500, 'operationTimeoutMs')
    this.maxTtl = options.maxTtl ?? 86_400
    validateTtl(this.maxTtl, 'RedisCache maxTtl')
    this.#maxEntryBytes = positive(options.maxEntryBytes ?? 4 * 1024 * 1024, 'maxEntryBytes')
    const scanCount = positive(options.scanCount ?? 1000, 'scanCount')
    const batchSize = positive(options.batchSize ?? 500, 'batchSize')
    const compressAbove = options.compressAbove ?? Number.POSITIVE_INFINITY
    if (Number.isNaN(compressAbove) || compressAbove < 0)
      throw new RangeError(`RedisCache: compressAbove must be a number of bytes >= 0, got ${compressAbove}`)
    // Always able to read compressed values (another instance may compress); writes compress only when asked.
    this.#codec = new EntryCodec(options.serializer ?? defaultSerializer, compressAbove)
    const serializer = options.serializer ?? defaultSerializer
    this.#boundBeforeEncoding = serializer === defaultSerializer && compressAbove === Number.POSITIVE_INFINITY
    this.#stats = new StatsRecorder(this.name)
    const connectTimeoutMs = positive(options.connectTimeoutMs ?? 2000, 'connectTimeoutMs')
    this.client =
      options.client !== undefined
        ? asRedisClient(options.client, 'RedisCache')
        : connectRedis(options.url as string, 'RedisCache', connectTimeoutMs)
    this.#owned = options.client === undefined
    this.#redis = new RedisCommands(this.client, { timeoutMs, scanCount, batchSize })
    // A replica answers reads before it has applied what its master acknowledged: an invalidation that completed
    // would not be seen by the tag check, and a stale entry would be served.
    const replicaReads = readsFrom(this.client)
    if (replicaReads !== 'master') {
      if (this.#owned) this.client.disconnect()
      throw new TypeError(
        `RedisCache: the client reads from replicas (${replicaReads}); replicas lag their master, so the tag check could ` +
          'miss a completed invalidation. Give RedisCache a client that reads from masters (the default)',
      )
    }
  }

  async get<T = unknown>(key: KeyLike): Promise<CacheEntry<T> | undefined> {
    return (await this.lookup<T>(key)).entry
  }

  /**
   * One round trip: with `expectedTags`, the entry with the epoch and the expected tags' epochs (standalone: one
   * MGET; cluster: a GET and an MGET of the tag slot at once); else, on a standalone server, the read script. Each
   * returns the epoch on a miss: the snapshot for the write that follows. A cluster without expected tags: the
   * entry, then its tags, in parallel with the epoch.
   */
  override async lookup<T = unknown>(key: KeyLike, options?: LookupOptions): Promise<Lookup<T>> {
    const text = keyText(key)
    const expected = options?.expectedTags
    if (expected !== undefined && expected.length <= MAX_EXPECTED_TAGS) {
      const judged = await this.#lookupExpecting<T>(text, expected)
      if (judged !== undefined) return judged
    }
    if (this.#redis.cluster) {
      const [[entry], snapshot] = await Promise.all([this.getMany<T>([text]), this.snapshot()])
      return entry !== undefined ? { entry } : { snapshot }
    }
    const reply = await this.#timed(this.#stats.read, () =>
      this.#redis.withTimeout(
        'get',
        GET_CHECKED.run(
          this.client,
          [this.keyspace.data(text)],
          [this.keyspace.tagPrefix, this.keyspace.all, this.keyspace.epoch],
          'bytes',
        ),
      ),
    )
    const raw = this.#checkedReply(text, reply)
    const entry = raw === undefined ? this.#miss() : this.#decode<T>(raw)
    if (entry !== undefined) return { entry }
    const epoch = Array.isArray(reply) && typeof reply[0] === 'number' ? String(reply[1]) : undefined
    return { snapshot: epoch === undefined ? await this.snapshot() : new RedisSnapshot(this, epoch, performance.now()) }
  }

  /**
   * The entry, the everything-tag, the epoch and the expected tags' epochs, judged here. Standalone: one MGET,
   * atomic like the script. Cluster: a GET of the entry and an MGET of the tag slot, sent at once; whichever runs
   * first, the answer is the entry as of the tag read or a later write (an invalidation never changes an entry,
   * and a later write is judged by its own newer epoch), so the read takes effect at the tag read. Undefined
   * when it cannot judge: the entry carries a tag that was not expected, or is corrupt or has no expiresAt (the
   * checked read then handles it, and removes it if corrupt).
   */
  async #lookupExpecting<T>(text: string, expected: readonly string[]): Promise<Lookup<T> | undefined> {
    const data = this.keyspace.data(text)
    const keys = [this.keyspace.all, this.keyspace.epoch]
    for (const tag of expected) keys.push(this.keyspace.tag(tag))
    // The entry as bytes; the epochs as text (Number() of a Buffer is NaN, which would pass every staleness test).
    const read: Promise<[Buffer | null, (string | null)[]]> = this.#redis.cluster
      ? Promise.all([this.client.getBuffer(data), this.client.mget(keys)])
      : this.client
          .mgetBuffer([data, ...keys])
          .then(([entry, ...epochs]) => [entry ?? null, epochs.map((e) => (e === null ? null : e.toString()))])
    const [stored, epochs] = await this.#timed(this.#stats.read, () => this.#redis.withTimeout('get', read))
    const [everything, epoch] = epochs
    const miss = () => ({ snapshot: this.snapshotAt(Number(epoch ?? 0)) })
    if (stored === null) {
      this.#miss()
      return miss()
    }
    const header = parseHeader(stored)
    if (header?.expiresAt === undefined || !header.tags.every((tag) => expected.includes(tag))) return undefined
    if (isStaleEntry(header, everything, (tag) => epochs[2 + expected.indexOf(tag)])) {
      this.#stats.count('staleByTag')
      this.#miss()
      // As the script would: remove it, unless a newer write replaced it meanwhile (another header).
      DELETE_IF_HEADER.run(this.client, [data], [headerPrefix(stored)]).catch(() => {})
      return miss()
    }
    const entry = this.#decode<T>({ key: text, data: stored, pttl: header.expiresAt - Date.now() }, header)
    return entry === undefined ? miss() : { entry }
  }

  override async getMany<T = unknown>(keys: readonly KeyLike[]): Promise<Array<CacheEntry<T> | undefined>> {
    const texts = keys.map(keyText)
    return this.#timed(this.#stats.read, async () => {
      const raws = this.#redis.cluster ? await this.#readCluster(texts) : await this.#readStandalone(texts)
      return raws.map((raw) => (raw === undefined ? this.#miss() : this.#decode<T>(raw)))
    })
  }

  async set(key: KeyLike, value: unknown, options: SetOptions): Promise<void> {
    await this.setMany([{ key, value, options }])
  }

  override async setMany(items: readonly SetManyItem[]): Promise<void> {
    // Validate and serialize everything before writing anything.
    const writes: PendingWrite[] = []
    const stale: string[] = []
    for (const item of items) {
      const key = keyText(item.key)
      const ttlMs = validateTtl(item.options.ttl, `RedisCache.set(${key})`, this.maxTtl)
      // expiresAt (wall clock, ms) lets a plain GET tell the entry's TTL (see peek); instances' clocks only need to
      // agree to a few ms for the L1 TTL and the swr window it feeds.
      const epoch = this.#snapshotEpoch(item.options.snapshot)
      if (epoch === null) {
        stale.push(key)
        continue
      }
      const refuse = () => {
        this.#stats.count('rejectedTooLarge')
        item.options.onTooLarge?.(this.name)
        stale.push(key)
      }
      // Too large found out before serializing it all, where a sample of a long array's rows can tell.
      if (this.#boundBeforeEncoding && encodedSizeOverBySample(item.value, this.#maxEntryBytes)) {
        refuse()
        continue
      }
      const tagsAndExpiry = `${JSON.stringify(tagTexts(item.options.tags))},${Date.now() + ttlMs}`
      const restOf = (format: string | undefined) =>
        format === undefined ? tagsAndExpiry : `${tagsAndExpiry},${JSON.stringify(format)}`
      // With the epoch known (a snapshot's), the whole entry is encoded at once; otherwise the payload alone.
      const header = epoch === undefined ? undefined : (format: string | undefined) => `[${epoch},${restOf(format)}]\n`
      const { format, payload, size, encoded } = this.#codec.encode(item.value, header)
      if (size > this.#maxEntryBytes) {
        refuse()
        continue
      }
      item.options.onEncoded?.(encoded)
      writes.push(epoch === undefined ? { key, ttlMs, payload, rest: restOf(format) } : { key, ttlMs, entry: payload })
    }
    await this.#timed(this.#stats.write, async () => {
      // A value we refuse to store must not leave the previous (older) value behind.
      if (stale.length > 0)
        await this.#redis.withTimeout('delete', this.#redis.unlink(stale.map((key) => this.keyspace.data(key))))
      if (writes.length === 0) return
      // A cluster frames entries under the epoch read first (SET_NOW's keys would span slots).
      let current: string | undefined
      if (this.#redis.cluster && writes.some((w) => !('entry' in w)))
        current = (await this.#redis.withTimeout('snapshot', this.client.get(this.keyspace.epoch))) ?? '0'
      const single = writes.length === 1 ? writes[0]! : undefined
      if (single !== undefined) {
        // One entry (every read-through fill): a plain command, without a pipeline's bookkeeping.
        const data = this.keyspace.data(single.key)
        await this.#redis.withTimeout(
          'set',
          'entry' in single || current !== undefined
            ? this.client.set(data, storedEntry(single, current), 'PX', single.ttlMs)
            : SET_NOW.run(this.client, [data, this.keyspace.epoch], [single.ttlMs, single.rest, single.payload]),
        )
      } else {
        const dataKeys = writes.map((w) => this.keyspace.data(w.key))
        await this.#redis.pipelined(dataKeys, (pipeline, index) => {
          const w = writes[index]!
          const data = dataKeys[index]!
          if ('entry' in w || current !== undefined) pipeline.set(data, storedEntry(w, current), 'PX', w.ttlMs)
          else SET_NOW.queue(pipeline, [data, this.keyspace.epoch], [w.ttlMs, w.rest, w.payload])
        })
      }
      this.#stats.count('writes', writes.length)
    })
  }

  async lock(key: KeyLike, ttlMs: number): Promise<CacheLock | undefined> {
    if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError(`RedisCache.lock: ttlMs must be >= 1, got ${ttlMs}`)
    const lockKey = this.keyspace.lock(keyText(key))
    const token = randomBytes(9).toString('base64url')
    const taken = await this.#redis.withTimeout('lock', this.client.set(lockKey, token, 'PX', Math.round(ttlMs), 'NX'))
    if (taken !== 'OK') return undefined
    return {
      release: () =>
        this.#redis.withTimeout('unlock', RELEASE_LOCK.run(this.client, [lockKey], [token])).then(() => undefined),
    }
  }

  async delete(key: KeyLike): Promise<boolean> {
    const removed = await this.#timed(this.#stats.write, () =>
      this.#redis.withTimeout('delete', this.client.del(this.keyspace.data(keyText(key)))),
    )
    this.#stats.count('deletes')
    return removed > 0
  }

  async has(key: KeyLike): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  async snapshot(): Promise<CacheSnapshot> {
    return this.snapshotAt(await this.currentEpoch())
  }

  snapshotAt(epoch: number): CacheSnapshot {
    return new RedisSnapshot(this, String(epoch), performance.now())
  }

  async currentEpoch(): Promise<number> {
    const epoch = await this.#timed(this.#stats.read, () =>
      this.#redis.withTimeout('snapshot', this.client.get(this.keyspace.epoch)),
    )
    return Number(epoch ?? 0)
  }

  /**
   * A plain GET: the entry with the epoch it was stamped with, no tag check (see NumberedInvalidations). The
   * caller must judge the epoch against the invalidations it knows of; `unknown` sends it to {@link lookup}.
   */
  async peek<T = unknown>(key: KeyLike): Promise<Peeked<T>> {
    const text = keyText(key)
    const stored = await this.#timed(this.#stats.read, () =>
      this.#redis.withTimeout('get', this.client.getBuffer(this.keyspace.data(text))),
    )
    if (stored === null) {
      this.#miss()
      return 'miss'
    }
    const header = parseHeader(stored)
    if (header?.expiresAt === undefined) return 'unknown'
    const entry = this.#decode<T>({ key: text, data: stored, pttl: header.expiresAt - Date.now() }, header)
    return entry === undefined ? 'miss' : { epoch: header.epoch, entry }
  }

  async invalidateTags(tags: readonly TagLike[]): Promise<void> {
    await this.invalidateTagsNumbered(tagTexts(tags))
  }

  async invalidateTagsNumbered(tags: readonly string[]): Promise<number[]> {
    const texts = tagTexts(tags)
    this.#stats.count('invalidations')
    const epochs: number[] = []
    if (texts.length === 0) return epochs
    await this.#timed(this.#stats.write, async () => {
      const { batchSize } = this.#redis.options
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize)
        const epoch = await this.#redis.withTimeout(
          'invalidateTags',
          BUMP_TAGS.run(
            this.client,
            [this.keyspace.epoch, ...batch.map((tag) => this.keyspace.tag(tag))],
            [this.#retainMs()],
          ),
        )
        for (const _ of batch) epochs.push(Number(epoch))
      }
    })
    return epochs
  }

  async invalidatePattern(pattern: KeyPattern | string): Promise<number> {
    const glob = KeyPattern.from(pattern).glob
    this.#stats.count('invalidations')
    return this.#timed(this.#stats.write, () => this.#redis.scanUnlink(this.keyspace.dataMatch(glob)))
  }

  async clear(): Promise<void> {
    await this.clearNumbered()
  }

  async clearNumbered(): Promise<number> {
    this.#stats.count('invalidations')
    // The everything-tag first: entries written later from older snapshots then read as stale.
    const epoch = await this.#timed(this.#stats.write, () =>
      this.#redis.withTimeout(
        'clear',
        BUMP_TAGS.run(this.client, [this.keyspace.epoch, this.keyspace.all], [this.#retainMs()]),
      ),
    )
    await this.#timed(this.#stats.write, () => this.#redis.scanUnlink(this.keyspace.dataMatch('*')))
    return Number(epoch)
  }

  async size(): Promise<number> {
    let count = 0
    await this.#redis.scan(this.keyspace.dataMatch('*'), async (_node, keys) => {
      count += keys.length
    })
    return count
  }

  stats(): CacheStats {
    return this.#stats.snapshot()
  }

  /**
   * A bus for the instances sharing this cache (a TieredCache over it opens one unless given `bus: false`):
   * publishes on this client, subscribes on a duplicate of it (which the bus owns and closes), on the channel
   * `<prefix>bus`; a publish waits at most this cache's operation timeout.
   */
  openBus(): InvalidationBus {
    return new RedisBus({
      client: this.client,
      prefix: this.keyspace.prefix,
      publishTimeoutMs: this.#redis.options.timeoutMs,
    })
  }

  /** PINGs Redis (every master of a cluster) within the operation timeout. Never throws. */
  async healthCheck(): Promise<RedisHealth> {
    const mode = this.#redis.cluster ? 'cluster' : 'standalone'
    const started = performance.now()
    try {
      await this.#redis.withTimeout('healthCheck', Promise.all(this.#redis.masters().map((node) => node.ping())))
      return { ok: true, mode, status: this.client.status, latencyMs: performance.now() - started }
    } catch (error) {
      return {
        ok: false,
        mode,
        status: this.client.status,
        error: error instanceof Error ? error.message : String(error),
      }
    }
  }

  /** Quits the connection it opened from `url`; yours (`client`) only with `{ clients: true }`. Idempotent. */
  async close(options?: CloseOptions): Promise<void> {
    if (this.#owned || options?.clients === true) await closeClient(this.client, this.#redis.options.timeoutMs)
  }

  // ---- reads -------------------------------------------------------------------------------------------

  async #readStandalone(keys: string[]): Promise<Array<RawEntry | undefined>> {
    const dataKeys = keys.map((key) => this.keyspace.data(key))
    const replies = await this.#redis.pipelined(dataKeys, (pipeline, index) =>
      GET_CHECKED.queue(
        pipeline,
        [dataKeys[index]!],
        [this.keyspace.tagPrefix, this.keyspace.all, this.keyspace.epoch],
        'bytes',
      ),
    )
    return replies.map((reply, index) => this.#checkedReply(keys[index]!, reply))
  }

  /** A GET_CHECKED reply: the entry, or undefined (counting the stale and corrupt entries the script removed). */
  #checkedReply(key: string, reply: unknown): RawEntry | undefined {
    if (!Array.isArray(reply)) return undefined
    if (Buffer.isBuffer(reply[0])) return { key, data: reply[0], pttl: Number(reply[1]) }
    if (reply[0] === 1) this.#stats.count('staleByTag')
    else if (reply[0] === 2) this.#stats.count('errors')
    return undefined
  }

  /** Cluster: the entries (one pipeline per node), then every tag epoch they need in one MGET (one slot). */
  async #readCluster(keys: string[]): Promise<Array<RawEntry | undefined>> {
    const dataKeys = keys.map((key) => this.keyspace.data(key))
    const replies = await this.#redis.pipelined(dataKeys, (pipeline, index) =>
      GET_RAW.queue(pipeline, [dataKeys[index]!], [], 'bytes'),
    )
    const found = replies.map((reply, index) =>
      Array.isArray(reply) && Buffer.isBuffer(reply[0])
        ? { key: keys[index]!, data: reply[0], pttl: Number(reply[1]) }
        : undefined,
    )
    const headers = found.map((raw) => (raw === undefined ? undefined : parseHeader(raw.data)))
    const tags = [...new Set(headers.flatMap((h) => h?.tags ?? []))]
    const epochs = await this.#redis.withTimeout(
      'mget tags',
      this.client.mget([this.keyspace.all, ...tags.map((tag) => this.keyspace.tag(tag))]),
    )
    const epochOf = new Map(tags.map((tag, i) => [tag, epochs[i + 1]]))
    const cleanups: Array<Promise<unknown>> = []
    const result = found.map((raw, index) => {
      if (raw === undefined) return undefined
      const header = headers[index]
      if (header === undefined || isStaleEntry(header, epochs[0], (tag) => epochOf.get(tag))) {
        this.#stats.count(header === undefined ? 'errors' : 'staleByTag')
        const data = this.keyspace.data(raw.key)
        cleanups.push(
          header === undefined
            ? this.client.del(data)
            : DELETE_IF_HEADER.run(this.client, [data], [headerPrefix(raw.data)]),
        )
        return undefined
      }
      return raw
    })
    await this.#redis.withTimeout('cleanup', Promise.allSettled(cleanups))
    return result
  }

  #decode<T>(raw: RawEntry, header: EntryHeader | undefined = parseHeader(raw.data)): CacheEntry<T> | undefined {
    try {
      if (header === undefined) throw new Error('corrupt header')
      const decoded = this.#codec.decode(header, raw.data)
      // A format this cache does not read (another instance's serializer): a miss, left for those that read it.
      if (decoded === undefined) return this.#miss()
      this.#stats.count('hits')
      return {
        value: decoded.value as T,
        remainingTtlMs: Math.max(0, raw.pttl),
        tags: header.tags,
        encoded: decoded.encoded,
      }
    } catch {
      // Undecodable data is a miss, and is removed so the next read can fill it again.
      this.#stats.count('errors')
      this.client.del(this.keyspace.data(raw.key)).catch(() => {})
      return this.#miss()
    }
  }

  #miss(): undefined {
    this.#stats.count('misses')
    return undefined
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  #snapshotEpoch(snapshot: CacheSnapshot | undefined): string | undefined | null {
    if (snapshot === undefined) return undefined
    if (!(snapshot instanceof RedisSnapshot) || snapshot.owner !== this)
      throw new TypeError(`RedisCache.set: the snapshot was not taken from this cache (${this.name})`)
    // Older than maxTtl: the tag epochs it must be compared with may have expired (null = refuse the write).
    return performance.now() - snapshot.takenAt > this.maxTtl * 1000 ? null : snapshot.epoch
  }

  #retainMs(): number {
    return 2 * this.maxTtl * 1000
  }

  /** Counts latency and errors of an operation; each of its round trips is bounded by RedisCommands.withTimeout. */
  async #timed<T>(histogram: LatencyHistogram, run: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await run()
    } catch (error) {
      this.#stats.count('errors')
      throw error
    } finally {
      histogram.record(performance.now() - started)
    }
  }
}

/**
 * An entry ready to write. Its header is `[epoch,[tags...],expiresAt,format]`: with the epoch known here (a
 * snapshot's), `entry` is the whole of it; otherwise `payload` and `rest` (the header after the epoch), framed by
 * the write under the epoch it reads (SET_NOW's script, or a cluster's GET first).
 */
type PendingWrite = { key: string; ttlMs: number } & (
  { entry: string | Buffer } | { payload: string | Buffer; rest: string }
)

/** What a write stores: its entry, or its payload framed under `current` (read for it: not undefined then). */
function storedEntry(write: PendingWrite, current: string | undefined): string | Buffer {
  return 'entry' in write ? write.entry : entryValue(current!, write.rest, write.payload)
}

/** The stored entry: `[epoch,rest]\n` and the payload; text stays text (one string), bytes make one Buffer. */
function entryValue(epoch: string, rest: string, payload: string | Buffer): string | Buffer {
  const header = `[${epoch},${rest}]\n`
  return typeof payload === 'string' ? header + payload : Buffer.concat([Buffer.from(header), payload])
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`RedisCache: ${name} must be a positive number, got ${value}`)
  return value
}

/** Where the client's reads go: `master` (ioredis's default), or a description of the replica setting. */
function readsFrom(client: RedisClientLike): string {
  if (isClusterClient(client)) {
    const scaleReads = client.options.scaleReads
    if (scaleReads === undefined || scaleReads === 'master') return 'master'
    return `scaleReads: ${typeof scaleReads === 'function' ? 'a function' : JSON.stringify(scaleReads)}`
  }
  return client.options.sentinels && client.options.role === 'slave' ? "role: 'slave'" : 'master'
}
