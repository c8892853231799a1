import type { KeyFieldValue } from '../../cache/key.js'
import type { DataModel, ModelInfo } from '../data-model.js'
import { collectionTag, modelTag, recordTag } from '../tags.js'
import { tableRole } from './tables.js'

/** One row change as the stream reports it: column values by column name (old: the key or the whole old row). */
export type RowChange =
  | { kind: 'insert'; table: string; new: Readonly<Record<string, unknown>> }
  | {
      kind: 'update'
      table: string
      old: Readonly<Record<string, unknown>> | undefined
      new: Readonly<Record<string, unknown>>
    }
  | { kind: 'delete'; table: string; old: Readonly<Record<string, unknown>> | undefined }
  | { kind: 'truncate'; tables: readonly string[] }

/**
 * The tags a committed row change on a table of `schema` (the feed's) invalidates, the same scheme as a Prisma write (docs/design.md):
 * - insert: the collection tag (like create);
 * - update: the collection tag and the record tag of the old key and of the new one (an update of the key);
 * - delete: the collection tag and the record tag;
 * - a row of an implicit m-n table: the model tags of both models (like a nested connect/disconnect);
 * - TRUNCATE: the model tag of every table it empties;
 * - a table the schema does not know: 'all' (it may be a table a model reads under another name).
 * Referential actions need no expansion here: PostgreSQL logs the rows a cascade deletes or sets null as
 * changes of their own, so they arrive as deletes and updates of the dependent table.
 * A row without its whole primary key (a key column mapped to another name, an unsupported key type,
 * REPLICA IDENTITY NOTHING) falls back to the model tag.
 */
export function changeTags(dataModel: DataModel, change: RowChange, schema: string): Set<string> | 'all' {
  const tags = new Set<string>()
  if (change.kind === 'truncate') {
    for (const table of change.tables) {
      const role = tableRole(dataModel, table, schema)
      if (role === undefined) return 'all'
      for (const name of 'model' in role ? [role.model.name] : role.joins) tags.add(modelTag(name))
    }
    return tags
  }
  const role = tableRole(dataModel, change.table, schema)
  if (role === undefined) return 'all'
  if ('joins' in role) {
    for (const name of role.joins) tags.add(modelTag(name))
    return tags
  }
  const model = role.model
  tags.add(collectionTag(model.name))
  const rows =
    change.kind === 'insert' ? [] : change.kind === 'delete' ? [change.old] : [change.old ?? change.new, change.new]
  for (const row of rows)
    tags.add(recordTag(model, row === undefined ? undefined : keyFields(model, row)) ?? modelTag(model.name))
  return tags
}

/**
 * The primary key fields of a row from the stream, typed as Prisma returns them (so the record tag is the one
 * a cached read carries): Int as a number, BigInt as a bigint, String, Boolean. Undefined for other key types.
 */
function keyFields(
  model: ModelInfo,
  row: Readonly<Record<string, unknown>>,
): Record<string, KeyFieldValue> | undefined {
  const fields: Record<string, KeyFieldValue> = {}
  for (const name of model.primaryKey) {
    const value = row[name]
    if (value === undefined || value === null) return undefined
    const type = model.fields.get(name)?.type
    if (type === 'Int') fields[name] = Number(value)
    else if (type === 'BigInt') fields[name] = BigInt(String(value))
    else if (type === 'String') fields[name] = String(value)
    else if (type === 'Boolean') fields[name] = value === true || value === 't'
    else return undefined
  }
  return fields
}
