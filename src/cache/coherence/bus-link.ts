import { CircuitOpenError } from '../circuit-breaker.js'
import type { Clock } from '../clock.js'
import type { Beat, BusMessage, BusOrigin, InvalidationBus, InvalidationMessage } from './bus-port.js'
import type { CoherenceGateway } from './gateway.js'
import type { LocalTagCheck } from './local-tag-check.js'
import { PeerAcks } from './peer-acks.js'

/** An instance serves its L1 until this many heartbeat intervals after sending the last own beat it heard back. */
export const LEASE_BEATS = 3

export interface BusStats {
  connected: boolean
  published: number
  received: number
  publishErrors: number
  /**
   * Times numbered invalidations were found never heard over the bus (declared lost after 1 s); L1 is emptied each
   * time.
   */
  lostInvalidations: number
  /** Other instances heard from within a lease (they may serve from their L1): a write waits for their acks. */
  peers: number
  /** Writes whose wait for the other instances ended with their acks (or with none to wait for). */
  writesAcknowledged: number
  /** Writes whose wait ended because an instance's lease lapsed without its ack (one died or lags), or at the bound. */
  writesLapsed: number
}

/**
 * The bus side of a TieredCache (docs/design.md, the bus bullets and "Read-your-writes across instances"):
 * whether its L1 may be used — only while the bus is up, once L1 was emptied after coming up, and while the lease
 * renewed by its own heartbeats holds — other instances' invalidations applied to this L1 and acknowledged, this
 * instance's announced to them (waiting for their acks), and L1 emptied when invalidations were lost.
 */
export class BusLink {
  readonly #stats = { connected: false, published: 0, received: 0, publishErrors: 0, lostInvalidations: 0 }
  /** False while the bus is down (or not yet up): L1 may have missed other instances' invalidations. */
  #up = false
  /** Counts bus drops: an onUp that overlapped one must not trust L1. */
  #downs = 0
  readonly #gateway: CoherenceGateway
  /** localTagCheck, when the cache has it. */
  readonly #local: LocalTagCheck | undefined
  /** Replays what L2 owes, now. */
  readonly #settleOwed: () => Promise<boolean>
  /** Without heartbeats there is no lease: L1 is trusted while the bus is up, and writes do not wait. */
  readonly #leaseMs: number | undefined
  /** The bus's time base (its beats' send times): the leases are measured on it. */
  readonly #clock: Clock
  /** L1 may be served until then (on #clock): the send time of the last own beat heard back + the lease. */
  #leaseUntil = 0
  /** The writer's side: whom to wait for. Undefined for fire-and-forget writes. */
  readonly #acks: PeerAcks | undefined
  /** Other instances' invalidations, applied one after the other: a beat heard renews the lease only after them. */
  #applying: Promise<void> = Promise.resolve()
  /** Who waits for the first lease (start). */
  #leased: Array<() => void> = []

  constructor(
    readonly bus: InvalidationBus,
    gateway: CoherenceGateway,
    options: { local: LocalTagCheck | undefined; settleOwed: () => Promise<boolean>; awaitPeers: boolean },
  ) {
    this.#gateway = gateway
    this.#local = options.local
    this.#settleOwed = options.settleOwed
    this.#leaseMs = bus.heartbeatMs === false ? undefined : LEASE_BEATS * bus.heartbeatMs
    this.#clock = bus.clock ?? performance
    this.#acks =
      this.#leaseMs !== undefined && options.awaitPeers ? new PeerAcks(this.#leaseMs, this.#clock) : undefined
  }

  /** Whether L1 may be served: the bus is up (and L1 was emptied since it came up) and the lease holds. */
  get trusted(): boolean {
    return this.#up && (this.#leaseMs === undefined || this.#clock.now() < this.#leaseUntil)
  }

  get stats(): BusStats {
    const acks = this.#acks
    return {
      ...this.#stats,
      peers: acks?.live ?? 0,
      writesAcknowledged: acks?.counts.acknowledged ?? 0,
      writesLapsed: acks?.counts.lapsed ?? 0,
    }
  }

