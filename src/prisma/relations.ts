import type { Dependent, FieldInfo, ModelInfo, ReferentialAction } from './data-model.js'
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
  datasource: { provider: string; relationMode: string | undefined },
): ResolvedRelations {
  const resolved: ResolvedRelations = { dependents: new Map(), joinTables: new Map(), mismatches: [] }
  const depend = (target: string, dependent: Dependent) => resolved.dependents.set(target, [...(resolved.dependents.get(target) ?? []), dependent])
  const pairs = new Map<string, RelationSide[]>()
  for (const side of sides) {
    const key = `${side.field.relationName}\0${[side.model, side.field.type].sort().join('\0')}`
    pairs.set(key, [...(pairs.get(key) ?? []), side])
  }
  for (const pair of pairs.values()) {
    const [a, b] = pair
    const problem = pairProblem(pair, models)
    const name = a!.field.relationName
    if (problem !== undefined) {
      resolved.mismatches.push(`relation ${name} (${pair.map((s) => `${s.model}.${s.field.name}`).join(', ')}): ${problem}`)
      const ends = [a!.model, a!.field.type]
      for (const [from, to] of [ends, [...ends].reverse()] as const) {
        const referenced = [...models.get(from!)!.fields.values()].filter((f) => f.kind === 'scalar' || f.kind === 'enum')
        depend(from!, { model: to!, onDelete: 'Cascade', onUpdate: 'Cascade', referencedFields: referenced.map((f) => f.name) })
      }
      resolved.joinTables.set(`_${name}`, [...new Set(ends)].sort() as string[])
      continue
    }
    const keyed = pair.filter((side) => keyOf(side).from.length > 0)
    if (keyed.length === 0) resolved.joinTables.set(`_${name}`, [a!.model, b!.model].sort())
    for (const side of keyed) {
      const { from, to } = keyOf(side)
      const fields = models.get(side.model)!.fields
      const onDelete = action(side, 'onDelete') ?? defaultOnDelete(side, from.map((f) => fields.get(f)!), datasource)
      const onUpdate = action(side, 'onUpdate') ?? 'Cascade'
      Object.assign(side.field, { relationFromFields: from, relationToFields: to, onDelete, onUpdate })
      depend(side.field.type, { model: side.model, onDelete, onUpdate, referencedFields: to })
    }
    for (const side of pair) if (!keyed.includes(side)) Object.assign(side.field, { relationFromFields: [], relationToFields: [] })
  }
  return resolved
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
    const scalar = (model: string, field: string) => ['scalar', 'enum'].includes(models.get(model)?.fields.get(field)?.kind ?? '')
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
  return { from: fieldNames(argument(relation, 'fields')) ?? [], to: fieldNames(argument(relation, 'references')) ?? [] }
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
function defaultOnDelete(side: RelationSide, keys: readonly FieldInfo[], datasource: { provider: string; relationMode: string | undefined }): ReferentialAction {
  const required = keys.some((f) => f.isRequired) || (side.field.isRequired && !side.field.isList)
  if (!required) return 'SetNull'
  return datasource.provider === 'sqlserver' && datasource.relationMode !== 'prisma' ? 'NoAction' : 'Restrict'
}
