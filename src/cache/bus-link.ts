import type { InvalidationBus, InvalidationMessage } from '../bus/invalidation-bus.js'
import type { CacheBackend } from './backend.js'
import { CircuitOpenError } from './circuit-breaker.js'
import type { LocalTagCheck } from './local-tag-check.js'

export interface BusStats {
  connected: boolean
  published: number
  received: number
  publishErrors: number
  /** Times numbered invalidations were found never heard over the bus (declared lost after 1 s); L1 is emptied each time. */
  lostInvalidations: number
}

/** What a BusLink needs from its TieredCache. */
export interface BusLinkHost {
  readonly l1: CacheBackend
  /** localTagCheck, when the TieredCache has it. */
  readonly local: LocalTagCheck | undefined
  /** An L1 operation with the TieredCache's failure handling: a failure is reported and `fallback` answers. */
  callL1<T>(operation: string, run: () => Promise<T>, fallback: () => T): Promise<T>
  /** A call forced through L2's circuit breaker (a message not sent would leave other instances' L1s stale). */
  callL2Forced<T>(operation: string, run: () => Promise<T>): Promise<T>
  /** Replays what L2 owes, now. */
  settleOwed(): Promise<boolean>
  /** Reports a tolerated L2-side failure. */
  report(operation: string, error: unknown): void
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
  readonly #host: BusLinkHost

  constructor(
    readonly bus: InvalidationBus,
    host: BusLinkHost,
  ) {
    this.#host = host
  }

  /** Subscribes; resolves after the first attempt (L1 is trusted from the first up). */
  async start(): Promise<void> {
    const host = this.#host
    try {
      await this.bus.start({
        onMessage: (message) => this.#applyToL1(message),
        onDown: () => {
          this.#downs++
          this.trusted = false
          host.local?.busDown()
          this.stats.connected = false
        },
        onUp: async () => {
          const downs = this.#downs
          // Redis is reachable again: pay what L2 owes first, then forget whatever L1 missed while down.
          await host.settleOwed()
          await host.callL1(
            'clear (bus reconnected)',
            () => host.l1.clear(),
            () => undefined,
          )
          // Subscribed first, epoch read second: every invalidation numbered above it will be heard.
          await host.local?.busUp()
          // A drop while this ran: messages may have been lost after the clear; the next onUp trusts L1 again.
          if (downs !== this.#downs || !this.bus.connected) return
          this.stats.connected = true
          this.trusted = true
        },
      })
    } catch (error) {
      host.report('bus start', error)
    }
  }

  /**
   * Invalidations this instance never heard of (their bus message was lost, or their writer has no bus), found
   * by a later number or the epoch poll: L1 may hold entries they invalidated, so it is emptied.
   */
  lost(): void {
    this.stats.lostInvalidations++
    this.#host
      .callL1(
        'clear (invalidations lost)',
        () => this.#host.l1.clear(),
        () => undefined,
      )
      .catch(() => undefined)
  }

  /** What the others hear, this instance hears too (localTagCheck: its own numbered invalidations), then it is published. */
  async announce(message: InvalidationMessage): Promise<void> {
    this.#host.local?.hear(message)
    await this.#publish(message)
  }

  /** Another instance's invalidation, applied to this L1 (its L2 side is already done). */
  async #applyToL1(message: InvalidationMessage): Promise<void> {
    const host = this.#host
    this.stats.received++
    host.local?.hear(message)
    const apply = async () => {
      if (message.kind === 'tags') await host.l1.invalidateTags(message.tags)
      else if (message.kind === 'pattern') await host.l1.invalidatePattern(message.pattern)
      else if (message.kind === 'keys') for (const key of message.keys) await host.l1.delete(key)
      else await host.l1.clear()
    }
    await host.callL1(`bus ${message.kind}`, apply, () => undefined).catch(() => undefined)
  }

  /** Publishes an invalidation to the other instances; a failure is reported (their L1s expire by TTL). */
  async #publish(message: InvalidationMessage): Promise<void> {
    try {
      await this.#host.callL2Forced('bus publish', () => this.bus.publish(message))
      this.stats.published++
    } catch (error) {
      this.stats.publishErrors++
      if (!(error instanceof CircuitOpenError)) this.#host.report('bus publish', error)
    }
  }
}
