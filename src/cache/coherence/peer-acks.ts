/**
 * The writer's side of read-your-writes across instances: which other instances may still serve from their L1
 * (heard from within a lease), and waiting, after an invalidation was published, until each of them has
 * acknowledged it or its lease has lapsed.
 *
 * Why that is enough (docs/design.md, "Read-your-writes across instances"): an instance serves its L1 only until
 * `sentAt + leaseMs` of the last own heartbeat it heard back, after applying every message the bus delivered
 * before it. A heartbeat that Redis ordered after our invalidation is heard after it, so it renews nothing stale.
 * One ordered before it was sent before our PUBLISH was answered, and received here before our own message comes
 * back: so once we hear our message back, every instance that may serve stale data is in `#lastHeard`, and its
 * lease ends by the time we last heard it + leaseMs — and in any case by `published + leaseMs`.
 */
export class PeerAcks {
  /** When each other instance was last heard (performance.now()). */
  readonly #lastHeard = new Map<string, number>()
  readonly #waiting = new Map<number, Waiting>()
  #seq = 0
  /** Waits ended by the last acknowledgement (or with nobody to wait for); by a lease lapsing, or the bound. */
  readonly counts = { acknowledged: 0, lapsed: 0 }

  constructor(readonly leaseMs: number) {}

  /** Instances heard from within a lease. */
  get live(): number {
    const now = performance.now()
    let live = 0
    for (const at of this.#lastHeard.values()) if (now - at < this.leaseMs) live++
    return live
  }

  /** Another instance is alive (a heartbeat, or any message of its). */
  heard(from: string): void {
    this.#lastHeard.delete(from) // re-inserted last: the map stays in order of last heard, for pruning
    this.#lastHeard.set(from, performance.now())
    for (const [, at] of this.#lastHeard) {
      if (performance.now() - at < this.leaseMs) break
      this.#lastHeard.delete(this.#lastHeard.keys().next().value!)
    }
    for (const waiting of this.#waiting.values()) waiting.check()
  }

  /**
   * Numbers this instance's next invalidation and starts recording what is heard of it (its echo, acks may come
   * before its PUBLISH is answered). Call `wait()` once it was published, or `cancel()` if it could not be.
   */
  open(): { seq: number; wait(): Promise<void>; cancel(): void } {
    const seq = ++this.#seq
    const waiting = new Waiting(this, (acknowledged) => {
      this.#waiting.delete(seq)
      this.counts[acknowledged ? 'acknowledged' : 'lapsed']++
    })
    this.#waiting.set(seq, waiting)
    return {
      seq,
      // Waits until this instance heard it back and every instance heard from within a lease acknowledged it, or
      // that instance's lease lapsed; never longer than leaseMs from now.
      wait: () => waiting.start(performance.now() + this.leaseMs),
      cancel: () => this.#waiting.delete(seq),
    }
  }

  /** Our own invalidation `seq`, heard back: every instance ordered before it is known now. */
  echoed(seq: number): void {
    this.#waiting.get(seq)?.echo()
  }

  /** Instance `from` has applied our invalidation `seq`. */
  acked(from: string, seq: number): void {
    this.heard(from)
    this.#waiting.get(seq)?.ack(from)
  }

  /** Ends every wait (closing). */
  release(): void {
    for (const waiting of [...this.#waiting.values()]) waiting.end(false)
    this.#waiting.clear()
  }

  /** The instances whose acknowledgement is still awaited now, and when the first of their leases lapses. */
  pending(acked: ReadonlySet<string>): { count: number; lapsesAt: number } {
    let count = 0
    let lapsesAt = Number.POSITIVE_INFINITY
    const now = performance.now()
    for (const [from, at] of this.#lastHeard) {
      if (acked.has(from) || now - at >= this.leaseMs) continue
      count++
      lapsesAt = Math.min(lapsesAt, at + this.leaseMs)
    }
    return { count, lapsesAt }
  }
}

/** One write's wait. */
class Waiting {
  readonly #acked = new Set<string>()
  #echoed = false
  #timer: NodeJS.Timeout | undefined
  #deadline = Number.POSITIVE_INFINITY
  #resolve: (() => void) | undefined
  #done = false

  constructor(
    readonly peers: PeerAcks,
    readonly onEnd: (acknowledged: boolean) => void,
  ) {}

  start(deadline: number): Promise<void> {
    this.#deadline = deadline
    return new Promise((resolve) => {
      this.#resolve = resolve
      this.check()
    })
  }

  echo(): void {
    this.#echoed = true
    this.check()
  }

  ack(from: string): void {
    this.#acked.add(from)
    this.check()
  }

  /**
   * Ends the wait once this instance heard its message back and no live instance's acknowledgement is missing,
   * or at the deadline; otherwise sets a timer for the next lease to lapse. `lapse`: called by that timer.
   */
  check(lapse = false): void {
    if (this.#done || this.#resolve === undefined) return
    const now = performance.now()
    if (now >= this.#deadline) return this.end(false)
    const { count, lapsesAt } = this.peers.pending(this.#acked)
    if (this.#echoed && count === 0) return this.end(!lapse)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.check(true), Math.max(1, Math.min(lapsesAt, this.#deadline) - now))
  }

  end(acknowledged: boolean): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#timer)
    this.onEnd(acknowledged)
    this.#resolve?.()
  }
}
