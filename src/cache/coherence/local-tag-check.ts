import type { CacheSnapshot, Lookup, NumberedInvalidations } from '../backend.js'
import type { Clock } from '../clock.js'
import type { InvalidationBus, InvalidationMessage } from './bus-port.js'
import { EVERYTHING, KnownInvalidations } from './known-invalidations.js'

/** How often the current epoch is read, to notice invalidations whose bus message never came. */
const EPOCH_POLL_MS = 1_000

/** How TieredCache calls L2 for this class: through its circuit breaker and failure handling. */
export type CallL2 = <T>(operation: string, run: () => Promise<T>) => Promise<T>

/**
 * TieredCache's `localTagCheck`: with a bus, L2 entries are read with a plain GET and judged from the numbered
 * invalidations heard over the bus (KnownInvalidations), instead of by the read script inside Redis. This class
 * owns what that takes: when judging may start (the bus is up and the epoch was read after subscribing), the
 * once-a-second epoch poll that reveals invalidations never heard of, recording what is heard, and the read.
 * The rules and their proofs: docs/design.md, "Judging L2 entries locally".
 */
export class LocalTagCheck {
  readonly known: KnownInvalidations
  /** L2 reads judged here (fresh entries served after a plain GET). */
  checks = 0
  #poll: NodeJS.Timeout | undefined
  /** Counts bus drops, so that an epoch read that overlapped one is not used. */
  #busDowns = 0

  /**
   * `onLost`: numbered invalidations were declared lost — never heard over the bus (a message dropped, a writer
   * without a bus): whatever L1 holds may be stale by them. `clock`: what gaps are timed on (TieredCache's).
   */
  constructor(
    readonly numbered: NumberedInvalidations,
    readonly bus: InvalidationBus,
    readonly callL2: CallL2,
    readonly onLost: () => void,
    clock?: Clock,
  ) {
    this.known = new KnownInvalidations({ onLost, clock })
  }

  /** The bus is down: messages may be lost; judging stops until it is up again. */
  busDown(): void {
    this.#busDowns++
    this.known.stop()
  }

  /** The bus is (again) subscribed: judging starts from the epoch read now; the poll starts once. */
  async busUp(): Promise<void> {
    if (this.#poll === undefined) {
      this.#poll = setInterval(() => void this.#readEpoch(false).catch(() => undefined), EPOCH_POLL_MS)
      this.#poll.unref()
    }
    await this.#readEpoch(true)
  }

  /**
   * Reads the current epoch: it reveals invalidations not heard of (a gap), or, when not judging yet (the first
   * read failed), starts from it — safe while the bus has stayed up since before the read, since every
   * invalidation numbered above it is then heard. A read that overlapped a bus drop is thrown away.
   * Starting from a poll (the read when the bus came up failed) reports `onLost`: L1 was trusted since the bus came
   * up, and an invalidation not heard in between now counts as older than the start, never as a gap.
   */
  async #readEpoch(onBusUp: boolean): Promise<void> {
    if (!this.bus.connected) return
    const generation = this.#busDowns
    let epoch: number
    try {
      epoch = await this.callL2('epoch', () => this.numbered.currentEpoch())
    } catch {
      return // an unreadable epoch reveals nothing; L2 reads go to the check in Redis as needed
    }
    if (generation !== this.#busDowns || !this.bus.connected) return
    if (this.known.ready) this.known.observe(epoch)
    else {
      this.known.reset(epoch)
      if (!onBusUp) this.onLost()
    }
  }

  /** Records numbered invalidations: another instance's (from the bus) or this one's (before it publishes them). */
  hear(message: InvalidationMessage): void {
    if (message.kind === 'tags' && message.epochs)
      message.tags.forEach((tag, i) => this.known.record(message.epochs![i]!, [tag]))
    else if (message.kind === 'clear' && message.epoch !== undefined) this.known.record(message.epoch, [EVERYTHING])
  }

  /**
   * One key from L2 with a plain read, judged here: an entry known fresh, or a miss with a snapshot (the highest
   * contiguous epoch heard: at most Redis's current one, so only more conservative); undefined when it cannot be
   * judged here (not ready, stale, older than the horizon, a gap, an entry without expiresAt) — the caller then
   * uses L2's checked lookup, which also removes a stale entry. A failing L2 read rejects.
   */
  async lookup<T>(text: string): Promise<Lookup<T> | undefined> {
    if (!this.known.ready) return undefined
    const peeked = await this.numbered.peek<T>(text)
    if (peeked === 'miss') {
      const snapshot = this.snapshot()
      return snapshot === undefined ? undefined : { snapshot }
    }
    if (peeked === 'unknown' || this.known.verdict(peeked.epoch, peeked.entry.tags) !== 'fresh') return undefined
    this.checks++
    return { entry: peeked.entry }
  }

  /**
   * An L2 snapshot at the highest contiguous epoch heard, taken without a round trip: at most Redis's current
   * epoch, so an entry written under it is judged stale by every invalidation after it and perhaps by one just
   * before (in flight), never fresh by one it missed. Undefined when not ready.
   */
  snapshot(): CacheSnapshot | undefined {
    const epoch = this.known.snapshotEpoch()
    return epoch === undefined ? undefined : this.numbered.snapshotAt(epoch)
  }

  close(): void {
    clearInterval(this.#poll)
    this.known.stop()
  }
}
