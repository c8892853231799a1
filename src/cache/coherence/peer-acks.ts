import type { Clock } from '../clock.js'

/**
 * The writer's side of read-your-writes across instances: which other instances may still serve from their L1
 * (heard from within a lease), and waiting, after an invalidation was published, until each of them has
 * acknowledged it or its lease has lapsed.
 *
 * Why that is enough (docs/design.md, "Read-your-writes across instances"): an instance serves its L1 only until
 * `sentAt + leaseMs` of the last own heartbeat it heard back, and only after applying every message the bus
 * delivered before that heartbeat. A heartbeat that Redis ordered after our invalidation is heard after it, so it
 * renews nothing stale. One ordered before it was sent before our PUBLISH was answered, and reached us before our
 * own message comes back: so when we hear our message back (the echo), every instance that may serve stale data
 * is among those heard so far, and its lease ends by the time we last heard it then + leaseMs. The wait ends when
 * each of those acknowledged or that time passed, and in any case leaseMs after the publish was answered.
 */
export class PeerAcks {
  /** When each other instance was last heard (on the clock), oldest first. */
  readonly #lastHeard = new Map<string, number>()
  readonly #waiting = new Map<number, Waiting>()
  #seq = 0
  /** Waits ended by the last acknowledgement (or with nobody to wait for); by a lease lapsing, or the bound. */
  readonly counts = { acknowledged: 0, lapsed: 0 }

  /** `clock`: the bus's time base (tests move it by hand, then call {@link recheck}). */
  constructor(
    readonly leaseMs: number,
    readonly clock: Clock = performance,
  ) {}

  /** Instances heard from within a lease. */
  get live(): number {
    return this.liveNow().size
  }

  /** Instance → when last heard, for those heard within a lease. */
  liveNow(): Map<string, number> {
    const now = this.clock.now()
    const live = new Map<string, number>()
    for (const [from, at] of this.#lastHeard) if (now - at < this.leaseMs) live.set(from, at)
    return live
  }

  /** Another instance is alive (a heartbeat, or any message of its). */
  heard(from: string): void {
    const now = this.clock.now()
    this.#lastHeard.delete(from) // re-inserted last: the map stays in order of last heard, for pruning
    this.#lastHeard.set(from, now)
    for (const [oldest, at] of this.#lastHeard) {
      if (now - at < this.leaseMs) break
      this.#lastHeard.delete(oldest)
    }
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
      // Never longer than leaseMs from now.
      wait: () => waiting.start(this.clock.now() + this.leaseMs),
      cancel: () => this.#waiting.delete(seq),
    }
  }

  /** Our own invalidation `seq`, heard back: every instance that may serve what it invalidated is known now. */
  echoed(seq: number): void {
    this.#waiting.get(seq)?.echo(this.liveNow())
  }

  /** Instance `from` has applied our invalidation `seq`. */
  acked(from: string, seq: number): void {
    this.heard(from)
    this.#waiting.get(seq)?.ack(from)
  }

  /** Checks every wait against the clock now (what each wait's timer does when it fires). */
  recheck(): void {
    for (const waiting of [...this.#waiting.values()]) waiting.check()
  }

  /** Ends every wait (closing). */
  release(): void {
    for (const waiting of [...this.#waiting.values()]) waiting.end(false)
    this.#waiting.clear()
  }
}

/** One write's wait. */
class Waiting {
  readonly #acked = new Set<string>()
  /** From the echo on: the instances to hear from, and when each was last heard at the echo. */
  #awaited: Map<string, number> | undefined
  #lapsed = false
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

  echo(live: Map<string, number>): void {
    this.#awaited ??= live
    this.check()
  }

  ack(from: string): void {
    this.#acked.add(from)
    this.check()
  }

  /**
   * Ends the wait once this instance heard its message back and each instance awaited acknowledged it or its
   * lease lapsed, or at the deadline; otherwise sets a timer for the next lease to lapse.
   */
  check(): void {
    if (this.#done || this.#resolve === undefined) return
    const now = this.peers.clock.now()
    if (now >= this.#deadline) return this.end(false)
    let lapsesAt = this.#deadline
    if (this.#awaited) {
      let missing = 0
      for (const [from, at] of this.#awaited) {
        if (this.#acked.has(from)) continue
        if (now >= at + this.peers.leaseMs) {
          this.#lapsed = true
          continue
        }
        missing++
        lapsesAt = Math.min(lapsesAt, at + this.peers.leaseMs)
      }
      if (missing === 0) return this.end(!this.#lapsed)
    }
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.check(), Math.max(1, lapsesAt - now))
  }

  end(acknowledged: boolean): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#timer)
    this.onEnd(acknowledged)
    this.#resolve?.()
  }
}
