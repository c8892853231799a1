import { randomBytes } from 'node:crypto'
import type { CloseOptions } from '../cache/backend.js'
import { asRedisClient, closeClient, isClusterClient, type RedisClientLike } from '../cache/redis/client.js'

/**
 * What one instance tells the others after it has invalidated L2. `epochs` / `epoch`: the numbers L2 gave these
 * invalidations (RedisCache), one per tag, so that receivers can judge L2 entries without asking L2.
 */
export type InvalidationMessage =
  | { kind: 'tags'; tags: readonly string[]; epochs?: readonly number[] }
  | { kind: 'pattern'; pattern: string }
  | { kind: 'keys'; keys: readonly string[] }
  | { kind: 'clear'; epoch?: number }

export interface BusHandlers {
  /** A message from another instance (never this one's own). */
  onMessage(message: InvalidationMessage): void | Promise<void>
  /** The subscription is down: messages may be missed from now on. */
  onDown(): void
  /** The subscription is (again) up: messages are received from now on. */
  onUp(): void | Promise<void>
}

/** Carries invalidations between instances that share an L2. */
export interface InvalidationBus {
  /** Whether messages are being received right now. */
  readonly connected: boolean
  /** Starts receiving; handlers are called from then on. */
  start(handlers: BusHandlers): Promise<void>
  /** Sends to every other instance. Rejects when it could not be sent. */
  publish(message: InvalidationMessage): Promise<void>
  /** Stops receiving and closes what the bus opened; `clients: true` also closes the client it was given. */
  close(options?: CloseOptions): Promise<void>
}

export interface RedisBusOptions {
  /**
   * The connection to publish on: your Redis client (ioredis 5 or 6, iovalkey; standalone or Cluster). The bus
   * subscribes on a `duplicate()` of it, which it owns and closes; the client itself stays yours.
   */
  client: RedisClientLike
  /** The key prefix of the RedisCache this bus serves: the channel is `<prefix>bus`. Default `ptc:`. */
  prefix?: string
  /** Or the channel name itself. */
  channel?: string
  /** This instance's id (random by default): its own messages are ignored. */
  instanceId?: string
  /**
   * Every heartbeatMs the bus publishes a heartbeat and expects to hear its own within 3 × heartbeatMs; if not,
   * the subscription is treated as down (and reconnected) even though the socket looks open. Default 1000;
   * false: no heartbeat.
   */
  heartbeatMs?: number | false
  /** Longest wait for a publish (Redis may be down: its client queues commands). Default 500 ms. */
  publishTimeoutMs?: number
}

const KINDS = { tags: 't', pattern: 'p', keys: 'k', clear: 'c' } as const

/**
 * An invalidation bus over Redis pub/sub, on a subscriber connection of its own.
 *
 * Encoding (compact, one line): `<instance id> <kind> <JSON payload>`, kind t|p|k|c, or T|C for tags / clear with
 * the epochs L2 numbered them with (`{"t":[tags],"e":[epochs]}`, `<epoch>`).
 * Redis pub/sub delivers at most once: a subscriber that is disconnected misses messages. So the bus reports
 * when it goes down and when it is back, and its user (TieredCache) stops trusting its L1 in between and
 * empties it on reconnect.
 */
export class RedisBus implements InvalidationBus {
  readonly channel: string
  readonly instanceId: string
  readonly #publisher: RedisClientLike
  #subscriber: RedisClientLike | undefined
  #handlers: BusHandlers | undefined
  #connected = false
  #closed = false
  readonly #heartbeatMs: number | false
  readonly #publishTimeoutMs: number
  #heartbeat: NodeJS.Timeout | undefined
  #lastHeard = 0

