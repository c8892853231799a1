import type { TierName } from './errors.js'

/** What a TieredCache reports through `onEvent` / `on()`. */
export type TieredCacheEvent =
  | {
      type: 'tier-error'
      tier: TierName
      operation: string
      error: unknown
      /** Whether the failure failed the caller's operation (the tier is required). */
      failed: boolean
    }
  | {
      /** `bus: false` over a shared L2: a deliberate choice, told once (just after construction). */
      type: 'bus-disabled'
      message: string
    }
