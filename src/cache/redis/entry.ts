/**
 * An entry as RedisCache stores it: `<header JSON>\n<payload>`, header `[epoch, [tags...], expiresAt, format]`
 * (format: absent from entries written before formats were named, and by an unnamed text serializer; see
 * entry-codec.ts for the payload). JSON text never holds a raw newline, so the first `\n` ends the header, whatever
 * bytes the payload holds. The scripts in scripts.ts read the same header inside Redis (cjson: the first two
 * fields); the functions here are the in-process side (the cluster read, the read with expected tags, the plain
 * GET judged by localTagCheck).
 */

import { isStale } from '../staleness.js'

export interface EntryHeader {
  /** The invalidation epoch the entry was written under (its snapshot). */
  epoch: number
  tags: string[]
  /** Wall-clock ms; absent from entries written before it was added. */
  expiresAt: number | undefined
  /** How the payload is encoded (entry-codec.ts); undefined: text, as before formats were named. */
  format: string | undefined
  /** Where the payload starts in the stored bytes. */
  payloadAt: number
}

const NEWLINE = 0x0a

/** The header of a stored entry (as the bytes Redis returned), or undefined when it is corrupt. */
export function parseHeader(data: Buffer): EntryHeader | undefined {
  const newline = data.indexOf(NEWLINE)
  if (newline < 0) return undefined
  try {
    const header: unknown = JSON.parse(data.toString('utf8', 0, newline))
    if (
      !Array.isArray(header) ||
      typeof header[0] !== 'number' ||
      !Array.isArray(header[1]) ||
      !header[1].every((t) => typeof t === 'string')
    )
      return undefined
    return {
      epoch: header[0],
      tags: header[1] as string[],
      expiresAt: typeof header[2] === 'number' ? header[2] : undefined,
      format: typeof header[3] === 'string' ? header[3] : undefined,
      payloadAt: newline + 1,
    }
  } catch {
    return undefined
  }
}

/** `<header JSON>\n`: what DELETE_IF_HEADER compares, so a stale entry is removed without racing a newer write. */
export function headerPrefix(data: Buffer): Buffer {
  return data.subarray(0, data.indexOf(NEWLINE) + 1)
}

/**
 * Whether an invalidation newer than the entry reached it (the rule in staleness.ts): the everything-tag's epoch or any of its tags'
 * epochs (as read from Redis, as text: null or undefined when never invalidated, or expired) above the entry's own.
 */
export function isStaleEntry(
  header: EntryHeader,
  everything: string | null | undefined,
  epochOf: (tag: string) => string | null | undefined,
): boolean {
  return isStale(header.epoch, header.tags, (tag) => epochNumber(epochOf(tag)), epochNumber(everything))
}

/** An epoch as Redis returned it (text; null when the key is absent or expired). */
function epochNumber(text: string | null | undefined): number | undefined {
  return text === null || text === undefined ? undefined : Number(text)
}
