import type { DataModel } from './data-model.js'
import { modelTag } from './tags.js'

/**
 * What a raw SQL statement may have changed: the model tag of every model whose table (by its database
 * name, `@@map` included) the text names, plus the models their foreign keys cascade to; `'all'` when no
 * known table is named (DDL, functions, views...). Statements that only read (SELECT/WITH/SHOW/EXPLAIN
 * with no data-changing keyword) change nothing.
 */
export function rawSqlTags(dataModel: DataModel, sql: string): Set<string> | 'all' | undefined {
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
  const writes = /\b(insert|update|delete|merge|upsert|replace|truncate|alter|drop|create|rename|grant|revoke|copy|call|do|execute|vacuum)\b/i.test(text)
  if (!writes && /^\s*\(?\s*(select|with|show|explain|values|pragma)\b/i.test(text)) return undefined
  const tags = new Set<string>()
  for (const match of text.matchAll(/"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][A-Za-z0-9_$]*)/g)) {
    const name = (match[1]?.replace(/""/g, '"') ?? match[2] ?? match[3] ?? match[4] ?? '').toLowerCase()
    const model = dataModel.byTable.get(name)
    if (model) {
      // A raw DELETE or key UPDATE fires the database's referential actions too: every model holding a
      // foreign key to this one, transitively (whatever the action: we cannot tell which statement ran).
      const pending = [model]
      while (pending.length > 0) {
        const current = pending.pop()!
        if (tags.has(modelTag(current.name))) continue
        tags.add(modelTag(current.name))
        for (const dependent of current.dependents) pending.push(dataModel.models.get(dependent.model)!)
      }
    }
    const joined = dataModel.joinTables.get(name)
    if (joined) for (const m of joined) tags.add(modelTag(m))
  }
  return tags.size === 0 ? 'all' : tags
}
