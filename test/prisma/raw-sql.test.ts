import { describe, expect, it } from 'vitest'
import { buildDataModel } from '../../src/prisma/data-model.js'
import { rawSqlTags } from '../../src/prisma/raw-sql.js'
import { engineView } from './engine-data-model.js'

/**
 * What a raw statement invalidates, per dialect, table-driven. The schema: User (table "users", in schema auth
 * on PostgreSQL), Account (table "users" in schema public on PostgreSQL — the same name in another schema),
 * Post (Cascade to User), Tag (m-n with Post: "_PostToTag"), Log (no relations).
 */
function schema(provider: string): string {
  const multi = provider === 'postgresql'
  const at = (name: string) => (multi ? `\n  @@schema("${name}")` : '')
  return `datasource db {
  provider = "${provider}"${multi ? '\n  schemas = ["auth", "public"]' : ''}
}

model User {
  id    Int    @id
  posts Post[]

  @@map("users")${at('auth')}
}

model Account {
  id Int @id

  @@map("${multi ? 'users' : 'accounts'}")${at('public')}
}

model Post {
  id       Int   @id
  authorId Int
  author   User  @relation(fields: [authorId], references: [id], onDelete: Cascade)
  tags     Tag[]${at('public')}
}

model Tag {
  id    Int    @id
  posts Post[]${at('public')}
}

model Log {
  id Int @id${at('public')}
}
`
}

const models = (provider: string) => {
  const engine = engineView(schema(provider))
  return buildDataModel({ runtime: engine.runtime, schema: engine.inline, provider: engine.provider }, 'test')
}
const DATA = {
  postgresql: models('postgresql'),
  sqlite: models('sqlite'),
  mysql: models('mysql'),
  sqlserver: models('sqlserver'),
}
type Dialect = keyof typeof DATA

const NOTHING = undefined
const ALL = 'all'
/** User's writes reach Post (its foreign key cascades from User). */
const USER = ['Post', 'User']

const CASES: [Dialect, string, string[] | typeof ALL | typeof NOTHING][] = [
  // statements that change no rows, and name no table or only read
  ['postgresql', 'SELECT 1', NOTHING],
  ['postgresql', 'SET search_path TO auth', NOTHING],
  ['postgresql', 'SHOW search_path', NOTHING],
  ['mysql', 'SHOW TABLES', NOTHING],
  ['mysql', "SET @x = 'delete from users'", NOTHING],
  ['sqlite', 'PRAGMA foreign_keys = ON', NOTHING],
  ['postgresql', 'select * from "Post" for update', NOTHING],
  ['postgresql', 'SELECT * FROM "Post" FOR NO KEY UPDATE', NOTHING],
  ['postgresql', 'BEGIN; SELECT 1; COMMIT', NOTHING],
  ['postgresql', '', NOTHING],
  // a read that writes
  ['postgresql', 'WITH d AS (DELETE FROM "Log" RETURNING *) SELECT * FROM d', ['Log']],
  ['postgresql', 'EXPLAIN ANALYZE DELETE FROM "Log"', ['Log']],
  // PostgreSQL: schema.table, quoting, comments, strings
  ['postgresql', 'DELETE FROM auth.users', USER],
  ['postgresql', 'DELETE FROM "auth"."users" WHERE id = $1', USER],
  ['postgresql', 'UPDATE public.users SET id = 2', ['Account']],
  ['postgresql', 'UPDATE users SET id = 2', ['Account', ...USER]],
  ['postgresql', 'UPDATE "Log" SET id = 1 -- ; DELETE FROM users', ['Log']],
  ['postgresql', 'UPDATE "Log" SET note = \'--\'; DELETE FROM auth.users', ['Log', ...USER]],
  ['postgresql', "UPDATE \"Log\" SET note = 'it''s; DELETE FROM users'", ['Log']],
  ['postgresql', 'UPDATE "Log" SET note = E\'\\\' -- \'; DELETE FROM "Tag"', ['Log', 'Tag']],
  ['postgresql', 'UPDATE "Log" SET note = $tag$ -- ; $tag$; DELETE FROM "Tag"', ['Log', 'Tag']],
  ['postgresql', 'UPDATE "Log" /* a /* nested */ comment; DELETE FROM users */ SET id = 1', ['Log']],
  ['postgresql', 'INSERT INTO "_PostToTag" ("A", "B") VALUES (1, 2)', ['Post', 'Tag']],
  ['postgresql', 'DO $$ BEGIN DELETE FROM "Log"; END $$', ALL],
  ['postgresql', 'CALL cleanup()', ALL],
  ['postgresql', 'DROP TABLE "Unknown"', ALL],
  // SQLite: three identifier quotes; comments do not nest
  ['sqlite', 'DELETE FROM [users]', USER],
  ['sqlite', 'DELETE FROM `accounts`', ['Account']],
  ['sqlite', 'UPDATE main."Log" SET id = 1', ['Log']],
  ['sqlite', 'UPDATE "Log" /* a /* b */ SET id = 1; DELETE FROM "Tag"', ['Log', 'Tag']],
  ['sqlite', 'INSERT INTO "Log" VALUES (\'[users]\')', ['Log']],
  // MySQL: backticks, db.table, "strings", backslash escapes, # and -- comments, executable comments
  ['mysql', 'DELETE FROM `app`.`users`', USER],
  ['mysql', 'UPDATE Log SET note = "users"', ['Log']],
  ['mysql', "UPDATE Log SET note = 'it\\'s -- '; DELETE FROM Tag", ['Log', 'Tag']],
  ['mysql', 'UPDATE Log SET id = 1 # ; DELETE FROM users', ['Log']],
  ['mysql', 'UPDATE Log SET id = 1--1; DELETE FROM Tag', ['Log', 'Tag']],
  ['mysql', '/*!50000 DELETE FROM accounts */', ['Account']],
  ['mysql', 'INSERT INTO Log (id) VALUES (1) ON DUPLICATE KEY UPDATE id = 2', ['Log']],
  // SQL Server: brackets, nested comments
  ['sqlserver', 'DELETE FROM [dbo].[users]', USER],
  ['sqlserver', 'SET NOCOUNT ON UPDATE [accounts] SET id = 1', ['Account']],
  ['sqlserver', 'UPDATE [Log] SET id = 1 /* /* */ DELETE FROM users */', ['Log']],
]

describe('rawSqlTags', () => {
  it.each(CASES)('%s: %s', (dialect, sql, expected) => {
    const tags = rawSqlTags(DATA[dialect], sql)
    expect(tags instanceof Set ? [...tags].sort() : tags).toEqual(expected)
  })
})
