import { createRequire } from 'node:module'
import type { ChangeFeed, ChangeFeedStatus, ChangeFeedTarget } from './change-feed.js'
import { changeTags, type RowChange } from './change-tags.js'
import { lsnText, lsnValue } from './lsn.js'
import { ChangeFeedSetupError, checkWalLevel, ensurePublication, ensureSlot, type SqlClient } from './postgres-setup.js'
import { schemaTableNames } from './tables.js'

export interface PostgresChangeFeedOptions {
  /**
   * A `postgres://` URL of the database Prisma uses; the user needs the REPLICATION attribute (or
   * rds_replication...).
   */
  connectionString: string
  /** Schema of the tables. Default: the connection's current_schema(). */
  schema?: string
  /** Persistent logical replication slot. Default `prisma_tiered_cache`. */
  slot?: string
  /** Publication over the schema's tables. Default `prisma_tiered_cache`. */
  publication?: string
  /** Create the publication when it is absent. Default true; false: a missing one is an error naming the SQL. */
  createPublication?: boolean
  /** Delay before reconnecting, or before trying again to take the slot another instance holds. Default 1000 ms. */
  retryMs?: number
  /** Disconnected longer than this, the feed invalidates everything (it cannot prove what it missed). Default 30 s. */
  staleAfterMs?: number
  /** Warn (onWarning) when this consumer is this many bytes of WAL behind. Default 64 MiB. */
  lagWarningBytes?: number
  /** Default console.warn. */
  onWarning?: (message: string) => void
}

type PgModule = { Client: new (config: { connectionString: string }) => SqlClient & { connect(): Promise<void> } }

/** The part of pg-logical-replication the feed uses. */
interface ReplicationService {
  on(event: 'data', listener: (lsn: string, message: StreamMessage) => void): unknown
  on(event: 'heartbeat', listener: (lsn: string, timestamp: number, shouldRespond: boolean) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'start', listener: () => void): unknown
  subscribe(plugin: unknown, slot: string, startLsn: string): Promise<unknown>
  acknowledge(lsn: string, ping?: boolean): Promise<boolean>
  destroy(): Promise<unknown>
}
type ReplicationModule = {
  LogicalReplicationService: new (client: { connectionString: string }, config: object) => ReplicationService
  PgoutputPlugin: new (options: { protoVersion: 1; publicationNames: string[] }) => unknown
}
type Relation = { schema: string; name: string }
type Row = Record<string, unknown>
type StreamMessage =
  | { tag: 'begin' | 'commit' | 'relation' | 'type' | 'origin' | 'message' }
  | { tag: 'insert'; relation: Relation; new: Row }
  | { tag: 'update'; relation: Relation; key: Row | null; old: Row | null; new: Row }
  | { tag: 'delete'; relation: Relation; key: Row | null; old: Row | null }
  | { tag: 'truncate'; relations: Relation[] }

/** Commits whose invalidations may be in flight at once (then the stream waits). */
const MAX_APPLYING = 64
const NAME = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Invalidation from PostgreSQL's logical replication stream (pgoutput), so writes Prisma never sees (psql, other
 * services, migrations) stop being served: `cacheExtension({ cache, changeFeed: postgresChangeFeed({ ... }) })`.
 * See docs/design.md, "Change feed", for the guarantees and the test behind each.
 */
export function postgresChangeFeed(options: PostgresChangeFeedOptions): ChangeFeed {
  const at = (field: string) => `prisma-tiered-cache: postgresChangeFeed({ ${field} })`
  if (typeof options !== 'object' || options === null) throw new TypeError(`${at('...')}: options must be an object`)
  const known = [
    'connectionString',
    'schema',
    'slot',
    'publication',
    'createPublication',
    'retryMs',
    'staleAfterMs',
    'lagWarningBytes',
    'onWarning',
  ]
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw new TypeError(`${at(key)}: unknown option (allowed: ${known.join(', ')})`)
  if (typeof options.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(options.connectionString)) {
    throw new TypeError(`${at('connectionString')}: must be a postgres:// or postgresql:// URL`)
  }
  for (const field of ['slot', 'publication'] as const) {
    const value = options[field]
    if (value !== undefined && (typeof value !== 'string' || !NAME.test(value))) {
      throw new TypeError(
        `${at(field)}: must be a lower-case identifier of at most 63 characters ([a-z_][a-z0-9_]*), got ${JSON.stringify(value)}`,
      )
    }
  }
  if (options.schema !== undefined && (typeof options.schema !== 'string' || options.schema === ''))
    throw new TypeError(`${at('schema')}: must be a non-empty string`)
  for (const field of ['retryMs', 'staleAfterMs', 'lagWarningBytes'] as const) {
    const value = options[field]
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0))
      throw new RangeError(`${at(field)}: must be a positive number, got ${String(value)}`)
  }
  if (options.createPublication !== undefined && typeof options.createPublication !== 'boolean')
    throw new TypeError(`${at('createPublication')}: must be a boolean`)
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function')
    throw new TypeError(`${at('onWarning')}: must be a function`)
  return new PostgresChangeFeed(options)
}

