import { assertEntity, CacheKey, type KeyFieldValue } from './key.js'

/**
 * A tag an entry is written with, so that one call can invalidate every entry carrying it.
 *
 * Three kinds, all plain strings underneath:
 * - model-wide: `EntityTag.entity('User')` → `User` (every cached read that depends on any User row);
 * - record: `EntityTag.record('User', { id: 1 })` → `User:id=1` (reads that depend on that one row),
 *   in the same string form as {@link CacheKey};
 * - collection: `EntityTag.collection('User')` → `User:*` (reads that depend on which rows exist or on
 *   any of them: lists, counts, aggregates, absent rows). A record identifier can never be `*` (it would
 *   be escaped), so the collection tag never collides with a record tag.
 */
export class EntityTag {
  readonly entity: string
  /** The record identifier, `*` for a collection tag, undefined for a model-wide tag. */
  readonly identifier: string | undefined
  readonly text: string

  private constructor(entity: string, identifier: string | undefined, text: string) {
    assertEntity(entity)
    this.entity = entity
    this.identifier = identifier
    this.text = text
  }

  /** The model-wide tag of an entity. */
  static entity(entity: string): EntityTag {
    return new EntityTag(entity, undefined, entity)
  }

  /** The tag of reads over the whole set of an entity's records. */
  static collection(entity: string): EntityTag {
    return new EntityTag(entity, '*', `${entity}:*`)
  }

  /** The tag of one record, identified by its unique fields (sorted, escaped as in {@link CacheKey.fields}). */
  static record(entity: string, fields: Readonly<Record<string, KeyFieldValue>> | string): EntityTag {
    const key = typeof fields === 'string' ? CacheKey.of(entity, fields) : CacheKey.fields(entity, fields)
    return new EntityTag(entity, key.identifier, key.toString())
  }

  toString(): string {
    return this.text
  }

  toJSON(): string {
    return this.text
  }
}

/** What the backends accept as a tag. */
export type TagLike = EntityTag | string

/** Normalizes tags to their strings, rejecting empty or non-string tags with a clear error. */
export function tagTexts(tags: readonly TagLike[] | undefined): string[] {
  if (tags === undefined) return []
  if (!Array.isArray(tags)) throw new TypeError(`tags must be an array, got ${typeof tags}`)
  const out = new Set<string>()
  for (const tag of tags) {
    const text = tag instanceof EntityTag ? tag.text : tag
    if (typeof text !== 'string' || text.length === 0)
      throw new TypeError(`Invalid tag ${JSON.stringify(tag)}: a tag is a non-empty string or an EntityTag`)
    out.add(text)
  }
  return [...out]
}
