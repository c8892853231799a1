import { CircuitOpenError } from '../circuit-breaker.js'
import type { BusMessage, BusOrigin, InvalidationBus, InvalidationMessage } from './bus-port.js'
import type { CoherenceGateway } from './gateway.js'
import type { LocalTagCheck } from './local-tag-check.js'

export interface BusStats {
  connected: boolean
  published: number
  received: number
  publishErrors: number
  /** Times numbered invalidations were found never heard over the bus (declared lost after 1 s); L1 is emptied each time. */
  lostInvalidations: number
}

/**
 * The bus side of a TieredCache (docs/design.md, the bus bullets): whether its L1 may be used — only while the bus
 * is up, and once L1 was emptied after coming up — other instances' invalidations applied to this L1, this
 * instance's announced to them, and L1 emptied when invalidations were lost.
 */
export class BusLink {
  /** False while the bus is down (or not yet up): L1 may have missed other instances' invalidations. */
  trusted = false
  readonly stats: BusStats = { connected: false, published: 0, received: 0, publishErrors: 0, lostInvalidations: 0 }
  /** Counts bus drops: an onUp that overlapped one must not trust L1. */
  #downs = 0
  readonly #gateway: CoherenceGateway
  /** localTagCheck, when the cache has it. */
  readonly #local: LocalTagCheck | undefined
  /** Replays what L2 owes, now. */
  readonly #settleOwed: () => Promise<boolean>

  constructor(
    readonly bus: InvalidationBus,
    gateway: CoherenceGateway,
    local: LocalTagCheck | undefined,
    settleOwed: () => Promise<boolean>,
  ) {
    this.#gateway = gateway
    this.#local = local
    this.#settleOwed = settleOwed
  }

  /** Subscribes; resolves after the first attempt (L1 is trusted from the first up). */
  async start(): Promise<void> {
    const gateway = this.#gateway
    try {
      await this.bus.start({
        onMessage: (message, origin) => this.#receive(message, origin),
        onDown: () => {
          this.#downs++
          this.trusted = false
          this.#local?.busDown()
          this.stats.connected = false
        },
        onUp: async () => {
          const downs = this.#downs
          // Redis is reachable again: pay what L2 owes first, then forget whatever L1 missed while down.
          await this.#settleOwed()
          await gateway.callL1(
            'clear (bus reconnected)',
            () => gateway.l1.clear(),
            () => undefined,
          )
          // Subscribed first, epoch read second: every invalidation numbered above it will be heard.
          await this.#local?.busUp()
          // A drop while this ran: messages may have been lost after the clear; the next onUp trusts L1 again.
          if (downs !== this.#downs || !this.bus.connected) return
          this.stats.connected = true
          this.trusted = true
        },
      })
    } catch (error) {
      gateway.report('bus start', error, false)
    }
  }

  /**
   * Invalidations this instance never heard of (their bus message was lost, or their writer has no bus), found
   * by a later number or the epoch poll: L1 may hold entries they invalidated, so it is emptied.
   */
  lost(): void {
    this.stats.lostInvalidations++
    const gateway = this.#gateway
    gateway
      .callL1(
        'clear (invalidations lost)',
        () => gateway.l1.clear(),
        () => undefined,
      )
      .catch(() => undefined)
  }

  /** What the others hear, this instance hears too (localTagCheck: its own numbered invalidations), then it is published. */
  async announce(message: InvalidationMessage): Promise<void> {
    this.#local?.hear(message)
    await this.#publish(message)
  }

  /** A message heard: another instance's invalidation is applied to this L1 (its own were applied when made). */
  async #receive(message: BusMessage, origin: BusOrigin): Promise<void> {
    if (message.kind === 'ack' || origin.self) return
    await this.#applyToL1(message)
  }

  /** Another instance's invalidation, applied to this L1 (its L2 side is already done). */
  async #applyToL1(message: InvalidationMessage): Promise<void> {
    const l1 = this.#gateway.l1
    this.stats.received++
    this.#local?.hear(message)
    const apply = async () => {
      if (message.kind === 'tags') await l1.invalidateTags(message.tags)
      else if (message.kind === 'pattern') await l1.invalidatePattern(message.pattern)
      else if (message.kind === 'keys') for (const key of message.keys) await l1.delete(key)
      else await l1.clear()
    }
    await this.#gateway.callL1(`bus ${message.kind}`, apply, () => undefined).catch(() => undefined)
  }

  /** Publishes an invalidation to the other instances; a failure is reported (their L1s expire by TTL). */
  async #publish(message: InvalidationMessage): Promise<void> {
    try {
      await this.#gateway.callL2('bus publish', () => this.bus.publish(message), true)
      this.stats.published++
    } catch (error) {
      this.stats.publishErrors++
      if (!(error instanceof CircuitOpenError)) this.#gateway.report('bus publish', error, false)
    }
  }
}
