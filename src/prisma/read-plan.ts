import { CacheKey, type KeyFieldValue } from '../cache/key.js'
import { canonicalDigest } from './canonical.js'
import { type DataModel, type ModelInfo, modelInfo } from './data-model.js'
import { collectionTag, isKeyValue, modelTag, recordTag } from './tags.js'

/** The read operations the extension caches. */
export const READ_OPERATIONS = [
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
] as const
export type ReadOperation = (typeof READ_OPERATIONS)[number]

/** What the extension needs to cache one read. */
export interface ReadPlan {
  model: ModelInfo
  operation: ReadOperation
  key: CacheKey
  /** Tags known before the query runs (every model the arguments reach). */
  argumentTags: Set<string>
  /** True for findUnique-like reads, whose found row is tagged by its record tag. */
  byUniqueKey: boolean
  /**
   * Every tag {@link resultTags} can give, when they are known before the query (the lookup then reads their
   * invalidations with the entry: see LookupOptions); undefined for a findUnique by a unique key other than the
   * primary key, whose record tag comes from the row.
   */
  expectedTags: string[] | undefined
}

/** Builds the key and the argument tags of a read (see docs/design.md, "Prisma keys"). */
export function planRead(
  dataModel: DataModel,
  modelName: string,
  operation: ReadOperation,
  args: Record<string, unknown>,
): ReadPlan {
  const model = modelInfo(dataModel, modelName)
  const byUniqueKey = operation === 'findUnique' || operation === 'findUniqueOrThrow'
  const argumentTags = new Set<string>([modelTag(model.name)])
  walkArgs(dataModel, model, args, argumentTags)
  // A view's rows change with the tables it reads: its reads carry their tags (as a relation's would).
  for (const source of model.viewReads ?? []) addRelation(argumentTags, source)
  const selector = byUniqueKey ? uniqueSelector(model, args['where']) : undefined
  const identity = selector && CacheKey.fields(model.name, selector)
  const expectedTags = new Set(argumentTags).add(collectionTag(model.name))
  // A found row's record tag is its primary key's identity: known here when `where` selects by exactly that key.
  const byPrimaryKey =
    selector !== undefined &&
    Object.keys(selector).length === model.primaryKey.length &&
    model.primaryKey.every((field) => field in selector)
  return {
    model,
    operation,
    key: readKey(model, operation, args, identity),
    argumentTags,
    byUniqueKey,
    expectedTags: !byUniqueKey
      ? [...expectedTags]
      : byPrimaryKey
        ? [...expectedTags.add(identity!.toString())]
        : undefined,
  }
}

/** The tags of a read's result: the argument tags, plus the found row's record tag or the collection tag. */
export function resultTags(plan: ReadPlan, result: unknown): string[] {
  const tags = new Set(plan.argumentTags)
  const record = plan.byUniqueKey ? recordTag(plan.model, result) : undefined
  // A missing row, or a row whose key was not selected, depends on the set of rows: collection tag.
  tags.add(record ?? collectionTag(plan.model.name))
  return [...tags]
}

/**
 * findUnique by a unique selector with no shaping arguments → `User:id=1`, `Membership:orgId=a,userId=1`;
 * with select/include/omit → `User:id=1|<digest of them>`; every other read → `User:findMany|<digest of args>`.
 * The OrThrow variants share the key of their plain form (a cached null is not served to them).
 */
function readKey(
  model: ModelInfo,
  operation: ReadOperation,
  args: Record<string, unknown>,
  identity: CacheKey | undefined,
): CacheKey {
  const base =
    operation === 'findUniqueOrThrow' ? 'findUnique' : operation === 'findFirstOrThrow' ? 'findFirst' : operation
  if (identity === undefined) return CacheKey.of(model.name, `${base}|${canonicalDigest(args)}`)
  const { where: _where, ...shape } = args
  const shaped = Object.values(shape).some((value) => value !== undefined)
  return shaped ? CacheKey.of(model.name, `${identity.identifier}|${canonicalDigest(shape)}`) : identity
}

