import type { Clock } from '../clock.js'
import { type CacheSnapshot, isNumbered, type Lookup } from '../backend.js'
import { CircuitOpenError } from '../circuit-breaker.js'
import { CacheTierError } from '../errors.js'
import { BusLink, type BusStats } from './bus-link.js'
import type { InvalidationBus, InvalidationMessage } from './bus-port.js'
import type { CoherenceGateway } from './gateway.js'
import { LocalTagCheck } from './local-tag-check.js'
import { type OwedInvalidation, OwedInvalidations } from './owed-invalidations.js'

/** How often invalidations owed to a failing L2 are replayed in the background. */
const REPLAY_EVERY_MS = 1_000

export interface CoherenceStats {
  /** Present with a bus. */
  bus?: BusStats
  /** L2 hits judged from the invalidations heard over the bus (localTagCheck). */
  localChecks: number
  /** Invalidations L2 missed, replayed before L2 is used again. */
  pending: number
}

/**
 * Everything that keeps a TieredCache from serving what a write changed, beyond its own two tiers: invalidations
 * a failing L2 missed (owed, replayed in order), the bus to the other instances (whether this L1 may be used,
 * theirs applied here, this one's announced) and judging L2 entries from what the bus told (localTagCheck).
 * TieredCache talks to this facade only; the wing calls back through the {@link CoherenceGateway}.
 */
export class Coherence {
  readonly bus: InvalidationBus | undefined
  readonly #gateway: CoherenceGateway
  readonly #owed: OwedInvalidations
  #replayTimer: NodeJS.Timeout | undefined
  readonly #link: BusLink | undefined
  readonly #local: LocalTagCheck | undefined

