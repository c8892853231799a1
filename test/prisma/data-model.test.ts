import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildDataModel, type DataModel } from '../../src/prisma/data-model.js'
import { type DmmfModel, engineView, type EngineView } from './engine-data-model.js'
import { generatedSchema } from './schemas/generated-schema.js'

/**
 * The data model against Prisma 7.10's own engine (@prisma/prisma-schema-wasm at prisma's engine version): for
 * every schema of the corpus, what buildDataModel makes of the client's runtime data model and schema text
 * (both as the prisma-client generator embeds them) equals what the engine's DMMF says — models, tables and
 * schemas, relation fields, foreign keys, referential actions, implicit m-n tables, ids and uniques — and the
 * check against the runtime data model finds nothing to fall back on.
 */
const here = (path: string) => new URL(path, import.meta.url)
const text = (path: string) => readFileSync(here(path), 'utf8')
const folder = (path: string) =>
  readdirSync(here(path)).map((name): [string, string] => [name, text(`${path}/${name}`)])

const CORPUS: { name: string; schema: string | [string, string][]; relationMode?: string; models: number }[] = [
  {
    name: 'every construct of issue 14 (schemas/constructs.prisma)',
    schema: text('schemas/constructs.prisma'),
    models: 9,
  },
  { name: 'the test schema (prisma/schema.prisma)', schema: text('../../prisma/schema.prisma'), models: 7 },
  { name: 'multiSchema (schemas/multi-schema.prisma)', schema: text('schemas/multi-schema.prisma'), models: 5 },
  { name: 'a schema folder (schemas/multi-file/)', schema: folder('schemas/multi-file'), models: 3 },
  { name: 'MongoDB type blocks (schemas/mongo.prisma)', schema: text('schemas/mongo.prisma'), models: 3 },
  { name: 'MySQL, relationMode prisma', schema: text('schemas/mysql.prisma'), relationMode: 'prisma', models: 3 },
  { name: 'SQL Server (schemas/sqlserver.prisma)', schema: text('schemas/sqlserver.prisma'), models: 3 },
  { name: 'generated, 300 models, PostgreSQL', schema: generatedSchema(300, 1, 'postgresql'), models: 300 },
  { name: 'generated, 150 models, SQLite', schema: generatedSchema(150, 2, 'sqlite'), models: 150 },
  { name: 'generated, 150 models, MySQL', schema: generatedSchema(150, 3, 'mysql'), models: 150 },
]

describe("the data model equals Prisma engine's", () => {
  it.each(CORPUS)('$name', ({ schema, relationMode, models }) => {
    const engine = engineView(schema)
    const expected = describeEngine(engine, relationMode)
    // Prisma 7.10's generator embeds the files as the engine merged and reformatted them; the text as written
    // (earlier 7.x embed it so) must give the same data model.
    const written = typeof schema === 'string' ? schema : schema.map(([, content]) => content).join('\n')
    for (const text of [engine.inline, written]) {
      const ours = buildDataModel({ runtime: engine.runtime, schema: text, provider: engine.provider }, 'test')
      expect(ours.mismatches).toEqual([])
      expect(ours.models.size).toBe(models)
      expect(describeOurs(ours)).toEqual(expected)
    }
  })

  it('the engine view is what the generator embeds in a client (runtime data model and schema text)', async () => {
    const { PrismaClient } = await import('../../prisma/generated/postgresql/client.js')
    const { PrismaPg } = await import('@prisma/adapter-pg')
    // Never connects: the constructor only keeps the adapter.
    const client = new PrismaClient({
      adapter: new PrismaPg({ connectionString: 'postgresql://nobody@127.0.0.1:1/none' }),
    })
    const internals = client as unknown as {
      _runtimeDataModel: unknown
      _engineConfig: { inlineSchema: string; activeProvider: string }
    }
    const engine = engineView(text('../../prisma/schema.prisma'))
    expect(internals._runtimeDataModel).toEqual({ ...engine.runtime, enums: {}, types: {} })
    expect(internals._engineConfig.inlineSchema).toBe(engine.inline)
    expect(internals._engineConfig.activeProvider).toBe(engine.provider)
  })
})

/** The comparable description: per model its table, keys and fields; the implicit m-n tables. */
interface Description {
  models: Record<
    string,
    {
      table: string
      schema: string | undefined
      primaryKey: readonly string[]
      uniques: string[]
      fields: Record<string, unknown>
    }
  >
  joinTables: string[]
}

