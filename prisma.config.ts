/**
 * Prisma CLI configuration (Prisma 7 reads the datasource URL from here, never
 * from schema.prisma).
 *
 * The test suite does not need it: scripts/generate.mjs passes each schema
 * explicitly (`prisma generate --schema ...`: prisma/schema.prisma for
 * PostgreSQL, and the SQLite copy it derives into prisma/generated/), and
 * tables are created from prisma/sql/*.sql by test/support/database.ts,
 * because `migrate`/`db push` need the Rust schema engine that cannot be
 * downloaded here. It makes a bare `npx prisma <command>` use the PostgreSQL
 * schema and, when set, DATABASE_URL. `process.env` rather than `env()`:
 * `env('DATABASE_URL')` throws when the variable is unset, even for commands
 * that need no database such as `generate`.
 */
import { defineConfig } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  datasource: {
    url: process.env['DATABASE_URL'] ?? '',
  },
})
