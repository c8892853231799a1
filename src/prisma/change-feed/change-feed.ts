import type { DataModel } from '../data-model.js'

/** What the extension hands a change feed: the schema, and the same invalidation path Prisma writes take. */
export interface ChangeFeedTarget {
  dataModel: DataModel
  /** Invalidates (L2 epochs, then L1 and the bus); resolves once applied, rejects when it could not be. */
  invalidate(tags: Set<string> | 'all'): Promise<void>
  /** A failure the feed recovers from by itself (it reconnects); reported, never thrown at a query. */
  onError(error: unknown): void
}

export interface ChangeFeedStatus {
  /**
   * streaming: this instance consumes; standby: another consumer holds the slot; failed: a setup error (see
   * lastError).
   */
  state: 'starting' | 'streaming' | 'standby' | 'reconnecting' | 'failed' | 'closed'
  /** Everything committed up to this LSN has been invalidated and acknowledged to the server. */
  appliedLsn: string | undefined
  /** WAL the server has sent past appliedLsn and this consumer has not applied yet (bytes). */
  lagBytes: number
  /** How long this consumer has been behind (0 when caught up). */
  lagSeconds: number
  transactionsApplied: number
  /** Times the feed invalidated everything because it could not prove it had seen every change. */
  resets: number
  lastError: string | undefined
}

/** A source of committed changes from outside Prisma (the `changeFeed` option of cacheExtension). */
export interface ChangeFeed {
  /** Called once by the extension; the feed runs in the background until close(). */
  start(target: ChangeFeedTarget): void
  /** Resolves when the feed streams, rejects on a setup error (wal_level, publication, slot). */
  ready(): Promise<void>
  /** Resolves once every change committed up to `lsn` is applied (tests, benchmarks, read-your-writes). */
  waitFor(lsn: string, timeoutMs?: number): Promise<void>
  status(): ChangeFeedStatus
  /** Stops streaming and closes the feed's connections (the slot and publication stay: see the README). */
  close(): Promise<void>
}
