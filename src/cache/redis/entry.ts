/**
 * An entry as RedisCache stores it: `<header JSON>\n<payload>`, header `[epoch, [tags...], expiresAt]`.
 * JSON text never holds a raw newline, so the first `\n` ends the header. The scripts in scripts.ts read the
 * same format inside Redis; the functions here are the in-process side (the cluster read, the read with
 * expected tags, the plain GET judged by localTagCheck).
 */

export interface EntryHeader {
  /** The invalidation epoch the entry was written under (its snapshot). */
  epoch: number
  tags: string[]
  /** Wall-clock ms; absent from entries written before it was added. */
  expiresAt: number | undefined
}

/** The header of a stored entry, or undefined when it is corrupt. */
export function parseHeader(text: string): EntryHeader | undefined {
  const newline = text.indexOf('\n')
  if (newline < 0) return undefined
  try {
    const header: unknown = JSON.parse(text.slice(0, newline))
    if (!Array.isArray(header) || typeof header[0] !== 'number' || !Array.isArray(header[1]) || !header[1].every((t) => typeof t === 'string')) return undefined
    return { epoch: header[0], tags: header[1] as string[], expiresAt: typeof header[2] === 'number' ? header[2] : undefined }
  } catch {
    return undefined
  }
}

/** `<header JSON>\n`: what DELETE_IF_HEADER compares, so a stale entry is removed without racing a newer write. */
export function headerPrefix(text: string): string {
  return text.slice(0, text.indexOf('\n') + 1)
}

/**
 * Whether an invalidation newer than the entry reached it: the everything-tag's epoch or any of its tags'
 * epochs (as read from Redis: null or undefined when never invalidated, or expired) above the entry's own.
 */
export function isStale(header: EntryHeader, everything: string | null | undefined, epochOf: (tag: string) => string | null | undefined): boolean {
  if (Number(everything ?? 0) > header.epoch) return true
  for (const tag of header.tags) if (Number(epochOf(tag) ?? 0) > header.epoch) return true
  return false
}