  /** Subscribes; resolves after the first attempt (L1 is trusted from the first up). */
  async start(): Promise<void> {
    const gateway = this.#gateway
    try {
      await this.bus.start({
        onMessage: (message, origin) => this.#receive(message, origin),
        onBeat: (beat) => this.#beat(beat),
        onDown: () => {
          this.#downs++
          this.#up = false
          this.#local?.busDown()
          this.#stats.connected = false
        },
        onUp: async () => {
          const downs = this.#downs
          // Redis is reachable again: pay what L2 owes first, then forget whatever L1 missed while down.
          await this.#settleOwed()
          await gateway.callL1('clear (bus reconnected)', () => gateway.l1.clear(), undefined)
          // Subscribed first, epoch read second: every invalidation numbered above it will be heard.
          await this.#local?.busUp()
          // A drop while this ran: messages may have been lost after the clear; the next onUp trusts L1 again.
          if (downs !== this.#downs || !this.bus.connected) return
          this.#stats.connected = true
          this.#up = true
        },
      })
    } catch (error) {
      gateway.report('bus start', error, false)
      return
    }
    // Ready once L1 may be served: the first own beat heard back (at most a lease later).
    const leaseMs = this.#leaseMs
    if (leaseMs === undefined || !this.bus.connected || this.trusted) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, leaseMs)
      timer.unref()
      this.#leased.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /**
   * Invalidations this instance never heard of (their bus message was lost, or their writer has no bus), found
   * by a later number or the epoch poll: L1 may hold entries they invalidated, so it is emptied.
   */
  lost(): void {
    this.#stats.lostInvalidations++
    const gateway = this.#gateway
    gateway.callL1('clear (invalidations lost)', () => gateway.l1.clear(), undefined).catch(() => undefined)
  }

  /**
   * What the others hear, this instance hears too (localTagCheck: its own numbered invalidations), then it is
   * published; unless writes are fire-and-forget, resolves once every live instance acknowledged it or its lease
   * lapsed (at most one lease after the publish).
   */
  async announce(message: InvalidationMessage, options: { awaitPeers?: boolean } = {}): Promise<void> {
    this.#local?.hear(message)
    const ticket = options.awaitPeers === false ? undefined : this.#acks?.open()
    const sent = await this.#publish(message, ticket?.seq)
    if (!ticket) return
    if (sent) await ticket.wait()
    else ticket.cancel()
  }

  close(): void {
    this.#acks?.release()
  }

  /**
   * A heartbeat: this instance's own renews its lease (after the messages delivered before it); another's says it
   * is alive.
   */
  #beat(beat: Beat): void {
    if (!beat.self) return this.#acks?.heard(beat.from)
    const { sentAt } = beat
    if (sentAt === undefined || this.#leaseMs === undefined) return
    const until = sentAt + this.#leaseMs
    void this.#applying.then(() => {
      if (until > this.#leaseUntil) this.#leaseUntil = until
      for (const resolve of this.#leased.splice(0)) resolve()
    })
  }

  /**
   * A message heard: another instance's invalidation is applied to this L1 and acknowledged; acks and echoes go to
   * the writer's side.
   */
  async #receive(message: BusMessage, origin: BusOrigin): Promise<void> {
    if (origin.self) {
      if (origin.seq !== undefined) this.#acks?.echoed(origin.seq)
      return
    }
    if (message.kind === 'ack') {
      if (message.to === this.bus.instanceId) this.#acks?.acked(origin.from, message.seq)
      else this.#acks?.heard(origin.from)
      return
    }
    this.#acks?.heard(origin.from)
    const applied = this.#applying.then(() => this.#applyToL1(message))
    this.#applying = applied
    await applied
    if (origin.seq !== undefined)
      this.bus.publish({ kind: 'ack', to: origin.from, seq: origin.seq }).catch(() => undefined)
  }

  /** Another instance's invalidation, applied to this L1 (its L2 side is already done). Never rejects. */
  async #applyToL1(message: InvalidationMessage): Promise<void> {
    const l1 = this.#gateway.l1
    this.#stats.received++
    this.#local?.hear(message)
    const apply = async () => {
      if (message.kind === 'tags') await l1.invalidateTags(message.tags)
      else if (message.kind === 'pattern') await l1.invalidatePattern(message.pattern)
      else if (message.kind === 'keys') for (const key of message.keys) await l1.delete(key)
      else await l1.clear()
    }
    await this.#gateway.callL1(`bus ${message.kind}`, apply, undefined).catch(() => undefined)
  }

  /**
   * Publishes an invalidation to the other instances; a failure is reported (their L1s expire by TTL). Answers
   * whether it went out.
   */
  async #publish(message: InvalidationMessage, seq: number | undefined): Promise<boolean> {
    try {
      await this.#gateway.callL2('bus publish', () => this.bus.publish(message, seq), true)
      this.#stats.published++
      return true
    } catch (error) {
      this.#stats.publishErrors++
      if (!(error instanceof CircuitOpenError)) this.#gateway.report('bus publish', error, false)
      return false
    }
  }
}
