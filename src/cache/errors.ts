/** Which tier of a {@link TieredCache} an error came from. */
export type TierName = 'l1' | 'l2'

/** Thrown by TieredCache when a tier marked required (`l1Required` / `l2Required`) fails. */
export class CacheTierError extends Error {
  readonly tier: TierName
  readonly operation: string

  constructor(tier: TierName, operation: string, cause: unknown) {
    super(`Cache tier ${tier} failed during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    })
    this.name = 'CacheTierError'
    this.tier = tier
    this.operation = operation
  }
}

/** A Redis command that did not answer within the configured operation timeout. */
export class CacheTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`Cache operation ${operation} timed out after ${timeoutMs} ms`)
    this.name = 'CacheTimeoutError'
  }
}

/** A Redis command not sent because the client has lost its connection (it is reconnecting, or was closed). */
export class CacheUnavailableError extends Error {
  constructor(operation: string, status: string) {
    super(`Cache operation ${operation} failed at once: the Redis client is ${status}`)
    this.name = 'CacheUnavailableError'
  }
}
