/**
 * The tiered setup on PostgreSQL: L1 in this process, L2 in Redis shared by instances, a bus between them.
 *
 *   DATABASE_URL=postgresql://user@127.0.0.1:5432/db REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/postgres/main.ts
 *
 * Creates the test schema's tables (prisma/sql/postgresql.sql) in a PostgreSQL schema of its own, `ptc_example`,
 * and drops that schema at the end: nothing else in the database is touched. Shows a read from the database, then
 * from L1, a second instance's read through Redis, a write on one instance reaching the other one's L1 over the
 * bus, and a clean shutdown (the process exits by itself). Exits 1 naming the variable when one is missing or
 * Redis cannot be reached.
 */
import { readFile } from 'node:fs/promises'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient } from '../../prisma/generated/postgresql/client.js'
import { cacheExtension, MemoryCache, RedisBus, RedisCache, TieredCache } from 'prisma-tiered-cache'
import { connectRedisOrExit } from '../support.js'

const command = 'npx tsx examples/postgres/main.ts'
const connectionString = process.env['DATABASE_URL']
if (!connectionString?.startsWith('postgres')) {
  console.error(
    `DATABASE_URL must name a PostgreSQL database (postgresql://...):\n  DATABASE_URL=postgresql://... ${command}`,
  )
  process.exit(1)
}
const redis = await connectRedisOrExit(command)

// The tables, in a schema of this example's own.
const schema = 'ptc_example'
const admin = new pg.Client({ connectionString })
await admin.connect()
await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; SET search_path TO ${schema}`)
await admin.query(await readFile(new URL('../../prisma/sql/postgresql.sql', import.meta.url), 'utf8'))

const prefix = 'example-postgres:'
/** One application instance: its own L1 and bus subscription, the shared Redis. */
function instance() {
  const cache = new TieredCache(
    new MemoryCache({ maxSize: 32 * 1024 * 1024 }),
    new RedisCache({ client: redis, prefix }),
    {
      bus: new RedisBus({ client: redis, prefix }),
    },
  )
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString }, { schema }) }).$extends(
    cacheExtension({ cache }),
  )
  return { prisma, cache }
}
const a = instance()
const b = instance()
// The tables were just created: whatever an earlier run left under this prefix describes other rows.
await a.prisma.$cache.clear()
for (const { cache } of [a, b]) {
  for (const deadline = Date.now() + 5000; !cache.stats().bus?.connected && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const show = (label: string, info: { source: string }, name: unknown) =>
  console.log(`${label.padEnd(40)} name ${JSON.stringify(name).padEnd(16)} source ${info.source}`)
const ada = await a.prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
const read = async (who: typeof a, label: string) => {
  const { data, info } = await who.prisma.user.findUnique({ where: { id: ada.id }, cache: 60 }).withCacheInfo()
  show(label, info, data?.name)
}
await read(a, 'A reads User 1')
await read(a, 'A reads User 1 again')
await a.prisma.$cache.flush() // the miss's write to Redis runs in the background
await read(b, 'B reads User 1 (its L1 is empty)')
await read(b, 'B reads User 1 again')
await a.prisma.user.update({ where: { id: ada.id }, data: { name: 'Ada Lovelace' } })
// The bus tells B's L1 (within a millisecond or so on one machine): wait until B no longer holds the old row.
const storedKey =
  b.prisma.$cache.namespace + b.prisma.$cache.keyFor('User', 'findUnique', { where: { id: ada.id } }).toString()
for (const deadline = Date.now() + 5000; Date.now() < deadline && (await b.cache.l1.has(storedKey));) {
  await new Promise((resolve) => setTimeout(resolve, 5))
}
await read(b, 'B reads User 1 after A wrote')

// Shutdown: every connection closed, the schema dropped; the process then exits by itself.
await Promise.all([a.prisma.$disconnect(), b.prisma.$disconnect()])
await a.prisma.$cache.close()
await b.prisma.$cache.close({ clients: true })
await admin.query(`DROP SCHEMA ${schema} CASCADE`)
await admin.end()
console.log('closed: the process exits by itself')
