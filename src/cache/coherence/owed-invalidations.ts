/**
 * Invalidations a failing L2 missed, kept by TieredCache and replayed, in order, before L2 is read or written
 * again: L2 may still hold entries they should have removed, and serving those would be serving stale data.
 */
import type { Clock } from '../clock.js'

/** One invalidation L2 missed. */
export type OwedInvalidation =
  | { kind: 'tags'; tags: string[] }
  | { kind: 'pattern'; pattern: string }
  | { kind: 'key'; key: string }
  | { kind: 'clear' }

/** Past this many pending invalidations, they are replaced by one clear() of L2. */
const MAX_OWED = 10_000
/** Least time between two attempts to replay pending invalidations to a failing L2. */
const RETRY_MS = 1_000

export class OwedInvalidations {
  #queue: OwedInvalidation[] = []
  #retryAt = 0
  /**
   * The replay in progress: callers arriving meanwhile join it (two replays at once would each remove the other's
   * item).
   */
  #settling: Promise<boolean> | undefined

  /** `clock`: where the retry pacing reads the time (tests move it by hand). */
  constructor(private readonly clock: Clock = performance) {}

  get size(): number {
    return this.#queue.length
  }

  /** Remembers one; past {@link MAX_OWED} the whole queue collapses into a clear (bounded memory, still correct). */
  add(owed: OwedInvalidation): void {
    this.#queue.push(owed)
    if (this.#queue.length > MAX_OWED) this.#queue = [{ kind: 'clear' }]
    this.#retryAt = this.clock.now() + RETRY_MS
  }

  /**
   * True when nothing is owed. Otherwise replays what is owed (at most once a second, or now if `urgent`), oldest
   * first, each removed only once `replay` resolved; true once all are through, including any added meanwhile. A
   * failing replay stops there, is given to `failed`, and answers false. One replay runs at a time: a caller that
   * comes while one runs gets its answer.
   */
  settle(
    replay: (owed: OwedInvalidation) => Promise<void>,
    failed: (error: unknown) => void,
    urgent = false,
  ): Promise<boolean> {
    if (this.#queue.length === 0) return Promise.resolve(true)
    if (this.#settling) return this.#settling
    if (!urgent && this.clock.now() < this.#retryAt) return Promise.resolve(false)
    this.#retryAt = this.clock.now() + RETRY_MS
    this.#settling = this.#replayAll(replay, failed).finally(() => (this.#settling = undefined))
    return this.#settling
  }

  async #replayAll(
    replay: (owed: OwedInvalidation) => Promise<void>,
    failed: (error: unknown) => void,
  ): Promise<boolean> {
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!
        await replay(head)
        // Unless the queue collapsed into a clear meanwhile (which the next turn replays).
        if (this.#queue[0] === head) this.#queue.shift()
      }
      return true
    } catch (error) {
      failed(error)
      return false
    }
  }
}
