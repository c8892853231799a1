/**
 * Invalidations a failing L2 missed, kept by TieredCache and replayed, in order, before L2 is read or written
 * again: L2 may still hold entries they should have removed, and serving those would be serving stale data.
 */

/** One invalidation L2 missed. */
export type OwedInvalidation = { kind: 'tags'; tags: string[] } | { kind: 'pattern'; pattern: string } | { kind: 'key'; key: string } | { kind: 'clear' }

/** Past this many pending invalidations, they are replaced by one clear() of L2. */
const MAX_OWED = 10_000
/** Least time between two attempts to replay pending invalidations to a failing L2. */
const RETRY_MS = 1_000

export class OwedInvalidations {
  #queue: OwedInvalidation[] = []
  #retryAt = 0

  get size(): number {
    return this.#queue.length
  }

  /** Remembers one; past {@link MAX_OWED} the whole queue collapses into a clear (bounded memory, still correct). */
  add(owed: OwedInvalidation): void {
    this.#queue.push(owed)
    if (this.#queue.length > MAX_OWED) this.#queue = [{ kind: 'clear' }]
    this.#retryAt = performance.now() + RETRY_MS
  }

  /**
   * True when nothing is owed. Otherwise replays what is owed (at most once a second, or now if `urgent`), oldest
   * first, each removed only once `replay` resolved; true once all are through. A failing replay stops there,
   * is given to `failed`, and answers false.
   */
  async settle(replay: (owed: OwedInvalidation) => Promise<void>, failed: (error: unknown) => void, urgent = false): Promise<boolean> {
    if (this.#queue.length === 0) return true
    if (!urgent && performance.now() < this.#retryAt) return false
    this.#retryAt = performance.now() + RETRY_MS
    try {
      while (this.#queue.length > 0) {
        await replay(this.#queue[0]!)
        this.#queue.shift()
      }
      return true
    } catch (error) {
      failed(error)
      return false
    }
  }
}