function describeOurs(dataModel: DataModel): Description {
  const models: Description['models'] = {}
  for (const model of dataModel.models.values()) {
    const uniques = [
      ...model.singleUniques,
      ...[...model.compoundUniques].map(([name, fields]) => `${name}=${fields.join(',')}`),
    ]
    const fields: Record<string, unknown> = {}
    for (const f of model.fields.values()) {
      const relation =
        f.kind === 'object' ? { relationName: f.relationName, from: f.relationFromFields, to: f.relationToFields } : {}
      const actions = f.relationFromFields?.length ? { onDelete: f.onDelete, onUpdate: f.onUpdate } : {}
      fields[f.name] = {
        kind: f.kind,
        type: f.type,
        isList: f.isList,
        isRequired: f.isRequired,
        ...relation,
        ...actions,
      }
    }
    models[model.name] = {
      table: model.dbName,
      schema: model.schema,
      primaryKey: model.primaryKey,
      uniques: uniques.sort(),
      fields,
    }
  }
  // A model's table holds one model; an implicit m-n table links two.
  const linking = [...dataModel.tables].flatMap(([table, entries]) =>
    entries.filter((e) => e.models.length === 2).map((e) => [table, e] as const),
  )
  const joinTables = linking.map(([table, entry]) => `${table}:${entry.models.join(',')}`)
  return { models, joinTables: joinTables.sort() }
}

/**
 * The same description from the engine's DMMF. Referential actions the schema does not write are absent from the
 * DMMF; they are Prisma's defaults, applied here to the engine's field arities: onDelete Restrict for a required
 * relation (NoAction on SQL Server unless relationMode = "prisma"), SetNull for an optional one; onUpdate Cascade.
 */
function describeEngine(engine: EngineView, relationMode: string | undefined): Description {
  const byName = new Map(engine.models.map((m) => [m.name, m]))
  const models: Description['models'] = {}
  const joinTables: string[] = []
  for (const model of engine.models) {
    const primaryKey = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name)
    const singles = model.fields.filter((f) => f.isId || f.isUnique).map((f) => f.name)
    if (primaryKey.length === 1) singles.push(primaryKey[0]!)
    const compounds = [...model.uniqueIndexes, ...(model.primaryKey ? [model.primaryKey] : [])]
    for (const index of compounds) if (index.fields.length === 1) singles.push(index.fields[0]!)
    const named = compounds
      .filter((i) => i.fields.length > 1 || i.name !== null)
      .map((i) => `${i.name ?? i.fields.join('_')}=${i.fields.join(',')}`)
    const fields: Record<string, unknown> = {}
    for (const f of model.fields) {
      const kind = f.kind === 'object' && !byName.has(f.type) ? 'composite' : f.kind
      const relation =
        kind === 'object' ? { relationName: f.relationName, from: f.relationFromFields, to: f.relationToFields } : {}
      const actions = f.relationFromFields?.length ? engineActions(model, f, engine.provider, relationMode) : {}
      fields[f.name] = {
        kind,
        type: f.type,
        isList: f.isList,
        isRequired: f.isRequired && !f.isList,
        ...relation,
        ...actions,
      }
      const back = byName.get(f.type)?.fields.find((o) => o.relationName === f.relationName && o !== f)
      if (kind === 'object' && f.isList && back?.isList && !f.relationFromFields?.length && model.name <= f.type) {
        joinTables.push(`_${f.relationName!.toLowerCase()}:${[model.name, f.type].sort().join(',')}`)
      }
    }
    models[model.name] = {
      table: model.dbName ?? model.name,
      schema: model.schema ?? undefined,
      primaryKey,
      uniques: [...new Set(singles), ...named].sort(),
      fields,
    }
  }
  return { models, joinTables: [...new Set(joinTables)].sort() }
}

function engineActions(
  model: DmmfModel,
  field: DmmfModel['fields'][number],
  provider: string,
  relationMode: string | undefined,
) {
  const keys = field.relationFromFields!.map((name) => model.fields.find((f) => f.name === name)!)
  const required = keys.some((f) => f.isRequired && !f.isList) || (field.isRequired && !field.isList)
  const restrict = provider === 'sqlserver' && relationMode !== 'prisma' ? 'NoAction' : 'Restrict'
  return {
    onDelete: field.relationOnDelete ?? (required ? restrict : 'SetNull'),
    onUpdate: field.relationOnUpdate ?? 'Cascade',
  }
}