  constructor(
    gateway: CoherenceGateway,
    options: {
      bus?: InvalidationBus | undefined
      localTagCheck: boolean
      awaitPeers: boolean
      clock?: Clock | undefined
    },
  ) {
    this.#gateway = gateway
    this.#owed = new OwedInvalidations(options.clock)
    this.bus = options.bus
    const { bus } = options
    const l2 = gateway.l2
    if (bus && options.localTagCheck && isNumbered(l2)) {
      this.#local = new LocalTagCheck(
        l2,
        bus,
        (operation, run) => gateway.callL2(operation, run),
        () => this.#link?.lost(),
        options.clock,
      )
    }
    this.#link =
      bus &&
      new BusLink(bus, gateway, {
        local: this.#local,
        settleOwed: () => this.#settleOwed(true),
        awaitPeers: options.awaitPeers,
      })
  }

  /** Subscribes to the bus; resolves after its first attempt (at once without a bus). */
  start(): Promise<void> {
    return this.#link ? this.#link.start() : Promise.resolve()
  }

  /**
   * Whether L1 may be used: always without a bus; with one, only while it is up and this instance's lease holds
   * (see BusLink).
   */
  get trusted(): boolean {
    return this.#link?.trusted ?? true
  }

  /**
   * Whether L2 entries are being judged here (localTagCheck is ready, and the lease holds: what was heard is as
   * current as L1): reads then go one by one through {@link lookup}.
   */
  get judging(): boolean {
    return (this.#local?.known.ready ?? false) && this.trusted
  }

  /** One key from L2 judged here (a plain read); undefined when it cannot be: the caller reads it checked. */
  lookup<T>(text: string): Promise<Lookup<T> | undefined> {
    return this.#local && this.trusted ? this.#local.lookup<T>(text) : Promise.resolve(undefined)
  }

  /**
   * For a write "as of now" to L2: a snapshot at the epoch heard over the bus (localTagCheck), so L2 stores it
   * with a plain write instead of reading its current epoch (a script); undefined when none is known.
   */
  localSnapshot(): CacheSnapshot | undefined {
    return this.#local?.snapshot()
  }

  stats(): CoherenceStats {
    return {
      ...(this.#link ? { bus: this.#link.stats } : {}),
      localChecks: this.#local?.checks ?? 0,
      pending: this.#owed.size,
    }
  }

  /**
   * Applies an invalidation to L2, then tells the other instances. If L2 fails (and is not required), or while
   * the circuit breaker keeps callers off it, the invalidation is owed: L2 is neither read nor written until
   * every owed invalidation has been replayed (L2 may hold entries it should have removed). Answers how many
   * entries L2 removed; undefined when the invalidation is owed.
   */
  async invalidate(invalidation: OwedInvalidation): Promise<number | undefined> {
    const gateway = this.#gateway
    const operation = invalidation.kind === 'key' ? 'delete' : `invalidate ${invalidation.kind}`
    // Owed at once while L2 is down: trying would only make the write wait the operation timeout.
    if (gateway.l2Down) {
      if (gateway.l2Required)
        throw new CacheTierError('l2', operation, new CircuitOpenError(`L2 (${gateway.l2.name})`, 0))
      this.#owe(invalidation)
      return undefined
    }
    // Invalidations try to replay what L2 owes right away (not once a second): they must not wait behind it.
    if (await this.usable(true)) {
      try {
        const { message, removed } = await gateway.callL2(operation, () => this.#applyToL2(invalidation), true)
        // Only once L2 is clean: another instance dropping its L1 copy must not refill it from a stale L2.
        // (When L2 could not be reached, neither, most likely, can the bus; the owed invalidation is replayed,
        // and the other instances' buses are down too, so they are not using their L1s.)
        await this.#link?.announce(message)
        return removed
      } catch (error) {
        if (!(error instanceof CircuitOpenError)) gateway.report(operation, error, gateway.l2Required)
        if (gateway.l2Required) throw new CacheTierError('l2', operation, error)
      }
    }
    this.#owe(invalidation)
    return undefined
  }

  /** True when L2 owes no invalidation (so {@link usable} would answer true at once). */
  get owesNothing(): boolean {
    return this.#owed.size === 0
  }

  /**
   * True when L2 owes no invalidation; otherwise tries (at most once a second, or now if `urgent`) to replay what
   * it owes — not while the breaker keeps callers off L2: then the background replay (#owe) probes it.
   */
  usable(urgent = false): Promise<boolean> {
    if (this.#owed.size === 0) return Promise.resolve(true)
    return this.#gateway.l2Down ? Promise.resolve(false) : this.#settleOwed(urgent)
  }

  close(): void {
    clearInterval(this.#replayTimer)
    this.#local?.close()
    this.#link?.close()
  }

  /**
   * Remembers an invalidation L2 missed, and replays what is owed in the background (once a second) until L2
   * takes it: no caller waits on a replay while L2 is down, yet L2 is repaired without traffic.
   */
  #owe(invalidation: OwedInvalidation): void {
    this.#owed.add(invalidation)
    if (this.#replayTimer !== undefined) return
    this.#replayTimer = setInterval(() => {
      if (this.#owed.size > 0) return void this.#settleOwed(true)
      clearInterval(this.#replayTimer)
      this.#replayTimer = undefined
    }, REPLAY_EVERY_MS)
    this.#replayTimer.unref()
  }

  /** Replays what L2 owes, in order (see OwedInvalidations.settle), each announced once L2 has it. */
  #settleOwed(urgent: boolean): Promise<boolean> {
    return this.#owed.settle(
      async (owed) => {
        const { message } = await this.#gateway.callL2('replay invalidations', () => this.#applyToL2(owed), true)
        // Instances whose bus stayed up while this one could not reach Redis still hold L1 copies; and this
        // instance judges L2 entries by its own replayed invalidation at once (localTagCheck). Not awaited by
        // the others: the write it belongs to has resolved long ago, and the reads waiting for L2 to be usable
        // must not wait for acknowledgements (instances whose bus went down empty their L1 when it is back).
        await this.#link?.announce(message, { awaitPeers: false })
      },
      (error) => {
        if (!(error instanceof CircuitOpenError)) this.#gateway.report('replay invalidations', error, false)
      },
      urgent,
    )
  }

  /**
   * One invalidation applied to L2 — numbered when L2 can, so that instances judging entries locally can judge by
   * it — and the message that tells the other instances. Used first-hand and for replays.
   */
  async #applyToL2(invalidation: OwedInvalidation): Promise<{ message: InvalidationMessage; removed: number }> {
    const l2 = this.#gateway.l2
    // Numbered whenever L2 numbers its invalidations, localTagCheck or not: instances that judge locally count on
    // every epoch being announced, or they would find a gap, declare it lost and empty their L1 for nothing.
    const numbered = isNumbered(l2) ? l2 : undefined
    switch (invalidation.kind) {
      case 'tags':
        if (numbered)
          return {
            message: {
              kind: 'tags',
              tags: invalidation.tags,
              epochs: await numbered.invalidateTagsNumbered(invalidation.tags),
            },
            removed: 0,
          }
        await l2.invalidateTags(invalidation.tags)
        return { message: { kind: 'tags', tags: invalidation.tags }, removed: 0 }
      case 'pattern':
        return {
          message: { kind: 'pattern', pattern: invalidation.pattern },
          removed: await l2.invalidatePattern(invalidation.pattern),
        }
      case 'key':
        return {
          message: { kind: 'keys', keys: [invalidation.key] },
          removed: (await l2.delete(invalidation.key)) ? 1 : 0,
        }
      case 'clear':
        if (numbered) return { message: { kind: 'clear', epoch: await numbered.clearNumbered() }, removed: 0 }
        await l2.clear()
        return { message: { kind: 'clear' }, removed: 0 }
    }
  }
}
