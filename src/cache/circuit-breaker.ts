import type { Clock } from './clock.js'

/** Thrown instead of calling a tier whose circuit is open. */
export class CircuitOpenError extends Error {
  constructor(what: string, retryInMs: number) {
    super(
      `${what} is not called for ${Math.max(0, Math.round(retryInMs))} ms more: it failed repeatedly (circuit open)`,
    )
    this.name = 'CircuitOpenError'
  }
}

export type CircuitState = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 3. */
  threshold?: number
  /** How long it stays open before one probe call. Default 2000 ms. */
  breakMs?: number
  /** Milliseconds from any origin; default `performance`. Tests pass a clock they move by hand. */
  clock?: Clock | undefined
}

/**
 * Stops calling a failing dependency for a while, then lets one call through to probe it.
 * closed → (threshold consecutive failures) → open for breakMs → half-open: one probe call →
 * success: closed; failure: open again.
 */
export class CircuitBreaker {
  readonly threshold: number
  readonly breakMs: number
  #failures = 0
  #openUntil = 0
  #probing = false
  #opens = 0
  readonly #clock: Clock

  constructor(options: CircuitBreakerOptions = {}) {
    this.#clock = options.clock ?? performance
    this.threshold = options.threshold ?? 3
    this.breakMs = options.breakMs ?? 2000
    if (!Number.isSafeInteger(this.threshold) || this.threshold < 1)
      throw new RangeError(`circuit breaker threshold must be an integer >= 1, got ${this.threshold}`)
    if (!Number.isFinite(this.breakMs) || this.breakMs <= 0)
      throw new RangeError(`circuit breaker breakMs must be > 0, got ${this.breakMs}`)
  }

  get state(): CircuitState {
    if (this.#failures < this.threshold) return 'closed'
    return this.#clock.now() < this.#openUntil || this.#probing ? 'open' : 'half-open'
  }

  /** How many times it opened. */
  get opens(): number {
    return this.#opens
  }

  /**
   * Runs `call`, or rejects at once with CircuitOpenError while open (or while another call is probing).
   * `force` runs it even then (for calls that must be attempted, like invalidations); its outcome still
   * counts, so a forced success closes the circuit. `what` names the call in the error thrown while the circuit is
   * open (or a function that builds the name then: TieredCache's, as this runs on every L2 call).
   */
  async run<T>(what: string | (() => string), call: () => Promise<T>, force = false): Promise<T> {
    let probe = false
    if (this.#failures >= this.threshold && !force) {
      const now = this.#clock.now()
      if (now < this.#openUntil || this.#probing)
        throw new CircuitOpenError(typeof what === 'string' ? what : what(), this.#openUntil - now)
      this.#probing = probe = true
    }
    try {
      const result = await call()
      this.#failures = 0
      return result
    } catch (error) {
      this.#failures++
      if (this.#failures >= this.threshold && (probe || this.#failures === this.threshold)) {
        this.#opens++
        this.#openUntil = this.#clock.now() + this.breakMs
      }
      throw error
    } finally {
      if (probe) this.#probing = false
    }
  }
}
