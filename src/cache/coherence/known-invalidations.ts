import type { Clock } from '../clock.js'
import { isStale } from '../staleness.js'

/**
 * What one instance knows of the shared tier's invalidations, learned over the bus: lets TieredCache accept an
 * L2 entry after a plain GET, without asking Redis to check its tags.
 *
 * RedisCache numbers every invalidation with one global counter (the epoch: INCR per invalidation, so the
 * numbers are consecutive) and stamps every entry with the epoch of the snapshot it was written under. An entry
 * stamped `s` is stale iff some invalidation numbered above `s` hit one of its tags (or everything).
 * This class answers that question from what it has heard:
 *
 * - `horizon`: invalidations numbered up to it may be unknown here (they predate the subscription, or were
 *   forgotten to bound memory, or were lost). An entry stamped below the horizon gets `unknown`.
 * - Gaps: epochs are consecutive, so a number heard (or a current epoch polled from Redis) above the highest
 *   contiguous one reveals invalidations not heard yet — in flight, or lost (an instance without a bus, a
 *   failed publish). While a gap is open, entries stamped below its top get `unknown`; a gap still open after
 *   `gapTimeoutMs` is declared lost: the horizon moves up past it.
 * - Otherwise the entry's tags are looked up: `stale` if one was invalidated above its stamp, else `fresh`.
 *
 * `unknown` sends the read to the server-side check, so the answer is never worse than without this class.
 * What it cannot know: an invalidation whose message is still on its way and that no later number or poll has
 * revealed yet — the same bus-propagation window L1 has (docs/design.md).
 */
export type Verdict = 'fresh' | 'stale' | 'unknown'

/** The tag standing for "everything" (a clear). */
export const EVERYTHING = '\u0000all'

export class KnownInvalidations {
  readonly #byTag = new Map<string, number>()
  readonly #heard = new Set<number>()
  readonly #maxTags: number
  readonly #gapTimeoutMs: number
  #ready = false
  #horizon = 0
  /** Every invalidation up to here is known (or below the horizon). */
  #contiguous = 0
  /** The highest epoch heard of or polled. */
  #top = 0
  #gapSince: number | undefined
  readonly #onLost: (() => void) | undefined
  readonly #clock: Clock

  /**
   * `onLost`: called each time a gap is declared lost (invalidations that will never be heard of here).
   * `clock`: what a gap's age is measured on when a call passes no `now` (TieredCache's; tests move it by hand).
   */
  constructor(options: { maxTags?: number; gapTimeoutMs?: number; onLost?: () => void; clock?: Clock } = {}) {
    this.#maxTags = options.maxTags ?? 100_000
    this.#gapTimeoutMs = options.gapTimeoutMs ?? 1_000
    this.#onLost = options.onLost
    this.#clock = options.clock ?? performance
  }

  get ready(): boolean {
    return this.#ready
  }

  /** Distinct tags remembered (bounded by maxTags). */
  get size(): number {
    return this.#byTag.size
  }

  /**
   * Starts (or restarts, after the bus reconnected) from the current epoch, read after subscribing: everything
   * up to it predates us. What was heard above it is kept: a message can arrive before the reply that read the
   * epoch is processed.
   */
  reset(currentEpoch: number, now = this.#clock.now()): void {
    for (const [tag, at] of this.#byTag) if (at <= currentEpoch) this.#byTag.delete(tag)
    for (const epoch of this.#heard) if (epoch <= currentEpoch) this.#heard.delete(epoch)
    this.#horizon = this.#contiguous = currentEpoch
    this.#top = currentEpoch
    for (const epoch of this.#heard) if (epoch > this.#top) this.#top = epoch
    this.#gapSince = undefined
    this.#ready = true
    this.observe(this.#top, now)
  }

  /** The bus is down: messages may be lost until the next reset. */
  stop(): void {
    this.#ready = false
  }

  /** An invalidation, numbered `epoch`, of these tags (EVERYTHING for a clear). */
  record(epoch: number, tags: readonly string[], now = this.#clock.now()): void {
    for (const tag of tags) {
      if ((this.#byTag.get(tag) ?? -1) >= epoch) continue
      this.#byTag.delete(tag) // re-insert at the end: the map stays in order of last invalidation
      this.#byTag.set(tag, epoch)
    }
    while (this.#byTag.size > this.#maxTags) {
      const [oldest, at] = this.#byTag.entries().next().value as [string, number]
      this.#byTag.delete(oldest)
      this.#horizon = Math.max(this.#horizon, at)
    }
    if (epoch > this.#contiguous) this.#heard.add(epoch)
    this.observe(epoch, now)
  }

  /**
   * An epoch known to exist (heard, or the current one polled from Redis): may open or close a gap. The gap's
   * clock restarts whenever the contiguous run grows: only a missing epoch that nothing fills for the whole
   * timeout is declared lost, not a stream that is merely out of order at a high rate.
   */
  observe(epoch: number, now = this.#clock.now()): void {
    if (epoch > this.#top) this.#top = epoch
    const before = this.#contiguous
    while (this.#heard.has(this.#contiguous + 1)) this.#heard.delete(++this.#contiguous)
    if (this.#contiguous >= this.#top) this.#gapSince = undefined
    else if (this.#contiguous > before) this.#gapSince = now
    else this.#gapSince ??= now
    this.#expireGap(now)
  }

  /** Whether an entry stamped `epoch` with these tags was invalidated since, as far as this instance can tell. */
  verdict(epoch: number, tags: readonly string[], now = this.#clock.now()): Verdict {
    if (!this.#ready) return 'unknown'
    this.#expireGap(now)
    if (epoch < this.#horizon) return 'unknown'
    if (this.#contiguous < this.#top && epoch < this.#top) return 'unknown'
    return isStale(epoch, tags, (tag) => this.#byTag.get(tag), this.#byTag.get(EVERYTHING)) ? 'stale' : 'fresh'
  }

  /**
   * A gap open longer than gapTimeoutMs: never heard of, so lost. Entries stamped below it can no longer be judged
   * here.
   */
  #expireGap(now: number): void {
    if (this.#gapSince === undefined || now - this.#gapSince <= this.#gapTimeoutMs) return
    this.#horizon = this.#contiguous = this.#top
    this.#heard.clear()
    this.#gapSince = undefined
    // Not ready (the bus is down): its L1 is not trusted, and it starts over from a fresh epoch when back up.
    if (this.#ready) this.#onLost?.()
  }

  /**
   * An epoch to stamp a fill with, taken before its query: every invalidation above it that this instance
   * has not heard of makes the fill stale, so an epoch lower than Redis's current one is safe (only more
   * conservative). Undefined when not ready.
   */
  snapshotEpoch(): number | undefined {
    return this.#ready ? this.#contiguous : undefined
  }
}
