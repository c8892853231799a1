import type { Clock } from './clock.js'
import { isStale } from './staleness.js'

/**
 * Versioned tag invalidation for an in-process tier (the Redis tier keeps the same state in Redis).
 *
 * One counter (the epoch) grows by one per invalidation. An entry remembers the epoch of the snapshot it
 * was computed under; a tag remembers the epoch of its last invalidation. An entry is fresh iff every one of
 * its tags, and the implicit everything-tag that `clear()` bumps, was last invalidated at or before the
 * entry's epoch. So invalidation is O(number of tags), whatever number of entries carry them, and it is
 * exact even for an entry whose write lands after the invalidation (race-safe fills).
 *
 * A tag's record is needed only while an entry computed before its invalidation can still be alive:
 * entries live at most maxTtl and their snapshot may be at most maxTtl old when they are written, so a tag
 * record is dropped 2 × maxTtl after its last invalidation. Memory therefore stays bounded by the number of
 * distinct tags invalidated in that window, not by how many entries ever existed.
 */
export class TagEpochs {
  #epoch = 0
  #all = 0
  readonly #tags = new Map<string, { epoch: number; expiresAt: number }>()
  readonly #retainMs: number
  readonly #clock: Clock

  constructor(retainMs: number, clock: Clock = performance) {
    this.#retainMs = retainMs
    this.#clock = clock
  }

  /** The epoch a value computed from now on is written under. */
  current(): number {
    return this.#epoch
  }

  /** Invalidates tags: every entry written under an earlier snapshot and carrying one of them is stale. */
  bump(tags: readonly string[]): void {
    const epoch = ++this.#epoch
    const expiresAt = this.#clock.now() + this.#retainMs
    for (const tag of tags) {
      // delete + set keeps the Map in expiry order, so pruning can stop at the first live record.
      this.#tags.delete(tag)
      this.#tags.set(tag, { epoch, expiresAt })
    }
    this.#prune()
  }

  /** Invalidates every entry (clear). */
  bumpAll(): void {
    this.#all = ++this.#epoch
  }

  /** Whether an entry written under `epoch` with these tags may be served. */
  isFresh(epoch: number, tags: readonly string[]): boolean {
    return !isStale(epoch, tags, (tag) => this.#tags.get(tag)?.epoch, this.#all)
  }

  /** How many tag records are held (for tests of the memory bound). */
  get trackedTags(): number {
    return this.#tags.size
  }

  /** Amortized O(1): records are in expiry order and each is deleted once. */
  #prune(): void {
    const now = this.#clock.now()
    for (const [tag, record] of this.#tags) {
      if (record.expiresAt > now) break
      this.#tags.delete(tag)
    }
  }
}