  constructor(options: RedisBusOptions) {
    if (!options?.client) throw new TypeError('RedisBus: `client` (your Redis client) is required')
    this.#publisher = asRedisClient(options.client, 'RedisBus')
    this.channel = options.channel ?? `${options.prefix ?? 'ptc:'}bus`
    if (typeof this.channel !== 'string' || this.channel.length === 0)
      throw new TypeError('RedisBus: `channel` must be a non-empty string')
    this.instanceId = options.instanceId ?? randomBytes(6).toString('base64url')
    if (/\s/.test(this.instanceId)) throw new TypeError('RedisBus: `instanceId` cannot contain whitespace')
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 500
    if (!Number.isFinite(this.#publishTimeoutMs) || this.#publishTimeoutMs <= 0)
      throw new RangeError('RedisBus: `publishTimeoutMs` must be a positive number')
    this.#heartbeatMs = options.heartbeatMs ?? 1000
    if (this.#heartbeatMs !== false && (!Number.isFinite(this.#heartbeatMs) || this.#heartbeatMs <= 0))
      throw new RangeError('RedisBus: `heartbeatMs` must be a positive number or false')
  }

  get connected(): boolean {
    return this.#connected
  }

  async start(handlers: BusHandlers): Promise<void> {
    if (this.#subscriber) throw new Error('RedisBus.start: already started')
    this.#handlers = handlers
    // A connection of its own: a subscribed connection can do nothing but receive. Not re-subscribed by ioredis
    // after a reconnect: ioredis 6 sends that SUBSCRIBE without handling its failure (redis/ioredis#2187), an
    // unhandled rejection that ends a Node process by default; #resubscribe does it with the failure handled.
    // (A Cluster's subscriber connection never reconnects by itself; its re-subscription is handled.)
    const publisher = this.#publisher
    const subscriber = isClusterClient(publisher)
      ? publisher.duplicate()
      : publisher.duplicate({ autoResubscribe: false })
    this.#subscriber = subscriber
    subscriber.on('error', () => {})
    // After a reconnect, subscribe again and wait for Redis to confirm before reporting "up": only from then on
    // are messages delivered, and the user empties its L1 after that point.
    subscriber.on('ready', () => void this.#resubscribe().catch(() => undefined))
    subscriber.on('close', () => this.#down())
    subscriber.on('end', () => this.#down())
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) void this.#receive(text).catch(() => undefined)
    })
    await this.#resubscribe()
    if (this.#heartbeatMs !== false) {
      const every = this.#heartbeatMs
      this.#heartbeat = setInterval(() => this.#beat(every), every)
      this.#heartbeat.unref()
    }
  }

  /**
   * Publishes a heartbeat; declares the subscription down when none came back for 3 intervals; and while down
   * on a connected socket (its SUBSCRIBE was refused, e.g. NOPERM), tries to subscribe again.
   */
  #beat(every: number): void {
    if (this.#connected && performance.now() - this.#lastHeard > 3 * every) {
      this.#down()
      // The socket may look open while nothing arrives: make ioredis reconnect (then 'ready' re-subscribes).
      this.#subscriber?.disconnect(true)
    } else if (!this.#connected && this.#subscriber?.status === 'ready') {
      void this.#resubscribe().catch(() => undefined)
    }
    this.#publisher.publish(this.channel, `${this.instanceId} h 0`).catch(() => undefined)
  }

  async publish(message: InvalidationMessage): Promise<void> {
    const sent = this.#publisher.publish(this.channel, encode(this.instanceId, message))
    sent.catch(() => undefined)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`RedisBus: publish did not complete within ${this.#publishTimeoutMs} ms`)),
        this.#publishTimeoutMs,
      )
    })
    try {
      await Promise.race([sent, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes the subscriber connection (the bus's own); the publishing client only with `{ clients: true }`. */
  async close(options?: CloseOptions): Promise<void> {
    clearInterval(this.#heartbeat)
    this.#closed = true
    this.#connected = false
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    await Promise.all([
      subscriber && closeClient(subscriber, this.#publishTimeoutMs),
      options?.clients === true && closeClient(this.#publisher, this.#publishTimeoutMs),
    ])
  }

  async #resubscribe(): Promise<void> {
    const subscriber = this.#subscriber
    if (!subscriber || this.#closed || this.#connected) return
    try {
      await subscriber.subscribe(this.channel)
    } catch {
      return // not connected yet ('ready' calls again), or refused (the heartbeat tries again)
    }
    if (this.#closed || this.#connected) return
    this.#lastHeard = performance.now()
    this.#connected = true
    await this.#handlers?.onUp()
  }

  #down(): void {
    if (!this.#connected) return
    this.#connected = false
    if (!this.#closed) this.#handlers?.onDown()
  }

  async #receive(text: string): Promise<void> {
    this.#lastHeard = performance.now()
    const decoded = decode(text)
    if (decoded === undefined || decoded.from === this.instanceId) return
    await this.#handlers?.onMessage(decoded.message)
  }
}

export function encode(instanceId: string, message: InvalidationMessage): string {
  // Numbered invalidations use their own kinds (T, C) so that a decoder that predates them ignores them
  // whole rather than misreading them.
  if (message.kind === 'tags' && message.epochs !== undefined)
    return `${instanceId} T ${JSON.stringify({ t: message.tags, e: message.epochs })}`
  if (message.kind === 'clear' && message.epoch !== undefined) return `${instanceId} C ${JSON.stringify(message.epoch)}`
  const payload =
    message.kind === 'tags'
      ? message.tags
      : message.kind === 'keys'
        ? message.keys
        : message.kind === 'pattern'
          ? message.pattern
          : 0
  return `${instanceId} ${KINDS[message.kind]} ${JSON.stringify(payload)}`
}

export function decode(text: string): { from: string; message: InvalidationMessage } | undefined {
  const first = text.indexOf(' ')
  const second = text.indexOf(' ', first + 1)
  if (first <= 0 || second !== first + 2) return undefined
  const from = text.slice(0, first)
  try {
    const payload: unknown = JSON.parse(text.slice(second + 1))
    switch (text[first + 1]) {
      case 't':
        return Array.isArray(payload) ? { from, message: { kind: 'tags', tags: payload.map(String) } } : undefined
      case 'T': {
        const { t, e } = (payload ?? {}) as { t?: unknown; e?: unknown }
        if (!Array.isArray(t) || !Array.isArray(e) || e.length !== t.length || !e.every((n) => Number.isSafeInteger(n)))
          return undefined
        return { from, message: { kind: 'tags', tags: t.map(String), epochs: e as number[] } }
      }
      case 'k':
        return Array.isArray(payload) ? { from, message: { kind: 'keys', keys: payload.map(String) } } : undefined
      case 'p':
        return typeof payload === 'string' ? { from, message: { kind: 'pattern', pattern: payload } } : undefined
      case 'c':
        return { from, message: { kind: 'clear' } }
      case 'C':
        return Number.isSafeInteger(payload)
          ? { from, message: { kind: 'clear', epoch: payload as number } }
          : undefined
      case 'h':
        return undefined // heartbeat: only proves the subscription is alive
      default:
        return undefined
    }
  } catch {
    return undefined
  }
}
