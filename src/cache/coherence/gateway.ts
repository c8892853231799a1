import type { CacheBackend } from '../backend.js'

/**
 * The coherence wing's way back into its TieredCache: the two tiers, and the TieredCache's failure handling
 * around them (its L1 fallbacks, its L2 circuit breaker, its reporting). The wing never calls a tier directly.
 */
export interface CoherenceGateway {
  readonly l1: CacheBackend
  readonly l2: CacheBackend
  /** A failing L2 fails the operation (the TieredCache's `l2Required`). */
  readonly l2Required: boolean
  /** Whether the L2 circuit breaker keeps callers off L2 now. */
  readonly l2Down: boolean
  /** An L1 operation: a failure is reported and answered by `fallback` (a required L1 throws). */
  callL1<T>(operation: string, run: () => Promise<T>, fallback: T): Promise<T>
  /** An L2 call through the circuit breaker (`force`: attempted even while it is open); a failure rejects. */
  callL2<T>(operation: string, run: () => Promise<T>, force?: boolean): Promise<T>
  /** Reports an L2-side failure (`failed`: it fails the caller's operation). */
  report(operation: string, error: unknown, failed: boolean): void
}
