import { parseSchema } from './schema-parser.js'

/** What the cache needs to know of a Prisma schema: models, their keys, and how relations change other tables. */
export interface DataModel {
  models: ReadonlyMap<string, ModelInfo>
  /** Models by lower-case table name (`@@map` name or model name), for raw SQL. */
  byTable: ReadonlyMap<string, ModelInfo>
  /** Implicit many-to-many join tables (lower-case) and the two models they link. */
  joinTables: ReadonlyMap<string, readonly [string, string]>
  /** A digest of the whole schema: part of every key, so a changed schema never reads old shapes. */
  fingerprint: string
}

export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault'

export interface FieldInfo {
  name: string
  kind: 'scalar' | 'enum' | 'object'
  type: string
  isList: boolean
  isRequired: boolean
  /** For relation fields. */
  relationName?: string
  /** Foreign key fields on this model (empty when the key is on the other side or the relation is implicit m-n). */
  relationFromFields?: string[]
  relationToFields?: string[]
  onDelete?: ReferentialAction
  onUpdate?: ReferentialAction
}

export interface ModelInfo {
  name: string
  /** Table name (`@@map`), or the model name. */
  dbName: string
  fields: ReadonlyMap<string, FieldInfo>
  /** Primary key fields, in declaration order. */
  primaryKey: readonly string[]
  /** Name Prisma uses in `where` for a compound id or unique (e.g. `userId_orgId`) → its fields. */
  compoundUniques: ReadonlyMap<string, readonly string[]>
  /** Single-field uniques (`@id` and `@unique`). */
  singleUniques: ReadonlySet<string>
  /** Models whose rows a delete or key update of this model changes through referential actions. */
  dependents: readonly Dependent[]
}

export interface Dependent {
  /** The model holding the foreign key. */
  model: string
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  /** Fields of this (referenced) model the foreign key points at. */
  referencedFields: readonly string[]
}

/** Builds the data model from the schema text a Prisma 7 client embeds (`_engineConfig.inlineSchema`). */
export function buildDataModel(schemaText: string, fingerprint: string): DataModel {
  const parsed = parseSchema(schemaText)
  const models = new Map<string, ModelInfo>()
  const dependents = new Map<string, Dependent[]>()
  for (const model of parsed.models) {
    for (const field of model.fields) {
      if (field.kind !== 'object' || !field.relationFromFields?.length) continue
      const list = dependents.get(field.type) ?? []
      list.push({ model: model.name, onDelete: field.onDelete ?? 'Restrict', onUpdate: field.onUpdate ?? 'Cascade', referencedFields: field.relationToFields ?? [] })
      dependents.set(field.type, list)
    }
  }
  for (const model of parsed.models) {
    models.set(model.name, { ...model, fields: new Map(model.fields.map((f) => [f.name, f])), dependents: dependents.get(model.name) ?? [] })
  }
  const byTable = new Map([...models.values()].map((m) => [m.dbName.toLowerCase(), m]))
  const joinTables = new Map<string, readonly [string, string]>()
  for (const model of models.values()) {
    for (const field of model.fields.values()) {
      if (field.kind === 'object' && field.isList && field.relationName) {
        const other = models.get(field.type)?.fields
        const back = other && [...other.values()].find((f) => f.relationName === field.relationName && f.type === model.name && f !== field)
        if (back?.isList) joinTables.set(`_${field.relationName}`.toLowerCase(), [model.name, field.type].sort() as [string, string])
      }
    }
  }
  return { models, byTable, joinTables, fingerprint }
}

/** The model, or a TypeError naming the unknown model. */
export function modelInfo(dataModel: DataModel, name: string): ModelInfo {
  const model = dataModel.models.get(name)
  if (!model) throw new TypeError(`prisma-tiered-cache: unknown model "${name}" (the schema has ${[...dataModel.models.keys()].join(', ')})`)
  return model
}
