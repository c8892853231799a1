import type { DataModel } from './data-model.js'
import { type SqlToken, sqlDialect, sqlStatements } from './sql-dialect.js'
import { modelTag } from './tags.js'

/** Statements that change no rows when they hold no data-changing keyword (`WITH … DELETE` does). */
const NO_WRITE = new Set([
  ...['select', 'with', 'values', 'table', 'show', 'explain', 'describe', 'desc', 'pragma', 'set', 'reset'],
  ...['begin', 'start', 'commit', 'end', 'rollback', 'savepoint', 'release', 'listen', 'unlisten', 'lock', 'use'],
])
const WRITES = new Set([
  ...['insert', 'update', 'delete', 'merge', 'upsert', 'replace', 'truncate', 'alter', 'drop', 'create', 'rename'],
  ...['copy', 'call', 'do', 'execute', 'exec', 'refresh', 'load', 'import'],
])

/**
 * What a raw SQL text may have changed, statement by statement, read with the dialect of the client's provider
 * (sql-dialect.ts): nothing for statements that change no rows (`SELECT 1`, `SET …`, `SHOW …`); otherwise the
 * model tag of every model whose table a statement names — and, transitively, of the models whose foreign keys
 * point at those (a raw DELETE or key UPDATE fires the database's referential actions; which ones ran cannot be
 * told from the text) — or `'all'` for a statement that names no known table (DDL, functions, DO blocks, …).
 *
 * Tables: `schema.table` names the model of that table in that schema (and models whose schema the schema file
 * leaves to the connection); an unqualified `table` names every model of that table in any schema, because the
 * session's search path cannot be known here. Names match case-insensitively (a superset of every database's rule).
 */
export function rawSqlTags(dataModel: DataModel, sql: string): Set<string> | 'all' | undefined {
  const tags = new Set<string>()
  for (const statement of sqlStatements(sql, sqlDialect(dataModel.provider))) {
    if (!changesRows(statement)) continue
    const models = namedModels(dataModel, statement)
    if (models.size === 0) return 'all'
    for (const model of models) addWithDependents(dataModel, model, tags)
  }
  return tags.size === 0 ? undefined : tags
}

function changesRows(statement: readonly SqlToken[]): boolean {
  const words = statement.filter((t) => t.kind === 'name' && !t.quoted).map((t) => t.text.toLowerCase())
  if (!NO_WRITE.has(words[0] ?? '')) return true
  // `FOR UPDATE`, `FOR NO KEY UPDATE`: a row lock, not a write.
  return words.some(
    (word, i) => WRITES.has(word) && !(word === 'update' && ['for', 'key'].includes(words[i - 1] ?? '')),
  )
}

/** The models whose tables the statement names (`t`, `s.t`, `db.s.t`, `"s"."t"`, `` `db`.`t` ``, `[s].[t]`). */
function namedModels(dataModel: DataModel, statement: readonly SqlToken[]): Set<string> {
  const models = new Set<string>()
  const match = (qualifier: string | undefined, table: string) => {
    for (const entry of dataModel.tables.get(table.toLowerCase()) ?? []) {
      if (qualifier === undefined || entry.schema === undefined || entry.schema === qualifier.toLowerCase()) {
        for (const model of entry.models) models.add(model)
      }
    }
  }
  for (let i = 0; i < statement.length; i++) {
    if (statement[i]!.kind !== 'name') continue
    const chain = [statement[i]!.text]
    while (statement[i + 1]?.text === '.' && statement[i + 1]?.kind === 'punct' && statement[i + 2]?.kind === 'name') {
      chain.push(statement[i + 2]!.text)
      i += 2
    }
    // The first part may be a table (`users.id`); each later part may be a table in the schema before it.
    match(undefined, chain[0]!)
    for (let part = 1; part < chain.length; part++) match(chain[part - 1], chain[part]!)
  }
  return models
}

function addWithDependents(dataModel: DataModel, model: string, tags: Set<string>): void {
  if (tags.has(modelTag(model))) return
  tags.add(modelTag(model))
  const dependents = dataModel.models.get(model)?.dependents ?? []
  for (const dependent of dependents) addWithDependents(dataModel, dependent.model, tags)
}
