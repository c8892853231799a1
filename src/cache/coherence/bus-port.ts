/**
 * The invalidation bus as the coherence wing needs it: the port a transport implements (RedisBus, src/bus).
 * Owned here, by its user, so that the transport depends on the cache and never the reverse.
 */
import type { CloseOptions } from '../backend.js'
import type { Clock } from '../clock.js'

/**
 * What one instance tells the others after it has invalidated L2. `epochs` / `epoch`: the numbers L2 gave these
 * invalidations (RedisCache), one per tag, so that receivers can judge L2 entries without asking L2.
 */
export type InvalidationMessage =
  | { kind: 'tags'; tags: readonly string[]; epochs?: readonly number[] }
  | { kind: 'pattern'; pattern: string }
  | { kind: 'keys'; keys: readonly string[] }
  | { kind: 'clear'; epoch?: number }

/** An instance telling the writer `to` that it has applied that writer's invalidation number `seq` to its L1. */
export interface AckMessage {
  kind: 'ack'
  to: string
  seq: number
}

/** Everything that travels on the bus besides heartbeats. */
export type BusMessage = InvalidationMessage | AckMessage

/** Who sent a message: the sender's instance id and, for an invalidation, the number the sender gave it. */
export interface BusOrigin {
  from: string
  seq?: number
  /** This instance's own message, heard back (the bus delivers every message to every subscriber, in one order). */
  self: boolean
}

/** A heartbeat heard: another instance's (it is alive), or this instance's own with the time it was sent. */
export interface Beat {
  from: string
  self: boolean
  /** For this instance's own beat: when it was published, on the bus's {@link InvalidationBus.clock}. */
  sentAt?: number
}

export interface BusHandlers {
  /** A message; this instance's own are delivered too (`origin.self`), in the order the bus delivers them. */
  onMessage(message: BusMessage, origin: BusOrigin): void | Promise<void>
  /** A heartbeat (see {@link InvalidationBus.heartbeatMs}). */
  onBeat?(beat: Beat): void
  /** The subscription is down: messages may be missed from now on. */
  onDown(): void
  /** The subscription is (again) up: messages are received from now on. */
  onUp(): void | Promise<void>
}

/** Carries invalidations between instances that share an L2. */
export interface InvalidationBus {
  /** Whether messages are being received right now. */
  readonly connected: boolean
  /** This instance's id on the bus (in every origin). */
  readonly instanceId: string
  /**
   * Every instance publishes a heartbeat this often (false: none). With heartbeats, an instance serves its L1
   * only under a lease renewed by its own heartbeat heard back, and a writer waits for the acknowledgements of
   * the instances it heard from (docs/design.md, "Read-your-writes across instances").
   */
  readonly heartbeatMs: number | false
  /** The time base of `Beat.sentAt`, and so of the leases (`performance` when absent; tests pass one they move). */
  readonly clock?: Clock
  /** Starts receiving; handlers are called from then on. */
  start(handlers: BusHandlers): Promise<void>
  /**
   * Sends to every instance (this one hears it back). `seq`: this instance's number for an invalidation. Rejects
   * when it could not be sent.
   */
  publish(message: BusMessage, seq?: number): Promise<void>
  /** Stops receiving and closes what the bus opened; `clients: true` also closes the client it was given. */
  close(options?: CloseOptions): Promise<void>
}

/**
 * A shared tier (RedisCache) that opens an invalidation bus for the instances sharing it; the caller owns the bus
 * (closes it). A TieredCache over such a tier uses one by default.
 */
export interface OpensBus {
  openBus(): InvalidationBus
}

export function opensBus(backend: object): backend is OpensBus {
  return typeof (backend as Partial<OpensBus>).openBus === 'function'
}
