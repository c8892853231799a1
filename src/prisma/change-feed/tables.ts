import type { DataModel, ModelInfo } from '../data-model.js'

/** What a table of the database is to the cache: a model's table, an implicit m-n join table, or neither. */
export type TableRole = { model: ModelInfo } | { joins: readonly [string, string] } | undefined

/**
 * The one place the change feed reads the data model (issue 14 rewrites it: a merge changes only this file).
 * Table names compare case-insensitively, as the data model stores them; columns are the fields' names (the
 * data model does not record `@map` on fields, so a key column mapped to another name is not found and the
 * change falls back to the model tag, which is broader, never stale).
 */
export function tableRole(dataModel: DataModel, table: string): TableRole {
  const name = table.toLowerCase()
  const model = dataModel.byTable.get(name)
  if (model) return { model }
  const joins = dataModel.joinTables.get(name)
  return joins ? { joins } : undefined
}

/** Lower-case names of every table the schema's models and implicit m-n relations live in. */
export function schemaTableNames(dataModel: DataModel): string[] {
  return [...dataModel.byTable.keys(), ...dataModel.joinTables.keys()]
}