/**
 * Changes of one transaction, applied when its commit arrives (a rollback never arrives: pgoutput sends commits
 * only).
 */
interface OpenTransaction {
  tags: Set<string> | 'all'
}

class PostgresChangeFeed implements ChangeFeed {
  readonly #options: Required<Omit<PostgresChangeFeedOptions, 'schema'>> & { schema: string | undefined }
  #target: ChangeFeedTarget | undefined
  #closed = false
  #state: ChangeFeedStatus['state'] = 'starting'
  #service: ReplicationService | undefined
  #loop: Promise<void> | undefined
  #wake: (() => void) | undefined
  /** Messages are handled one at a time, in stream order (invalidations are async). */
  #queue: Promise<void> = Promise.resolve()
  #transaction: OpenTransaction | undefined
  #applied: bigint | undefined
  /** The furthest WAL position the server has told us about. */
  #serverLsn = 0n
  #behindSince: number | undefined
  #transactions = 0
  #resets = 0
  #lastError: string | undefined
  #disconnectedAt: number | undefined
  #warned = false
  #waiters = new Set<{ lsn: bigint; resolve: () => void }>()
  #ready: { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void }

  constructor(options: PostgresChangeFeedOptions) {
    this.#options = {
      connectionString: options.connectionString,
      schema: options.schema,
      slot: options.slot ?? 'prisma_tiered_cache',
      publication: options.publication ?? 'prisma_tiered_cache',
      createPublication: options.createPublication ?? true,
      retryMs: options.retryMs ?? 1000,
      staleAfterMs: options.staleAfterMs ?? 30_000,
      lagWarningBytes: options.lagWarningBytes ?? 64 * 1024 * 1024,
      onWarning: options.onWarning ?? ((message) => console.warn(message)),
    }
    let resolve!: () => void
    let reject!: (error: unknown) => void
    const promise = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)))
    promise.catch(() => {}) // ready() is optional: an unobserved setup error is still reported through onError
    this.#ready = { promise, resolve, reject }
  }

  start(target: ChangeFeedTarget): void {
    if (this.#target)
      throw new Error('prisma-tiered-cache: a postgresChangeFeed serves one cacheExtension; create one per extension')
    this.#target = target
    this.#loop = this.#run()
  }

  ready(): Promise<void> {
    return this.#ready.promise
  }

  status(): ChangeFeedStatus {
    const lag = this.#applied === undefined || this.#serverLsn <= this.#applied ? 0n : this.#serverLsn - this.#applied
    return {
      state: this.#state,
      appliedLsn: this.#applied === undefined ? undefined : lsnText(this.#applied),
      lagBytes: Number(lag),
      lagSeconds: this.#behindSince === undefined ? 0 : (Date.now() - this.#behindSince) / 1000,
      transactionsApplied: this.#transactions,
      resets: this.#resets,
      lastError: this.#lastError,
    }
  }

  async waitFor(lsn: string, timeoutMs = 10_000): Promise<void> {
    const target = lsnValue(lsn)
    if (this.#applied !== undefined && this.#applied >= target) return
    let waiter!: { lsn: bigint; resolve: () => void }
    const reached = new Promise<void>((resolve) => this.#waiters.add((waiter = { lsn: target, resolve })))
    // Ask the server for a keepalive now and then: when it reports a position past `lsn` with no transaction
    // open, everything before it has been handled (see #onKeepalive).
    const ping = setInterval(() => void this.#service?.acknowledge(this.#ackText(), true).catch(() => {}), 20)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `prisma-tiered-cache: change feed did not apply ${lsn} within ${timeoutMs} ms (${JSON.stringify(this.status())})`,
            ),
          ),
        timeoutMs,
      )
    })
    try {
      await Promise.race([reached, timeout])
    } finally {
      clearInterval(ping)
      clearTimeout(timer)
      this.#waiters.delete(waiter)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#state = 'closed'
    this.#wake?.()
    await this.#service?.destroy().catch(() => {})
    await this.#loop
    this.#ready.reject(new Error('prisma-tiered-cache: the change feed was closed'))
  }

  /** Streams until closed: each session ends on an error or when the slot is busy, then waits and tries again. */
  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#session()
      } catch (error) {
        if (this.#closed) break
        this.#lastError = error instanceof Error ? error.message : String(error)
        this.#target?.onError(error)
        if (error instanceof ChangeFeedSetupError) {
          this.#state = 'failed'
          this.#ready.reject(error)
        }
      }
      if (this.#closed) break
      if (this.#state === 'streaming') this.#state = 'reconnecting'
      this.#disconnectedAt ??= Date.now()
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.retryMs)
        this.#wake = () => (clearTimeout(timer), resolve())
      })
      await this.#resetIfStale()
    }
  }

  /** A consumer cut off past staleAfterMs cannot prove what it missed meanwhile: everything goes. */
  async #resetIfStale(): Promise<void> {
    if (this.#state !== 'reconnecting' || this.#disconnectedAt === undefined) return
    if (Date.now() - this.#disconnectedAt < this.#options.staleAfterMs) return
    this.#disconnectedAt = Date.now()
    await this.#reset()
  }

  async #reset(): Promise<void> {
    this.#resets++
    await this.#target!.invalidate('all')
  }

  async #session(): Promise<void> {
    const { Client } = loadPeer<PgModule>('pg')
    const replication = loadPeer<ReplicationModule>('pg-logical-replication')
    const sql = new Client({ connectionString: this.#options.connectionString })
    let slot
    try {
      await sql.connect()
      await checkWalLevel(sql)
      const schema = this.#options.schema ?? String((await sql.query('SELECT current_schema() AS s')).rows[0]?.['s'])
      this.#schema = schema
      await ensurePublication(
        sql,
        this.#options.publication,
        schema,
        schemaTableNames(this.#target!.dataModel, schema),
        this.#options.createPublication,
      )
      slot = await ensureSlot(sql, this.#options.slot)
    } finally {
      await sql.end().catch(() => {})
    }
    if (slot === 'busy') {
      // Another instance consumes: PostgreSQL lets one connection stream from a slot at a time, and only that
      // one's acknowledgements move it. This instance stands by and takes over when the slot is free.
      this.#state = 'standby'
      this.#disconnectedAt = undefined
      this.#ready.resolve()
      return
    }
    if (slot === 'created') await this.#reset()
    const service = new replication.LogicalReplicationService(
      { connectionString: this.#options.connectionString },
      // Never acknowledge what was only received: #apply acknowledges after the invalidations are applied.
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    )
    this.#service = service
    this.#queue = Promise.resolve()
    this.#transaction = undefined
    let failed: unknown
    const fail = (error: unknown) => {
      failed ??= error
      void service.destroy().catch(() => {})
    }
    this.#fail = fail
    this.#settled = Promise.resolve()
    this.#applying = 0
    service.on('error', fail)
    service.on('start', () => {
      this.#state = 'streaming'
      this.#disconnectedAt = undefined
      this.#lastError = undefined
      this.#ready.resolve()
    })
    service.on('data', (lsn, message) => this.#enqueue(() => this.#onMessage(lsn, message), fail))
    service.on('heartbeat', (lsn, _time, respond) => this.#enqueue(() => this.#onKeepalive(lsn, respond), fail))
    const plugin = new replication.PgoutputPlugin({ protoVersion: 1, publicationNames: [this.#options.publication] })
    try {
      // '0/0': start where the slot's confirmed position is (what this or an earlier consumer acknowledged).
      await service.subscribe(plugin, this.#options.slot, '0/0')
    } finally {
      this.#service = undefined
      await service.destroy().catch(() => {})
    }
    if (failed !== undefined) throw failed
  }

  #schema: string | undefined
  /** Applied commits, in commit order (see #commit); per session. */
  #settled: Promise<void> = Promise.resolve()
  #applying = 0
  #fail: ((error: unknown) => void) | undefined

  #enqueue(work: () => Promise<void>, fail: (error: unknown) => void): void {
    this.#queue = this.#queue.then(work).catch(fail)
  }

  async #onMessage(lsn: string, message: StreamMessage): Promise<void> {
    // Received but not yet applied is lag too: a consumer whose invalidations cannot keep up falls behind here.
    const position = lsnValue(lsn)
    if (position > this.#serverLsn) this.#serverLsn = position
    switch (message.tag) {
      case 'begin':
        this.#transaction = { tags: new Set() }
        return
      case 'commit':
        this.#noteLag()
        await this.#commit(position)
        return
      case 'insert':
        return this.#add({ kind: 'insert', table: this.#table(message.relation), new: message.new })
      case 'update':
        return this.#add({
          kind: 'update',
          table: this.#table(message.relation),
          old: message.key ?? message.old ?? undefined,
          new: message.new,
        })
      case 'delete':
        return this.#add({
          kind: 'delete',
          table: this.#table(message.relation),
          old: message.key ?? message.old ?? undefined,
        })
      case 'truncate':
        return this.#add({ kind: 'truncate', tables: message.relations.map((relation) => this.#table(relation)) })
      default:
        return
    }
  }

  /** A table of another schema is unknown to the data model (the empty name maps to no model: 'all'). */
  #table(relation: Relation): string {
    return relation.schema === this.#schema ? relation.name : ''
  }

  #add(change: RowChange): void {
    const transaction = (this.#transaction ??= { tags: new Set() })
    if (transaction.tags === 'all') return
    const tags = changeTags(this.#target!.dataModel, change, this.#schema!)
    if (tags === 'all') transaction.tags = 'all'
    else for (const tag of tags) transaction.tags.add(tag)
  }

  /**
   * The commit: its invalidation starts now, and overlaps those of the next commits (Redis round trips must not
   * add up at a thousand commits a second); the slot is acknowledged in commit order, each commit only once it and
   * every earlier one are applied. A failed invalidation breaks the chain: nothing after it is acknowledged, and
   * the session ends so that the server delivers it again. At most MAX_APPLYING commits apply at a time.
   */
  async #commit(lsn: bigint): Promise<void> {
    const tags = this.#transaction?.tags
    this.#transaction = undefined
    const applying =
      tags !== undefined && (tags === 'all' || tags.size > 0) ? this.#target!.invalidate(tags) : undefined
    applying?.catch(() => {}) // awaited, and its failure handled, in the chain below
    this.#applying++
    this.#inOrder(async () => {
      try {
        await applying
      } finally {
        this.#applying--
      }
      this.#transactions++
      this.#advance(lsn)
      await this.#service?.acknowledge(this.#ackText())
    })
    if (this.#applying >= MAX_APPLYING) await this.#settled.catch(() => {})
  }

  /**
   * A keepalive reports how far the server has sent. With no transaction open, every change before it has been
   * handled (messages are handled in order), so the slot may move there too once the commits before it are
   * applied: otherwise WAL of tables outside the publication would stay retained until the next commit of ours.
   */
  async #onKeepalive(lsn: string, respond: boolean): Promise<void> {
    const position = lsnValue(lsn)
    if (position > this.#serverLsn) this.#serverLsn = position
    this.#noteLag()
    const open = this.#transaction !== undefined
    this.#inOrder(async () => {
      if (!open && position > 0n) this.#advance(position)
      if (respond || !open) await this.#service?.acknowledge(this.#ackText())
    })
  }

  /** Runs `step` after every earlier one; once a step fails, no later one runs (the session is failing). */
  #inOrder(step: () => Promise<void>): void {
    this.#settled = this.#settled.then(step)
    const fail = this.#fail
    this.#settled.catch((error: unknown) => fail?.(error))
  }

  #advance(lsn: bigint): void {
    if (this.#applied === undefined || lsn > this.#applied) this.#applied = lsn
    if (lsn > this.#serverLsn) this.#serverLsn = lsn
    for (const waiter of this.#waiters) if (this.#applied >= waiter.lsn) waiter.resolve()
    this.#noteLag()
  }

  #noteLag(): void {
    const behind = this.#applied === undefined ? 0n : this.#serverLsn - this.#applied
    if (behind <= 0n) this.#behindSince = undefined
    else this.#behindSince ??= Date.now()
    const over = behind >= BigInt(this.#options.lagWarningBytes)
    if (over && !this.#warned)
      this.#options.onWarning(
        `prisma-tiered-cache: change feed is ${behind} bytes of WAL behind (slot "${this.#options.slot}")`,
      )
    this.#warned = over
  }

  /** pg-logical-replication acknowledges `lsn + 1`: pass the last applied position minus one. */
  #ackText(): string {
    const applied = this.#applied ?? 0n
    return lsnText(applied > 0n ? applied - 1n : 0n)
  }
}

/** Loads an optional peer dependency on first use (in both builds), or says which package to install. */
function loadPeer<T>(name: string): T {
  try {
    return createRequire(import.meta.url)(name) as T
  } catch (error) {
    throw new ChangeFeedSetupError(
      `prisma-tiered-cache: postgresChangeFeed needs the ${name} package (npm install pg pg-logical-replication)`,
      { cause: error },
    )
  }
}
