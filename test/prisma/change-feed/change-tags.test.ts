import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { changeTags } from '../../../src/prisma/change-feed/change-tags.js'
import { schemaTableNames } from '../../../src/prisma/change-feed/tables.js'
import { buildDataModel } from '../../../src/prisma/data-model.js'
import { engineView } from '../engine-data-model.js'

/**
 * Which tags a row change of the stream invalidates, on the multiSchema corpus schema: one table name (`users`)
 * in two database schemas, each mapped by another model (`@@map`). The feed reads one schema (the connection's,
 * or its `schema` option); the same name in the other schema must never be taken for it.
 */
const engine = engineView(readFileSync(new URL('../schemas/multi-schema.prisma', import.meta.url), 'utf8'))
const dataModel = buildDataModel({ runtime: engine.runtime, schema: engine.inline, provider: engine.provider }, 'test')
const sorted = (tags: Set<string> | 'all') => (tags === 'all' ? tags : [...tags].sort())

describe('change feed: a change -> tags, by the schema the feed reads', () => {
  it('a table name two schemas share is the model of the feed schema', () => {
    const update = { kind: 'update', table: 'users', old: undefined, new: { id: 7 } } as const
    const inAuth = sorted(changeTags(dataModel, update, 'auth'))
    const inPublic = sorted(changeTags(dataModel, update, 'public'))
    expect(inAuth).toEqual(['AuthUser:*', 'AuthUser:id=7'])
    expect(inPublic).toEqual(['User:*', 'User:id=7'])
  })

  it('a table of another schema, or none the schema knows, invalidates everything', () => {
    expect(changeTags(dataModel, { kind: 'insert', table: 'Invoice', new: { id: 1 } }, 'public')).toBe('all')
    expect(changeTags(dataModel, { kind: 'insert', table: 'audit_log', new: { id: 1 } }, 'billing')).toBe('all')
    expect(changeTags(dataModel, { kind: 'truncate', tables: ['users', 'Session'] }, 'public')).toBe('all')
  })

  it("the publication lists the feed schema's tables only", () => {
    expect(schemaTableNames(dataModel, 'auth').sort()).toEqual(expect.arrayContaining(['users', 'session']))
    expect(schemaTableNames(dataModel, 'auth')).not.toContain('invoice')
    expect(schemaTableNames(dataModel, 'billing')).toContain('invoice')
  })
})
