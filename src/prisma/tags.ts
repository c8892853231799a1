import { type KeyFieldValue } from '../cache/key.js'
import { EntityTag } from '../cache/tag.js'
import type { ModelInfo } from './data-model.js'

/**
 * The tag scheme the read side writes and the write side bumps (docs/design.md, "Prisma tags"):
 * - `User`       model tag: every cached read that touched User. Bumped by writes whose rows are unknown
 *                (updateMany, deleteMany, nested writes, referential actions, raw SQL) and by users.
 * - `User:*`     collection tag: reads whose answer depends on which User rows exist (lists, counts,
 *                aggregates, findFirst, absent rows, included relations). Bumped by every User write.
 * - `User:id=1`  record tag: a findUnique that found row 1. Bumped by writes to row 1.
 */
export const modelTag = (model: string) => model
export const collectionTag = (model: string) => EntityTag.collection(model).text

/** The record tag of a row, or undefined when the row does not carry its whole primary key. */
export function recordTag(model: ModelInfo, row: unknown): string | undefined {
  if (typeof row !== 'object' || row === null || model.primaryKey.length === 0) return undefined
  const fields: Record<string, KeyFieldValue> = {}
  for (const name of model.primaryKey) {
    const value = (row as Record<string, unknown>)[name]
    if (!isKeyValue(value)) return undefined
    fields[name] = value
  }
  return EntityTag.record(model.name, fields).text
}

export function isKeyValue(value: unknown): value is KeyFieldValue {
  return (
    typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean'
  )
}
