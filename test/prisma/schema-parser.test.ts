import { describe, expect, it } from 'vitest'
import { buildDataModel } from '../../src/prisma/data-model.js'
import { rawSqlTags } from '../../src/prisma/raw-sql.js'
import { attribute, fieldNames, parseSchema } from '../../src/prisma/schema-parser.js'
import { tokenizeSchema } from '../../src/prisma/schema-tokens.js'
import { writeTags } from '../../src/prisma/write-tags.js'
import { engineView } from './engine-data-model.js'

describe('tokenizeSchema', () => {
  it('reads strings whole (escapes included) and drops //, /// and /* */ comments', () => {
    const tokens = tokenizeSchema('a "x \\" } // \\\\" // c "\n/// d }\nb /* e\n } */ c\n')
    expect(tokens.map((t) => (t.kind === 'newline' ? '\\n' : t.text))).toEqual([
      'a',
      'x " } // \\',
      '\\n',
      'b',
      '\\n',
      'c',
      '\\n',
    ])
    expect(tokens[1]!.kind).toBe('string')
  })
})

describe('parseSchema', () => {
  const parsed = parseSchema(`
datasource db {
  provider     = "sqlserver"
  relationMode = "prisma"
}
/* model Ghost {
  id Int @id
} */
model A { // what follows { on its line is ignored, as by Prisma
  id   Int                    @id
  u    Unsupported("text @id")?
  b    B[]                    @relation("x: fields: [u]", map: "onDelete: Restrict")
  /* } */
  @@unique([id(sort: Desc, length: 20), u])
  @@map(name: "as")
}
`)
  it('reads blocks, fields, modifiers and attributes without being fooled by strings, comments or nesting', () => {
    expect(parsed.datasource).toEqual({ provider: 'sqlserver', relationMode: 'prisma' })
    expect(parsed.blocks.map((b) => b.name)).toEqual(['A'])
    const [block] = parsed.blocks
    expect(block!.fields.map((f) => [f.name, f.type, f.isList, f.isOptional, f.attributes.map((a) => a.name)])).toEqual(
      [
        ['id', 'Int', false, false, ['id']],
        ['u', 'Unsupported', false, true, []],
        ['b', 'B', true, false, ['relation']],
      ],
    )
    const relation = attribute(block!.fields[2]!.attributes, 'relation')!
    expect(relation.args.positional).toEqual([{ kind: 'string', value: 'x: fields: [u]' }])
    expect(relation.args.named.get('fields')).toBeUndefined()
    expect(block!.attributes.map((a) => a.name)).toEqual(['unique', 'map'])
    expect(fieldNames(block!.attributes[0]!.args.positional[0])).toEqual(['id', 'u'])
  })
})

/** A runtime data model and a schema text that disagree: a relation the text does not explain. */
function mismatched() {
  const engine = engineView(`datasource db {
  provider = "postgresql"
}

model Owner {
  id    Int    @id
  email String @unique
  pets  Pet[]

  @@map("owners")
}

model Pet {
  id      Int   @id
  ownerId Int
  owner   Owner @relation(fields: [ownerId], references: [id], onDelete: Restrict)
  toys    Toy[]
}

model Toy {
  id   Int   @id
  pets Pet[]
}
`)
  // The text the cache reads lost Pet.owner's line and Toy's block (as a broken reader could): the runtime
  // data model still has them.
  const text = engine.inline.replace(/^ {2}owner .*$/m, '').replace(/model Toy \{[^}]*\}/, '')
  return buildDataModel({ runtime: engine.runtime, schema: text, provider: engine.provider }, 'test')
}

describe('where the text and the runtime data model disagree', () => {
  const dataModel = mismatched()

  it('lists every disagreement', () => {
    expect(dataModel.mismatches).toEqual([
      'field Pet.owner: not found in the schema text',
      'model Toy: not found in the schema text',
      'relation OwnerToPet (Owner.pets, Pet.owner): Pet.owner not found in the schema text',
      'relation PetToToy (Pet.toys, Toy.pets): Toy.pets not found in the schema text',
    ])
  })

  it('treats an unexplained relation as cascading both ways: writes and raw SQL over-invalidate, never under', () => {
    expect([...writeTags(dataModel, 'Owner', 'delete', { where: { id: 1 } }, { id: 1 })].sort()).toEqual([
      'Owner',
      'Owner:*',
      'Owner:id=1',
      'Pet',
      'Toy',
    ])
    expect([...writeTags(dataModel, 'Pet', 'update', { where: { id: 1 }, data: { id: 2 } }, { id: 2 })].sort()).toEqual(
      ['Owner', 'Pet', 'Pet:*', 'Pet:id=1', 'Pet:id=2', 'Toy'],
    )
    expect([...(rawSqlTags(dataModel, 'DELETE FROM "Pet"') as Set<string>)].sort()).toEqual(['Owner', 'Pet', 'Toy'])
    expect([...(rawSqlTags(dataModel, 'DELETE FROM "_PetToToy"') as Set<string>)].sort()).toEqual([
      'Owner',
      'Pet',
      'Toy',
    ])
  })

  it('gives a model the text lacks no keys, and treats it as a view (its reads bypass unless declared)', () => {
    const toy = dataModel.models.get('Toy')!
    expect([toy.kind, toy.primaryKey, [...toy.singleUniques], toy.viewReads]).toEqual(['unparsed', [], [], undefined])
    expect(dataModel.models.get('Owner')!.singleUniques).toEqual(new Set(['id', 'email']))
  })
})

describe('the views option', () => {
  const engine = engineView(`datasource db {
  provider = "sqlite"
}

generator client {
  provider        = "prisma-client"
  previewFeatures = ["views"]
}

model Booking {
  id Int @id
}

view BookingStatus {
  id    Int    @unique
  state String
}
`)
  const build = (views: Record<string, readonly string[]>) =>
    buildDataModel({ runtime: engine.runtime, schema: engine.inline, views }, 'test')

  it('marks views, and records the models a declared one reads', () => {
    expect(build({}).models.get('BookingStatus')).toMatchObject({ kind: 'view', viewReads: undefined })
    expect(build({ BookingStatus: ['Booking'] }).models.get('BookingStatus')).toMatchObject({
      kind: 'view',
      viewReads: ['Booking'],
    })
    expect(build({}).models.get('Booking')).toMatchObject({ kind: 'model', viewReads: undefined })
  })

  it('rejects an entry that names no view, or models the schema lacks, naming it', () => {
    expect(() => build({ Booking: ['Booking'] })).toThrow(
      'views: { Booking } }): "Booking" is not a view of this schema (views: BookingStatus)',
    )
    expect(() => build({ BookingStatus: ['Bookings'] })).toThrow('"Bookings" is not a model of this schema')
    expect(() => build({ BookingStatus: [] })).toThrow('must be a non-empty array of model names')
  })
})
