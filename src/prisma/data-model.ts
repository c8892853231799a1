import { type RelationSide, resolveRelations } from './relations.js'
import { argument, attribute, fieldNames, type ParsedBlock, type ParsedField, parseSchema } from './schema-parser.js'
import type {
  DataModel,
  FieldInfo,
  ModelInfo,
  RuntimeDataModel,
  RuntimeField,
  RuntimeModel,
  TableInfo,
} from './types.js'

export type {
  DataModel,
  Dependent,
  FieldInfo,
  ModelInfo,
  ReferentialAction,
  RuntimeDataModel,
  RuntimeField,
  RuntimeModel,
  TableInfo,
} from './types.js'

export interface DataModelSource {
  /** `client._runtimeDataModel`: the models, fields, relation names, table names and schemas the client has. */
  runtime: RuntimeDataModel
  /** `client._engineConfig.inlineSchema`: read only for what the runtime data model lacks. */
  schema: string
  /** `client._engineConfig.activeProvider`; default: the datasource's provider in the schema text. */
  provider?: string | undefined
  /** The `views` option: view → the models it reads. */
  views?: Readonly<Record<string, readonly string[]>> | undefined
}

/**
 * Builds the data model from the client's runtime data model (the model list, fields, relation names,
 * tables and schemas: Prisma's own, `@@ignore`d models and `@ignore`d fields already left out) and, for what
 * it lacks, the schema text (list-ness, optionality, foreign keys, referential actions, ids, uniques, views).
 *
 * The parse is checked against the runtime data model. What cannot be matched is answered by
 * over-invalidation, never by a guess, and listed in `mismatches`:
 * - a relation whose sides, name or keys do not match: treated as cascading both ways on delete and on any
 *   update, between its two models (and as an m-n table `_<relation name>`);
 * - an id or unique naming fields the client lacks: dropped (a model without a known id is invalidated
 *   whole by its writes);
 * - a model the text lacks: no keys, all its relations as above, its reads bypass the cache unless it is
 *   declared as a view (a view could change without a write to it).
 */
export function buildDataModel(source: DataModelSource, fingerprint: string): DataModel {
  const parsed = parseSchema(source.schema)
  const provider = source.provider ?? parsed.datasource.provider ?? 'unknown'
  const mismatches: string[] = []
  const modelBlocks = parsed.blocks.filter((b) => b.keyword === 'model' || b.keyword === 'view')
  const blocks = new Map(modelBlocks.map((b) => [b.name, b]))
  const sides: RelationSide[] = []
  const models = new Map<string, ModelInfo>()
  for (const [name, model] of Object.entries(source.runtime.models)) {
    const block = blocks.get(name)
    const info = modelOf(name, model, block, source.runtime.models, mismatches)
    for (const field of info.fields.values()) {
      if (field.kind === 'object') sides.push({ model: name, field, parsed: parsedField(block, field.name) })
    }
    models.set(name, info)
  }
  const relations = resolveRelations(sides, models, { provider, relationMode: parsed.datasource.relationMode })
  mismatches.push(...relations.mismatches)
  for (const [name, dependents] of relations.dependents) models.set(name, { ...models.get(name)!, dependents })
  for (const [view, reads] of Object.entries(source.views ?? {})) {
    models.set(view, { ...declaredView(models, view, reads), viewReads: [...reads] })
  }
  return { models, provider, tables: tableIndex(models, relations.joinTables), fingerprint, mismatches }
}

/** A block the text declares and does not `@@ignore`. */
function usable(block: ParsedBlock | undefined): block is ParsedBlock {
  return block !== undefined && attribute(block.attributes, 'ignore') === undefined
}

function parsedField(block: ParsedBlock | undefined, name: string): ParsedField | undefined {
  return usable(block) ? block.fields.find((f) => f.name === name) : undefined
}

/** One model: the runtime data model's fields and table, with what its block in the text adds. */
function modelOf(
  name: string,
  model: RuntimeModel,
  block: ParsedBlock | undefined,
  runtime: RuntimeDataModel['models'],
  mismatches: string[],
): ModelInfo {
  const known = usable(block)
  if (!known) mismatches.push(`model ${name}: not found in the schema text`)
  const fields = new Map<string, FieldInfo>()
  for (const field of model.fields) {
    const parsed = parsedField(block, field.name)
    if (known && parsed === undefined) mismatches.push(`field ${name}.${field.name}: not found in the schema text`)
    fields.set(field.name, fieldInfo(field, parsed, runtime))
  }
  const noKeys = { primaryKey: [], singleUniques: new Set<string>(), compoundUniques: new Map() }
  return {
    name,
    kind: !known ? 'unparsed' : block.keyword === 'view' ? 'view' : 'model',
    dbName: model.dbName ?? name,
    schema: model.schema ?? undefined,
    fields,
    ...(known ? modelKeys(block, fields, mismatches) : noKeys),
    dependents: [],
    viewReads: undefined,
  }
}

