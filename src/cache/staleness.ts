/**
 * The staleness rule of the epoch scheme, in one place. Every tier numbers its invalidations with one counter
 * (the epoch), stamps an entry with the epoch of the snapshot it was computed under, and remembers for each tag
 * (and for the everything-tag a clear bumps) the epoch of its last invalidation. An entry is stale iff the
 * everything-tag or one of its tags was invalidated at an epoch above the entry's own: an invalidation at or
 * below it happened before the value was computed.
 *
 * Used by MemoryCache (TagEpochs), RedisCache's in-process checks (redis/entry.ts) and the judgment of L2 entries
 * from what the bus told (KnownInvalidations). The Lua read script (redis/scripts.ts, GET_CHECKED) applies the
 * same rule inside Redis; test/cache/staleness.test.ts runs one table of cases against all of them.
 * A backend of your own can use it too (exported from `prisma-tiered-cache/cache`).
 */
export function isStale(
  entryEpoch: number,
  tags: readonly string[],
  /** The epoch of the tag's last invalidation; undefined when never invalidated (or forgotten). */
  invalidatedAt: (tag: string) => number | undefined,
  /** The epoch of the last clear (the everything-tag); undefined when never. */
  clearedAt: number | undefined,
): boolean {
  if ((clearedAt ?? 0) > entryEpoch) return true
  for (const tag of tags) if ((invalidatedAt(tag) ?? 0) > entryEpoch) return true
  return false
}
