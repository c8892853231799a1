import { escapeGlob } from '../pattern.js'

/**
 * Where a RedisCache keeps things, all under its prefix (default `ptc:`):
 * - entries:   `<prefix>d:<key>`            e.g. `ptc:d:User:id=1` — spread over all slots;
 * - tag epochs `<prefix>{<prefix>}t:<tag>`  e.g. `ptc:{ptc:}t:User`;
 * - the epoch counter `<prefix>{<prefix>}epoch` and the everything-tag `<prefix>{<prefix>}all`;
 * - miss-coalescing locks `<prefix>l:<key>`.
 * The `{<prefix>}` hash tag puts every tag key and the counter in one cluster slot, so an invalidation of any
 * number of tags is a single script and reading an entry's tags is a single MGET: no CROSSSLOT, ever.
 * The cost is that this one slot takes every tag read on a cluster (documented in docs/design.md).
 */
export class RedisKeyspace {
  readonly prefix: string
  readonly epoch: string
  readonly all: string
  readonly tagPrefix: string
  readonly #dataPrefix: string

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
      throw new TypeError(
        `RedisCache prefix must be a non-empty string without "{" or "}" (they would change the cluster hash slot), got ${JSON.stringify(prefix)}`,
      )
    }
    this.prefix = prefix
    this.#dataPrefix = `${prefix}d:`
    const slot = `${prefix}{${prefix}}`
    this.epoch = `${slot}epoch`
    this.all = `${slot}all`
    this.tagPrefix = `${slot}t:`
  }

  data(key: string): string {
    return this.#dataPrefix + key
  }

  /** Locks live beside the entry they protect (same slot when the key has no hash tag of its own). */
  lock(key: string): string {
    return `${this.prefix}l:${key}`
  }

  tag(tag: string): string {
    return this.tagPrefix + tag
  }

  /** The SCAN MATCH pattern for entries whose key matches `glob` (the prefix escaped, the glob as given). */
  dataMatch(glob: string): string {
    return escapeGlob(this.#dataPrefix) + glob
  }
}
