import type { Dependent, FieldInfo, ModelInfo, ReferentialAction } from './types.js'
import { argument, attribute, fieldNames, nameValue, type ParsedField, stringValue } from './schema-parser.js'

/** One relation field, as the runtime data model has it, with its line in the schema text (if found). */
export interface RelationSide {
  model: string
  field: FieldInfo
  parsed: ParsedField | undefined
}

export interface ResolvedRelations {
  /** Referenced model → the models whose foreign keys point at it. */
  dependents: Map<string, Dependent[]>
  /** Implicit many-to-many tables (`_<relation name>`) → the two models they link. */
  joinTables: Map<string, string[]>
  mismatches: string[]
}

const ACTIONS = new Set<string>(['Cascade', 'Restrict', 'NoAction', 'SetNull', 'SetDefault'])

/**
 * Pairs the relation fields of the runtime data model (by relation name and the two models) and reads each
 * side's foreign key and referential actions from the text. A pair the text does not explain — a side not found,
 * another relation name, keys naming fields the client lacks, keys on both sides of a one-to-one or
 * one-to-many — is treated as cascading both ways on delete and on any update (over-invalidation, never a
 * stale read), and reported.
 */
export function resolveRelations(
  sides: readonly RelationSide[],
  models: ReadonlyMap<string, ModelInfo>,
  datasource: Datasource,
): ResolvedRelations {
  const resolved: ResolvedRelations = { dependents: new Map(), joinTables: new Map(), mismatches: [] }
  const pairs = new Map<string, RelationSide[]>()
  for (const side of sides) {
    const key = `${side.field.relationName}\0${[side.model, side.field.type].sort().join('\0')}`
    pairs.set(key, [...(pairs.get(key) ?? []), side])
  }
  for (const pair of pairs.values()) {
    const problem = pairProblem(pair, models)
    if (problem === undefined) resolvePair(pair, models, datasource, resolved)
    else assumeTheWorst(pair, problem, models, resolved)
  }
  return resolved
}

interface Datasource {
  provider: string
  relationMode: string | undefined
}

function depend(resolved: ResolvedRelations, target: string, dependent: Dependent): void {
  resolved.dependents.set(target, [...(resolved.dependents.get(target) ?? []), dependent])
}

/** A pair the text explains: the keyed side's foreign key and actions, or an implicit m-n table. */
function resolvePair(
  pair: RelationSide[],
  models: ReadonlyMap<string, ModelInfo>,
  datasource: Datasource,
  resolved: ResolvedRelations,
): void {
  const keyed = pair.filter((side) => keyOf(side).from.length > 0)
  if (keyed.length === 0) resolved.joinTables.set(`_${pair[0]!.field.relationName}`, pair.map((s) => s.model).sort())
  for (const side of pair) Object.assign(side.field, { relationFromFields: [], relationToFields: [] })
  for (const side of keyed) {
    const { from, to } = keyOf(side)
    const keys = from.map((f) => models.get(side.model)!.fields.get(f)!)
    const onDelete = action(side, 'onDelete') ?? defaultOnDelete(side, keys, datasource)
    const onUpdate = action(side, 'onUpdate') ?? 'Cascade'
    Object.assign(side.field, { relationFromFields: from, relationToFields: to, onDelete, onUpdate })
    depend(resolved, side.field.type, { model: side.model, onDelete, onUpdate, referencedFields: to })
  }
}

/** A pair the text does not explain: each end cascades into the other, on delete and on any update. */
function assumeTheWorst(
  pair: RelationSide[],
  problem: string,
  models: ReadonlyMap<string, ModelInfo>,
  resolved: ResolvedRelations,
): void {
  const name = pair[0]!.field.relationName
  resolved.mismatches.push(`relation ${name} (${pair.map((s) => `${s.model}.${s.field.name}`).join(', ')}): ${problem}`)
  const ends = [pair[0]!.model, pair[0]!.field.type] as const
  for (const [from, to] of [ends, [ends[1], ends[0]]] as const) {
    const referenced = [...models.get(from)!.fields.values()].filter((f) => f.kind === 'scalar' || f.kind === 'enum')
    const referencedFields = referenced.map((f) => f.name)
    depend(resolved, from, { model: to, onDelete: 'Cascade', onUpdate: 'Cascade', referencedFields })
  }
  resolved.joinTables.set(`_${name}`, [...ends].sort())
}

/** Why the text does not explain this pair of relation fields, or undefined when it does. */
function pairProblem(pair: readonly RelationSide[], models: ReadonlyMap<string, ModelInfo>): string | undefined {
  if (pair.length !== 2) return `${pair.length} side(s) in the client, expected 2`
  for (const side of pair) {
    if (side.parsed === undefined) return `${side.model}.${side.field.name} not found in the schema text`
    const relation = attribute(side.parsed.attributes, 'relation')
    const explicit = stringValue(argument(relation, 'name', 0))
    const name = explicit ?? [side.model, side.field.type].sort().join('To')
    if (name !== side.field.relationName) return `the text names it "${name}"`
    const { from, to } = keyOf(side)
    if (from.length !== to.length) return `${side.model}.${side.field.name}: fields and references differ in length`
    const scalar = (model: string, field: string) =>
      ['scalar', 'enum'].includes(models.get(model)?.fields.get(field)?.kind ?? '')
    if (!from.every((f) => scalar(side.model, f)) || !to.every((f) => scalar(side.field.type, f))) {
      return `${side.model}.${side.field.name}: its keys name fields the client does not have`
    }
  }
  const keyed = pair.filter((side) => keyOf(side).from.length > 0).length
  const lists = pair.filter((side) => side.field.isList).length
  // One side holds the key; or none (implicit m-n, both lists); or both (MongoDB m-n: lists of ids, both lists).
  if (keyed === 1 ? lists === 2 : lists !== 2) return `keys on ${keyed} side(s) with ${lists} list side(s)`
  return undefined
}

function keyOf(side: RelationSide): { from: string[]; to: string[] } {
  const relation = attribute(side.parsed?.attributes ?? [], 'relation')
  return {
    from: fieldNames(argument(relation, 'fields')) ?? [],
    to: fieldNames(argument(relation, 'references')) ?? [],
  }
}

function action(side: RelationSide, name: 'onDelete' | 'onUpdate'): ReferentialAction | undefined {
  const value = nameValue(argument(attribute(side.parsed?.attributes ?? [], 'relation'), name))
  return value !== undefined && ACTIONS.has(value) ? (value as ReferentialAction) : undefined
}

/**
 * Prisma's default onDelete (prisma-engines, parser-database's relation walker): Restrict when the relation is
 * required — some foreign key field is required, or else the relation field is — (NoAction where the database
 * has no Restrict: SQL Server with foreign keys), else SetNull. onUpdate defaults to Cascade.
 */
function defaultOnDelete(side: RelationSide, keys: readonly FieldInfo[], datasource: Datasource): ReferentialAction {
  const required = keys.some((f) => f.isRequired) || side.field.isRequired
  if (!required) return 'SetNull'
  return datasource.provider === 'sqlserver' && datasource.relationMode !== 'prisma' ? 'NoAction' : 'Restrict'
}