/** Tables by lower-case name: each model's, and the implicit m-n tables. */
function tableIndex(models: ReadonlyMap<string, ModelInfo>, joinTables: ReadonlyMap<string, string[]>) {
  const tables = new Map<string, TableInfo[]>()
  const add = (table: string, info: TableInfo) => {
    tables.set(table.toLowerCase(), [...(tables.get(table.toLowerCase()) ?? []), info])
  }
  for (const model of models.values()) add(model.dbName, { schema: model.schema?.toLowerCase(), models: [model.name] })
  for (const [table, joined] of joinTables) add(table, { schema: undefined, models: joined })
  return tables
}

/** A field as the runtime data model has it, with list-ness and optionality from the text. */
function fieldInfo(field: RuntimeField, parsed: ParsedField | undefined, runtime: RuntimeDataModel['models']) {
  const relation = field.type in runtime ? 'object' : 'composite'
  const kind: FieldInfo['kind'] = field.kind === 'object' ? relation : field.kind === 'enum' ? 'enum' : 'scalar'
  // Unknown list-ness: a list is the safer guess (`_count` then tags the related model).
  const isList = parsed?.isList ?? kind === 'object'
  const isRequired = parsed !== undefined && !parsed.isOptional && !isList
  const info: FieldInfo = { name: field.name, kind, type: field.type, isList, isRequired }
  if (field.relationName !== undefined) info.relationName = field.relationName
  return info
}

/** The id and uniques the text declares, keeping only those whose fields the client has. */
function modelKeys(
  block: ParsedBlock,
  fields: ReadonlyMap<string, FieldInfo>,
  mismatches: string[],
): Pick<ModelInfo, 'primaryKey' | 'singleUniques' | 'compoundUniques'> {
  const exists = (names: readonly string[]) => {
    const ok =
      names.length > 0 && names.every((n) => fields.get(n)?.kind === 'scalar' || fields.get(n)?.kind === 'enum')
    if (!ok) mismatches.push(`model ${block.name}: key [${names.join(', ')}] names fields the client does not have`)
    return ok
  }
  const singleUniques = new Set<string>()
  const compoundUniques = new Map<string, readonly string[]>()
  let primaryKey: readonly string[] = []
  for (const field of block.fields) {
    if (!fields.has(field.name)) continue
    if (attribute(field.attributes, 'id') !== undefined) primaryKey = [field.name]
    if (attribute(field.attributes, 'id') !== undefined || attribute(field.attributes, 'unique') !== undefined)
      singleUniques.add(field.name)
  }
  for (const attr of block.attributes) {
    if (attr.name !== 'id' && attr.name !== 'unique') continue
    const names = fieldNames(argument(attr, 'fields', 0)) ?? []
    if (!exists(names)) continue
    if (attr.name === 'id') primaryKey = names
    const explicit = argument(attr, 'name')
    // One field: Prisma's where takes it by its own name; a compound is named by `name:` or its fields joined by `_`.
    if (names.length === 1) singleUniques.add(names[0]!)
    if (names.length > 1 || explicit?.kind === 'string')
      compoundUniques.set(explicit?.kind === 'string' ? explicit.value : names.join('_'), names)
  }
  if (primaryKey.length > 0 && !exists(primaryKey)) primaryKey = []
  return { primaryKey, singleUniques, compoundUniques }
}

/** The view a `views` entry names, or a TypeError naming what is wrong with the entry. */
function declaredView(models: ReadonlyMap<string, ModelInfo>, view: string, reads: readonly string[]): ModelInfo {
  const at = `prisma-tiered-cache: cacheExtension({ views: { ${view} } })`
  const info = models.get(view)
  if (info === undefined || info.kind === 'model') {
    const views = [...models.values()].filter((m) => m.kind !== 'model').map((m) => m.name)
    throw new TypeError(`${at}: "${view}" is not a view of this schema (views: ${views.join(', ') || 'none'})`)
  }
  if (!Array.isArray(reads) || reads.length === 0)
    throw new TypeError(`${at}: must be a non-empty array of model names`)
  for (const model of reads) {
    if (!models.has(model)) throw new TypeError(`${at}: "${String(model)}" is not a model of this schema`)
  }
  return info
}

/** The model, or a TypeError naming the unknown model. */
export function modelInfo(dataModel: DataModel, name: string): ModelInfo {
  const model = dataModel.models.get(name)
  if (!model)
    throw new TypeError(
      `prisma-tiered-cache: unknown model "${name}" (the schema has ${[...dataModel.models.keys()].join(', ')})`,
    )
  return model
}
