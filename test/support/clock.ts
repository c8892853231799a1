/** A clock a test moves by hand (MemoryCache's `clock` option, an example backend's): TTL tests need no sleep. */
export interface ManualClock {
  now(): number
  advance(ms: number): void
}

export function manualClock(start = 1_000_000): ManualClock {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
  }
}
