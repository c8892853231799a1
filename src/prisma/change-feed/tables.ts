import type { DataModel, ModelInfo } from '../data-model.js'

/** What a table of the database is to the cache: a model's table, an implicit m-n join table, or neither. */
export type TableRole = { model: ModelInfo } | { joins: readonly string[] } | undefined

/**
 * The one place the change feed reads the data model. Table and schema names compare case-insensitively, as
 * the data model stores them; a table the schema file gives no `@@schema` lives in the feed's schema. A name two
 * models share in that schema, or none, is `undefined` (the caller invalidates broadly). Columns are the
 * fields' names (the data model does not record `@map` on fields, so a key column mapped to another name is not
 * found and the change falls back to the model tag, which is broader, never stale).
 */
export function tableRole(dataModel: DataModel, table: string, schema: string): TableRole {
  const name = table.toLowerCase()
  const entries = (dataModel.tables.get(name) ?? []).filter((entry) => inSchema(entry.schema, schema))
  if (entries.length !== 1) return undefined
  const models = entries[0]!.models
  const model = models.length === 1 ? dataModel.models.get(models[0]!) : undefined
  return model?.dbName.toLowerCase() === name ? { model } : { joins: models }
}

/** Lower-case names of every table of `schema` the schema's models and implicit m-n relations live in. */
export function schemaTableNames(dataModel: DataModel, schema: string): string[] {
  const names = [...dataModel.tables].filter(([, entries]) => entries.some((entry) => inSchema(entry.schema, schema)))
  return names.map(([name]) => name)
}

function inSchema(entrySchema: string | undefined, schema: string): boolean {
  return entrySchema === undefined || entrySchema === schema.toLowerCase()
}