/** The fields of a `where` that is exactly one unique key with scalar values, or undefined. */
function uniqueSelector(model: ModelInfo, where: unknown): Record<string, KeyFieldValue> | undefined {
  if (typeof where !== 'object' || where === null) return undefined
  const entries = Object.entries(where as Record<string, unknown>).filter(([, v]) => v !== undefined)
  if (entries.length !== 1) return undefined
  const [name, value] = entries[0] as [string, unknown]
  if (model.singleUniques.has(name)) return isKeyValue(value) ? { [name]: value } : undefined
  const compound = model.compoundUniques.get(name)
  if (!compound || typeof value !== 'object' || value === null) return undefined
  const parts = value as Record<string, unknown>
  const fields: Record<string, KeyFieldValue> = {}
  for (const field of compound) {
    const part = parts[field]
    if (!isKeyValue(part)) return undefined
    fields[field] = part
  }
  return Object.keys(parts).length === compound.length ? fields : undefined
}

// ---- which models a read reaches ----------------------------------------------------------------------

function addRelation(tags: Set<string>, model: string): void {
  tags.add(modelTag(model))
  tags.add(collectionTag(model))
}

/** where, select, include, orderBy, cursor, having, _count ... of one model's read arguments, recursively. */
function walkArgs(dataModel: DataModel, model: ModelInfo, args: unknown, tags: Set<string>): void {
  if (typeof args !== 'object' || args === null) return
  const record = args as Record<string, unknown>
  walkWhere(dataModel, model, record['where'], tags)
  walkWhere(dataModel, model, record['having'], tags)
  walkSelection(dataModel, model, record['select'], tags)
  walkSelection(dataModel, model, record['include'], tags)
  walkOrderBy(dataModel, model, record['orderBy'], tags)
}

function walkSelection(dataModel: DataModel, model: ModelInfo, selection: unknown, tags: Set<string>): void {
  if (typeof selection !== 'object' || selection === null) return
  for (const [name, value] of Object.entries(selection as Record<string, unknown>)) {
    if (!value) continue
    if (name === '_count') {
      const counted =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['select'] : undefined
      if (typeof counted === 'object' && counted !== null) walkSelection(dataModel, model, counted, tags)
      else
        for (const field of model.fields.values())
          if (field.kind === 'object' && field.isList) addRelation(tags, field.type)
      continue
    }
    const field = model.fields.get(name)
    if (field?.kind !== 'object') continue
    addRelation(tags, field.type)
    const target = dataModel.models.get(field.type)
    if (target) walkArgs(dataModel, target, value, tags)
  }
}

const RELATION_FILTERS = ['some', 'every', 'none', 'is', 'isNot']

/** The entries of an object, or of every object in a list (lists in lists too); none for anything else. */
function entriesOf(value: unknown): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.flatMap(entriesOf)
  return typeof value === 'object' && value !== null ? Object.entries(value) : []
}

function walkWhere(dataModel: DataModel, model: ModelInfo, where: unknown, tags: Set<string>): void {
  for (const [name, value] of entriesOf(where)) {
    if (name === 'AND' || name === 'OR' || name === 'NOT') {
      walkWhere(dataModel, model, value, tags)
      continue
    }
    const field = model.fields.get(name)
    if (field?.kind !== 'object') continue
    addRelation(tags, field.type)
    const target = dataModel.models.get(field.type)
    if (!target || typeof value !== 'object' || value === null) continue
    const filter = value as Record<string, unknown>
    const wrapped = Object.keys(filter).some((k) => RELATION_FILTERS.includes(k))
    if (wrapped) for (const k of RELATION_FILTERS) walkWhere(dataModel, target, filter[k], tags)
    else walkWhere(dataModel, target, filter, tags)
  }
}

function walkOrderBy(dataModel: DataModel, model: ModelInfo, orderBy: unknown, tags: Set<string>): void {
  for (const [name, value] of entriesOf(orderBy)) {
    const field = model.fields.get(name)
    if (field?.kind !== 'object') continue
    addRelation(tags, field.type)
    const target = dataModel.models.get(field.type)
    if (target) walkOrderBy(dataModel, target, value, tags)
  }
}
