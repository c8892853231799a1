import { escapeFieldPart, escapeKeyPart, unescapeKeyPart } from './escape.js'

/** Entity names are identifiers so that the first `:` of a key string always ends the entity. */
const ENTITY = /^[A-Za-z_][A-Za-z0-9_.-]*$/

/** A value allowed in a structured identifier built by {@link CacheKey.fields}. */
export type KeyFieldValue = string | number | bigint | boolean | null

/**
 * A structured cache key: the entity (for Prisma, the model) and an identifier within it.
 *
 * String form (stable, documented in docs/design.md): `<entity>:<escaped identifier>`, e.g. `User:id=1`.
 * The identifier is percent-encoded for `%`, `:`, glob metacharacters, braces, `"`, `#`, whitespace and
 * control characters, so key strings never collide and never contain pattern syntax.
 * {@link CacheKey.parse} inverts {@link CacheKey.toString} exactly.
 */
export class CacheKey {
  readonly entity: string
  readonly identifier: string
  #text: string | undefined

  constructor(entity: string, identifier: string) {
    assertEntity(entity)
    if (typeof identifier !== 'string')
      throw new TypeError(`CacheKey identifier must be a string, got ${typeof identifier}`)
    this.entity = entity
    this.identifier = identifier
  }

  /** `CacheKey.of('User', '42')` → `User:42`. */
  static of(entity: string, identifier: string): CacheKey {
    return new CacheKey(entity, identifier)
  }

  /**
   * A key identified by named fields, sorted by name: `CacheKey.fields('User', { id: 1 })` → `User:id=1`,
   * `CacheKey.fields('Member', { userId: 1, orgId: 2 })` → `Member:orgId=2,userId=1`.
   * Values are written with `String()`: callers must use one type per field (Prisma does, per the schema).
   */
  static fields(entity: string, fields: Readonly<Record<string, KeyFieldValue>>): CacheKey {
    return new CacheKey(entity, formatFields(fields))
  }

  /** Parses the string form. Throws a `TypeError` naming the problem when the text is not a key. */
  static parse(text: string): CacheKey {
    const colon = text.indexOf(':')
    if (colon <= 0) throw new TypeError(`Not a cache key (expected "<Entity>:<identifier>"): ${JSON.stringify(text)}`)
    let identifier: string
    try {
      identifier = unescapeKeyPart(text.slice(colon + 1))
    } catch {
      throw new TypeError(`Not a cache key (malformed %-escape in the identifier): ${JSON.stringify(text)}`)
    }
    const key = new CacheKey(text.slice(0, colon), identifier)
    if (key.toString() !== text)
      throw new TypeError(
        `Not a cache key in canonical form: ${JSON.stringify(text)} (canonical: ${JSON.stringify(key.toString())})`,
      )
    return key
  }

  toString(): string {
    return (this.#text ??= `${this.entity}:${escapeKeyPart(this.identifier)}`)
  }

  toJSON(): string {
    return this.toString()
  }

  equals(other: CacheKey): boolean {
    return this.entity === other.entity && this.identifier === other.identifier
  }
}

/** What the backends accept as a key: a {@link CacheKey} or any string (used verbatim). */
export type KeyLike = CacheKey | string

/** The string a backend stores a key under. */
export function keyText(key: KeyLike): string {
  if (typeof key === 'string') return key
  if (key instanceof CacheKey) return key.toString()
  throw new TypeError(`A cache key must be a string or a CacheKey, got ${describe(key)}`)
}

/** `field=value` pairs sorted by field, with `,` and `=` inside names and values escaped. */
export function formatFields(fields: Readonly<Record<string, KeyFieldValue>>): string {
  const names = Object.keys(fields).sort()
  if (names.length === 0) throw new TypeError('A structured identifier needs at least one field')
  return names
    .map((name) => {
      const value = fields[name]
      if (value !== null && !['string', 'number', 'bigint', 'boolean'].includes(typeof value)) {
        throw new TypeError(
          `Identifier field "${name}" must be a string, number, bigint, boolean or null, got ${describe(value)}`,
        )
      }
      return `${escapeFieldPart(name)}=${escapeFieldPart(String(value))}`
    })
    .join(',')
}

export function assertEntity(entity: string): void {
  if (typeof entity !== 'string' || !ENTITY.test(entity)) {
    throw new TypeError(
      `Invalid cache entity ${JSON.stringify(entity)}: use letters, digits, "_", "." or "-", starting with a letter or "_"`,
    )
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}
