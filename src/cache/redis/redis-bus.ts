import { randomBytes } from 'node:crypto'
import type { CloseOptions } from '../backend.js'
import type { BusHandlers, BusMessage, BusOrigin, InvalidationBus, InvalidationMessage } from '../coherence/bus-port.js'
import { asRedisClient, closeClient, isClusterClient, type RedisClientLike } from './client.js'

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
   * the subscription is treated as down (and reconnected) even though the socket looks open. The heartbeats are
   * also the leases of read-your-writes (a writer waits at most 3 × heartbeatMs on an instance that died).
   * Default 500; false: no heartbeat (and no read-your-writes across instances).
   */
  heartbeatMs?: number | false
  /** Longest wait for a publish (Redis may be down: its client queues commands). Default 500 ms. */
  publishTimeoutMs?: number
}

const KINDS = { tags: 't', pattern: 'p', keys: 'k', clear: 'c' } as const

/** Own heartbeats remembered (their send times), to renew the lease when each is heard back. */
const BEATS_REMEMBERED = 16

/**
 * An invalidation bus over Redis pub/sub, on a subscriber connection of its own.
 *
 * Encoding (compact, one line): `<instance id>[/<seq>] <kind> <JSON payload>`, kind t|p|k|c, or T|C for tags /
 * clear with the epochs L2 numbered them with (`{"t":[tags],"e":[epochs]}`, `<epoch>`), `a` for an ack
 * (`{"to":id,"s":seq}`), `h` for a heartbeat (its seq is the beat's number).
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
  #beats = 0
  /** Send times of this instance's recent heartbeats, by number. */
  readonly #beatsSent = new Map<number, number>()

  constructor(options: RedisBusOptions) {
    if (!options?.client) throw new TypeError('RedisBus: `client` (your Redis client) is required')
    this.#publisher = asRedisClient(options.client, 'RedisBus')
    this.channel = options.channel ?? `${options.prefix ?? 'ptc:'}bus`
    if (typeof this.channel !== 'string' || this.channel.length === 0)
      throw new TypeError('RedisBus: `channel` must be a non-empty string')
    this.instanceId = options.instanceId ?? randomBytes(6).toString('base64url')
    if (/[\s/]/.test(this.instanceId)) throw new TypeError('RedisBus: `instanceId` cannot contain whitespace or `/`')
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 500
    if (!Number.isFinite(this.#publishTimeoutMs) || this.#publishTimeoutMs <= 0)
      throw new RangeError('RedisBus: `publishTimeoutMs` must be a positive number')
    this.#heartbeatMs = options.heartbeatMs ?? 500
    if (this.#heartbeatMs !== false && (!Number.isFinite(this.#heartbeatMs) || this.#heartbeatMs <= 0))
      throw new RangeError('RedisBus: `heartbeatMs` must be a positive number or false')
  }

  get connected(): boolean {
    return this.#connected
  }

  get heartbeatMs(): number | false {
    return this.#heartbeatMs
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
    this.#sendBeat()
  }

  #sendBeat(): void {
    const number = ++this.#beats
    this.#beatsSent.set(number, performance.now())
    this.#beatsSent.delete(number - BEATS_REMEMBERED)
    this.#publisher.publish(this.channel, `${this.instanceId}/${number} h 0`).catch(() => undefined)
  }

  async publish(message: BusMessage, seq?: number): Promise<void> {
    const sent = this.#publisher.publish(
      this.channel,
      encode(seq === undefined ? this.instanceId : `${this.instanceId}/${seq}`, message),
    )
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
    // A beat at once: the lease (and the other instances' knowledge of this one) need not wait an interval.
    if (this.#heartbeatMs !== false) this.#sendBeat()
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
    if (decoded === undefined) return
    const self = decoded.from === this.instanceId
    if (decoded.message === 'beat') {
      const sentAt = self && decoded.seq !== undefined ? this.#beatsSent.get(decoded.seq) : undefined
      this.#handlers?.onBeat?.({ from: decoded.from, self, ...(sentAt === undefined ? {} : { sentAt }) })
      return
    }
    const origin: BusOrigin = { from: decoded.from, self, ...(decoded.seq === undefined ? {} : { seq: decoded.seq }) }
    await this.#handlers?.onMessage(decoded.message, origin)
  }
}

/** `sender`: the instance id, with `/<seq>` when the message is numbered. */
export function encode(sender: string, message: BusMessage): string {
  if (message.kind === 'ack') return `${sender} a ${JSON.stringify({ to: message.to, s: message.seq })}`
  return encodeInvalidation(sender, message)
}

function encodeInvalidation(instanceId: string, message: InvalidationMessage): string {
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

/** A decoded line: its sender (and the sender's number for it), and the message, or `beat` for a heartbeat. */
export type Decoded = { from: string; seq?: number; message: BusMessage | 'beat' }

export function decode(text: string): Decoded | undefined {
  const first = text.indexOf(' ')
  const second = text.indexOf(' ', first + 1)
  if (first <= 0 || second !== first + 2) return undefined
  const slash = text.lastIndexOf('/', first)
  const seq = slash > 0 ? Number(text.slice(slash + 1, first)) : undefined
  if (seq !== undefined && !Number.isSafeInteger(seq)) return undefined
  const from = slash > 0 ? text.slice(0, slash) : text.slice(0, first)
  const message = decodeMessage(text[first + 1]!, text.slice(second + 1))
  return message === undefined ? undefined : { from, ...(seq === undefined ? {} : { seq }), message }
}

function decodeMessage(kind: string, text: string): BusMessage | 'beat' | undefined {
  if (kind === 'h') return 'beat' // proves the subscription (and its sender) alive
  try {
    const payload: unknown = JSON.parse(text)
    switch (kind) {
      case 't':
        return Array.isArray(payload) ? { kind: 'tags', tags: payload.map(String) } : undefined
      case 'T': {
        const { t, e } = (payload ?? {}) as { t?: unknown; e?: unknown }
        if (!Array.isArray(t) || !Array.isArray(e) || e.length !== t.length || !e.every((n) => Number.isSafeInteger(n)))
          return undefined
        return { kind: 'tags', tags: t.map(String), epochs: e as number[] }
      }
      case 'k':
        return Array.isArray(payload) ? { kind: 'keys', keys: payload.map(String) } : undefined
      case 'p':
        return typeof payload === 'string' ? { kind: 'pattern', pattern: payload } : undefined
      case 'c':
        return { kind: 'clear' }
      case 'C':
        return Number.isSafeInteger(payload) ? { kind: 'clear', epoch: payload as number } : undefined
      case 'a': {
        const { to, s } = (payload ?? {}) as { to?: unknown; s?: unknown }
        return typeof to === 'string' && Number.isSafeInteger(s) ? { kind: 'ack', to, seq: s as number } : undefined
      }
      default:
        return undefined
    }
  } catch {
    return undefined
  }
}
