import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/**
 * A canonical text of query arguments: equal for arguments Prisma treats as equal, different for any two
 * that could return different rows.
 *
 * - Object keys are sorted, so key order never matters; `undefined` properties are dropped (Prisma ignores them).
 * - Every scalar is written with its type, so `1` and `"1"`, a Date and its ISO string, a Decimal and a number,
 *   a BigInt and a number, bytes and a string never produce the same text.
 * - Class instances (Decimal, Prisma's DbNull/JsonNull/AnyNull markers, ...) are written with their class name.
 */
export function canonicalText(value: unknown): string {
  return write(value, new Set())
}

/**
 * Digests of recent canonical texts: an application's reads repeat a few shapes (the `include` of a findUnique by
 * id is the same text for every id), and a SHA-256 costs more than the text and this lookup together. Bounded in
 * entries and in characters held; texts over 4 KiB (long `in` lists) are hashed every time.
 */
const digests = new LRUCache<string, string>({
  max: 1000,
  maxSize: 1 << 20,
  maxEntrySize: 4096,
  sizeCalculation: (_digest, text) => text.length,
})

/** A short, stable digest of {@link canonicalText}: 128 bits, base64url. */
export function canonicalDigest(value: unknown): string {
  const text = canonicalText(value)
  let digest = digests.get(text)
  if (digest === undefined)
    digests.set(text, (digest = createHash('sha256').update(text).digest('base64url').slice(0, 22)))
  return digest
}

function write(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Object.is(value, -0) ? 'n0' : `n${value}`
    case 'bigint':
      return `b${value}`
    case 'boolean':
      return value ? 't' : 'f'
    case 'undefined':
      return 'u'
    case 'symbol':
      return `y${value.description ?? ''}`
    case 'function':
      throw new TypeError('Query arguments cannot contain functions')
  }
  if (value === null) return 'null'
  const object = value as object
  if (seen.has(object)) throw new TypeError('Query arguments cannot be circular')
  seen.add(object)
  try {
    if (Array.isArray(object)) return `[${object.map((item) => write(item, seen)).join(',')}]`
    if (object instanceof Date) return `D${Number.isNaN(object.getTime()) ? 'invalid' : object.toISOString()}`
    if (ArrayBuffer.isView(object))
      return `B${Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64')}`
    // Decimal.js (Prisma.Decimal): its text is its exact value.
    if (isDecimal(object)) return `M${object.toString()}`
    const proto = Object.getPrototypeOf(object) as object | null
    const plain = proto === Object.prototype || proto === null
    const record = object as Record<string, unknown>
    const body = Object.keys(record)
      // Class instances (Prisma's null markers...) may carry methods as own properties: their data is the rest.
      .filter((key) => record[key] !== undefined && (plain || typeof record[key] !== 'function'))
      .sort()
      .map((key) => `${JSON.stringify(key)}:${write(record[key], seen)}`)
      .join(',')
    if (plain) return `{${body}}`
    const name = (object.constructor as { name?: string } | undefined)?.name ?? 'Object'
    return `${name}{${body}}`
  } finally {
    seen.delete(object)
  }
}

/** Decimal.js instances, recognized by shape (the library must not depend on a generated client's Decimal). */
export function isDecimal(value: unknown): value is { toString(): string; toFixed(): string } {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    Array.isArray(v['d']) &&
    typeof v['e'] === 'number' &&
    typeof v['s'] === 'number' &&
    typeof v['toFixed'] === 'function'
  )
}
