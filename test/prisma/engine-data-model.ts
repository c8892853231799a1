import wasm from '@prisma/prisma-schema-wasm'
import type { RuntimeDataModel } from '../../src/prisma/data-model.js'

/** A field of Prisma's DMMF data model (the parts the comparison reads). */
export interface DmmfField {
  name: string
  kind: 'scalar' | 'enum' | 'object'
  type: string
  isList: boolean
  isRequired: boolean
  isId: boolean
  isUnique: boolean
  dbName?: string | null
  relationName?: string
  relationFromFields?: string[]
  relationToFields?: string[]
  relationOnDelete?: string
  relationOnUpdate?: string
}

export interface DmmfModel {
  name: string
  dbName: string | null
  schema: string | null
  fields: DmmfField[]
  primaryKey: { name: string | null; fields: string[] } | null
  uniqueIndexes: { name: string | null; fields: string[] }[]
}

/** What Prisma's own engine (prisma-schema-wasm, the version prisma 7.10 ships) makes of a schema. */
export interface EngineView {
  /** The DMMF data model (`get_dmmf`). */
  models: DmmfModel[]
  /** `client._runtimeDataModel` as the prisma-client generator embeds it (the DMMF pruned; see below). */
  runtime: RuntimeDataModel
  /** `_engineConfig.inlineSchema` as the generator embeds it: the files merged by the engine (`merge_schemas`). */
  inline: string
  provider: string
}

/** The engine's view of a schema given as text, or as the files of a schema folder ([name, text] pairs). */
export function engineView(schema: string | [string, string][]): EngineView {
  const files = typeof schema === 'string' ? [['schema.prisma', schema] as [string, string]] : schema
  const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: files }))) as {
    datamodel: { models: DmmfModel[] }
  }
  const config = JSON.parse(
    wasm.get_config(
      JSON.stringify({ prismaSchema: files, datasourceOverrides: {}, ignoreEnvVarErrors: true, env: {} }),
    ),
  ) as {
    config: { datasources: { activeProvider: string }[] }
  }
  const inline = wasm.merge_schemas(JSON.stringify({ schema: files }))
  return {
    models: dmmf.datamodel.models,
    runtime: runtimeDataModel(dmmf.datamodel.models),
    inline,
    provider: config.config.datasources[0]!.activeProvider,
  }
}

/**
 * `dmmfToRuntimeDataModel` + `pruneRuntimeDataModel` of @prisma/client-common 7.10 (src/runtimeDataModel.ts),
 * which the prisma-client generator runs to embed `config.runtimeDataModel`: per model its table name, schema
 * and fields' name, kind, type, relation name and column name.
 */
function runtimeDataModel(models: readonly DmmfModel[]): RuntimeDataModel {
  const entries = models.map((model) => {
    const fields = model.fields.map(({ name, kind, type, relationName, dbName }) => ({
      name,
      kind,
      type,
      relationName,
      dbName,
    }))
    return [model.name, { fields, dbName: model.dbName, schema: model.schema }] as const
  })
  return { models: Object.fromEntries(entries) }
}
