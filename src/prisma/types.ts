/**
 * Types the Prisma layer's modules share (the data model, what a read reports), in one file that imports none
 * of them: no module needs another's implementation file for a type, so no import circles.
 */

/** What the cache needs to know of a Prisma schema: models, their keys, and how relations change other tables. */
export interface DataModel {
  models: ReadonlyMap<string, ModelInfo>
  /** The database provider (`postgresql`, `sqlite`, `mysql`, …): picks the raw SQL dialect. */
  provider: string
  /** Tables by lower-case name (`@@map` name or model name; implicit m-n join tables too), for raw SQL. */
  tables: ReadonlyMap<string, readonly TableInfo[]>
  /** A digest of the whole schema: part of every key, so a changed schema never reads old shapes. */
  fingerprint: string
  /**
   * Where the schema text and the client's runtime data model disagree, each already answered by
   * over-invalidation (see {@link buildDataModel}); reported once at start-up. Empty for every schema we know.
   */
  mismatches: readonly string[]
}

/** One table of that name: the models stored in it, and its database schema (undefined: the connection's). */
export interface TableInfo {
  schema: string | undefined
  models: readonly string[]
}

export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault'

export interface FieldInfo {
  name: string
  /** `composite`: a MongoDB `type` (embedded document), never a relation. */
  kind: 'scalar' | 'enum' | 'object' | 'composite'
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
  /**
   * A `model`, a `view` (read-only; the database computes its rows from other tables), or `unparsed`: a model the
   * schema text lacks (see {@link buildDataModel}), treated as a view since it could be one.
   */
  kind: 'model' | 'view' | 'unparsed'
  /** Table name (`@@map`), or the model name. */
  dbName: string
  /** The database schema (`@@schema`), when the schema file names one. */
  schema: string | undefined
  fields: ReadonlyMap<string, FieldInfo>
  /** Primary key fields, in declaration order. */
  primaryKey: readonly string[]
  /** Name Prisma uses in `where` for a compound id or unique (e.g. `userId_orgId`) → its fields. */
  compoundUniques: ReadonlyMap<string, readonly string[]>
  /** Single-field uniques (`@id`, `@unique`, and `@@id` / `@@unique` of one field). */
  singleUniques: ReadonlySet<string>
  /** Models whose rows a delete or key update of this model changes through referential actions. */
  dependents: readonly Dependent[]
  /**
   * For a view: the models whose tables it reads, as the user declared them (`views` option); its reads are
   * cached only then. Undefined for models, and for views nobody declared.
   */
  viewReads: readonly string[] | undefined
}

export interface Dependent {
  /** The model holding the foreign key. */
  model: string
  onDelete: ReferentialAction
  onUpdate: ReferentialAction
  /** Fields of this (referenced) model the foreign key points at. */
  referencedFields: readonly string[]
}

/** The client's `_runtimeDataModel` (Prisma 7): per model its fields, relation names, table name and schema. */
export interface RuntimeDataModel {
  models: Readonly<Record<string, RuntimeModel>>
}

export interface RuntimeModel {
  dbName: string | null
  schema?: string | null
  fields: readonly RuntimeField[]
}

export interface RuntimeField {
  name: string
  kind: string
  type: string
  relationName?: string | undefined
}

/** Where one read's answer came from (`withCacheInfo()`). */
export interface CacheInfo {
  /**
   * l1 / l2: a cache hit in that tier; stale: served within its swr window; db: a miss, queried; coalesced: another
   * caller's query; bypass: the cache was not used.
   */
  source: 'l1' | 'l2' | 'stale' | 'db' | 'coalesced' | 'bypass'
  /** The key (without the schema namespace); undefined for a bypass. */
  key: string | undefined
  tags: readonly string[]
  /** How long the entry has left, in ms (ttl + swr for a fresh fill); undefined for a bypass or a result not stored. */
  ttlLeftMs: number | undefined
  /**
   * How long ago the entry was filled, in ms: 0 for a miss, (ttl + swr) − ttlLeftMs for a hit (the read's own
   * ttl + swr: the rule that also decides when it is stale); undefined for a bypass.
   */
  ageMs?: number | undefined
  /**
   * Why a result read from the database was not cached: `tooLarge`, over every tier's bound for one entry (the
   * key is then not offered again for a while). Absent when it was cached.
   */
  reason?: 'tooLarge'
}

/** Reported to `onEvent`. */
export type CacheEvent =
  | ({ type: 'hit' | 'miss'; model: string; operation: string } & CacheInfo)
  | { type: 'invalidate'; tags: readonly string[] | 'all'; transactionId: string | undefined }
  | { type: 'error'; model: string | undefined; operation: string; error: unknown }
  /** Once at start-up: where the schema text and the client's runtime data model disagree (over-invalidated). */
  | { type: 'data-model'; mismatches: readonly string[] }
