import { type DataModel, type ModelInfo, modelInfo } from './data-model.js'
import { collectionTag, modelTag, recordTag } from './tags.js'

export const WRITE_OPERATIONS = [
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
] as const
export type WriteOperation = (typeof WRITE_OPERATIONS)[number]

/**
 * The tags a write must invalidate, derived from the data model (see the table in docs/design.md):
 * - rows known by the result (create, update, upsert, delete, *AndReturn): their record tags and the
 *   model's collection tag — so a cached findUnique of another row survives;
 * - rows unknown (updateMany, deleteMany, or a result without its primary key): the model tag;
 * - nested writes in `data` at any depth: the model tag of each model they reach;
 * - referential actions: deletes (and updates of referenced fields) reach the models whose foreign keys
 *   cascade or are set null, recursively.
 */
export function writeTags(
  dataModel: DataModel,
  modelName: string,
  operation: WriteOperation,
  args: Record<string, unknown>,
  result: unknown,
): Set<string> {
  const model = modelInfo(dataModel, modelName)
  const tags = new Set<string>()
  const rows = Array.isArray(result) ? result : [result]
  switch (operation) {
    case 'create':
    case 'createMany':
    case 'createManyAndReturn':
      tags.add(collectionTag(model.name))
      break
    case 'update':
    case 'upsert':
    case 'delete':
    case 'updateManyAndReturn':
      tags.add(collectionTag(model.name))
      for (const row of rows) tags.add(recordTag(model, row) ?? modelTag(model.name))
      // A write that changes the primary key leaves the old identity behind: its record tag, from the `where`
      // of a single-row write; the model tag when the old keys are not known (by another unique, or many rows).
      if (updatePayloads(operation, args).some((data) => writesPrimaryKey(model, data))) {
        tags.add(
          (operation === 'updateManyAndReturn' ? undefined : recordTag(model, whereIdentity(model, args['where']))) ??
            modelTag(model.name),
        )
      }
      break
    case 'updateMany':
    case 'deleteMany':
      tags.add(modelTag(model.name))
      break
  }
  for (const data of dataPayloads(operation, args)) nestedWrites(dataModel, model, data, tags)
  if (operation === 'delete' || operation === 'deleteMany') deleteEffects(dataModel, model, tags, new Set())
  for (const data of updatePayloads(operation, args)) updateEffects(dataModel, model, data, tags, new Set())
  return tags
}

/** Whether an update's `data` sets a field of the primary key. */
function writesPrimaryKey(model: ModelInfo, data: unknown): boolean {
  return typeof data === 'object' && data !== null && model.primaryKey.some((field) => field in data)
}

/** The primary key a `where` names in full (`{ id }`, or `{ userId_orgId: { userId, orgId } }`), as a row. */
function whereIdentity(model: ModelInfo, where: unknown): Record<string, unknown> | undefined {
  if (typeof where !== 'object' || where === null) return undefined
  const record = where as Record<string, unknown>
  if (model.primaryKey.every((field) => field in record)) return record
  for (const [name, fields] of model.compoundUniques) {
    const value = record[name]
    if (typeof value === 'object' && value !== null && model.primaryKey.every((field) => fields.includes(field)))
      return value as Record<string, unknown>
  }
  return undefined
}

/** The `data` objects that update existing rows (for onUpdate actions): not the create side of an upsert. */
function updatePayloads(operation: WriteOperation, args: Record<string, unknown>): unknown[] {
  if (operation === 'upsert') return [args['update']]
  if (operation === 'update' || operation === 'updateMany' || operation === 'updateManyAndReturn') return [args['data']]
  return []
}

/** The `data` objects a write carries (upsert: create and update). */
function dataPayloads(operation: WriteOperation, args: Record<string, unknown>): unknown[] {
  if (operation === 'upsert') return [args['create'], args['update']]
  const data = args['data']
  return Array.isArray(data) ? data : [data]
}

const NESTED_DATA_KEYS = ['create', 'update', 'upsert', 'connectOrCreate', 'createMany', 'updateMany']

/**
 * Relation fields inside `data`: the related model changes (model tag), and so does whatever its own nested data
 * reaches.
 */
function nestedWrites(dataModel: DataModel, model: ModelInfo, data: unknown, tags: Set<string>): void {
  if (typeof data !== 'object' || data === null) return
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    const field = model.fields.get(name)
    if (field?.kind !== 'object' || typeof value !== 'object' || value === null) continue
    const target = modelInfo(dataModel, field.type)
    tags.add(modelTag(target.name))
    const ops = value as Record<string, unknown>
    if ('delete' in ops || 'deleteMany' in ops) deleteEffects(dataModel, target, tags, new Set())
    // set/disconnect on a list relation and update of referenced fields can move foreign keys of third models.
    for (const key of NESTED_DATA_KEYS)
      for (const payload of innerData(ops[key])) nestedWrites(dataModel, target, payload, tags)
    const updates = [
      ...innerData(ops['update']),
      ...innerData(ops['updateMany']),
      ...innerData((ops['upsert'] as { update?: unknown } | undefined)?.update),
    ]
    for (const payload of updates) updateEffects(dataModel, target, payload, tags, new Set())
  }
}

/**
 * The data objects inside one nested operation's value (a data object, `{ where, data }`, `{ create, update }`,
 * arrays of these).
 */
function innerData(value: unknown): unknown[] {
  if (value === undefined || value === null || typeof value !== 'object') return []
  if (Array.isArray(value)) return value.flatMap(innerData)
  const record = value as Record<string, unknown>
  if ('data' in record) return innerData(record['data'])
  if ('create' in record || 'update' in record) return [...innerData(record['create']), ...innerData(record['update'])]
  return [record]
}

/** Rows of other models that a delete of this model's rows changes, through onDelete Cascade / SetNull / SetDefault. */
export function deleteEffects(dataModel: DataModel, model: ModelInfo, tags: Set<string>, seen: Set<string>): void {
  if (seen.has(model.name)) return
  seen.add(model.name)
  for (const dependent of model.dependents) {
    if (dependent.onDelete === 'Restrict' || dependent.onDelete === 'NoAction') continue
    tags.add(modelTag(dependent.model))
    if (dependent.onDelete === 'Cascade') deleteEffects(dataModel, modelInfo(dataModel, dependent.model), tags, seen)
  }
}

/**
 * Rows of other models that an update of referenced fields changes, through onUpdate Cascade / SetNull /
 * SetDefault.
 */
function updateEffects(
  dataModel: DataModel,
  model: ModelInfo,
  data: unknown,
  tags: Set<string>,
  seen: Set<string>,
): void {
  if (typeof data !== 'object' || data === null || seen.has(model.name)) return
  seen.add(model.name)
  const written = Object.keys(data as Record<string, unknown>)
  for (const dependent of model.dependents) {
    if (dependent.onUpdate === 'Restrict' || dependent.onUpdate === 'NoAction') continue
    if (!dependent.referencedFields.some((field) => written.includes(field))) continue
    tags.add(modelTag(dependent.model))
    // The dependent's foreign key columns changed. If they are part of its own primary key (Membership.userId),
    // rows referencing that key change too: treat its primary key as written and follow.
    const next = modelInfo(dataModel, dependent.model)
    updateEffects(dataModel, next, Object.fromEntries(next.primaryKey.map((k) => [k, true])), tags, seen)
  }
}
