/**
 * Self-tests of the Prisma side of the rig, on SQLite and on real PostgreSQL:
 * the hand-written DDL (prisma/sql/*.sql) matches what the generated clients
 * expect for every model, scalar type, relation kind and referential action,
 * and startDatabase/reset/stop behave as documented.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isPidAlive } from './processes.js'
import {
  Prisma,
  portableSql,
  PROVIDERS,
  Role,
  sqlIn,
  startDatabase,
  type Provider,
  type TestDatabase,
  type TestPrismaClient,
} from './database.js'

/** Open TCP sockets of this process (pg connections among them). */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap' || kind === 'TCPWRAP').length
}

/** A raw-SQL count of a table, bypassing Prisma. */
async function countRows(db: TestDatabase, table: string): Promise<number> {
  const rows = await db.query(`SELECT COUNT(*) AS n FROM "${table}"`)
  return Number(rows[0]?.['n'])
}

describe.each(PROVIDERS)('TestDatabase on %s', (provider: Provider) => {
  let db: TestDatabase
  let prisma: TestPrismaClient
  let tcpBefore = 0

  beforeAll(async () => {
    tcpBefore = tcpHandles()
    db = await startDatabase(provider)
    prisma = db.createClient()
  })

  afterAll(async () => {
    // Normally stopped by the last test; this covers a failure before it.
    await db?.stop()
  })

  beforeEach(async () => {
    await db.reset()
  })

  it('describes itself', () => {
    expect(db.provider).toBe(provider)
    if (provider === 'sqlite') {
      expect(db.url).toMatch(/^file:\/.+\.db$/)
      expect(existsSync(fileURLToPath(db.url.replace(/^file:/, 'file://')))).toBe(true)
      expect(db.schema).toBeUndefined()
    } else if (provider === 'mysql') {
      expect(db.url).toMatch(/^mysql:\/\/[^/]+\/tdb_/)
      expect(db.schema).toBeUndefined()
    } else {
      expect(db.url).toMatch(/^postgres(ql)?:\/\//)
      expect(db.schema).toBeTypeOf('string')
    }
  })

  it('round-trips every scalar type with its JavaScript type', async () => {
    const createdAt = new Date('2024-02-29T12:34:56.789Z')
    const settings = {
      json: { nested: { deep: [1, 'two', null, { three: true }] } },
      meta: { createdBy: 'test', tags: ['a', 'b'], count: 3, ratio: 0.5 },
      empty: {},
      unicode: 'zażółć 🚀',
    }
    const created = await prisma.user.create({
      data: {
        email: 'scalars@example.com',
        name: 'Scalar',
        role: Role.ADMIN,
        age: 42,
        balance: new Prisma.Decimal('1234.56'),
        karma: 2n ** 62n + 7n,
        rating: 4.25,
        active: false,
        settings,
        avatar: new Uint8Array([0, 1, 2, 127, 128, 255]),
        createdAt,
      },
    })
    const read = await prisma.user.findUniqueOrThrow({ where: { id: created.id } })
    for (const user of [created, read]) {
      expect(user.email).toBe('scalars@example.com')
      expect(user.role).toBe('ADMIN')
      expect(user.age).toBe(42)
      expect(user.balance).toBeInstanceOf(Prisma.Decimal)
      expect(user.balance.toString()).toBe('1234.56')
      expect(typeof user.karma).toBe('bigint')
      expect(user.karma).toBe(2n ** 62n + 7n)
      expect(user.rating).toBe(4.25)
      expect(user.active).toBe(false)
      expect(user.settings).toEqual(settings)
      expect(user.avatar).toBeInstanceOf(Uint8Array)
      expect([...(user.avatar ?? [])]).toEqual([0, 1, 2, 127, 128, 255])
      expect(user.createdAt).toBeInstanceOf(Date)
      expect(user.createdAt.getTime()).toBe(createdAt.getTime())
    }

    // Defaults and nulls.
    const plain = await prisma.user.create({ data: { email: 'defaults@example.com' } })
    expect(plain).toMatchObject({
      name: null,
      role: 'USER',
      age: null,
      rating: null,
      active: true,
      settings: null,
      avatar: null,
      invitedById: null,
    })
    expect(plain.balance.toString()).toBe('0')
    expect(plain.karma).toBe(0n)
    expect(Math.abs(plain.createdAt.getTime() - Date.now())).toBeLessThan(60_000)

    // Json top-level scalars, JsonNull vs DbNull.
    const author = plain.id
    for (const [i, value] of [42, '42', true, 'text', [1, 'x'], 3.5, { a: null }].entries()) {
      const post = await prisma.post.create({
        data: { title: 't', slug: `json-${i}`, authorId: author, metadata: value },
      })
      expect((await prisma.post.findUniqueOrThrow({ where: { id: post.id } })).metadata).toEqual(value)
    }
    const jsonNull = await prisma.post.create({
      data: { title: 't', slug: 'json-null', authorId: author, metadata: Prisma.JsonNull },
    })
    const dbNull = await prisma.post.create({
      data: { title: 't', slug: 'db-null', authorId: author, metadata: Prisma.DbNull },
    })
    expect((await prisma.post.findUniqueOrThrow({ where: { id: jsonNull.id } })).metadata).toBeNull()
    expect(await prisma.post.count({ where: { metadata: { equals: Prisma.JsonNull } } })).toBe(1)
    expect(await prisma.post.count({ where: { metadata: { equals: Prisma.DbNull } } })).toBe(1)
    expect((await prisma.post.findFirstOrThrow({ where: { metadata: { equals: Prisma.DbNull } } })).id).toBe(dbNull.id)

    // Decimal precision: exact on PostgreSQL (DECIMAL(65,30)); on SQLite the
    // libsql adapter binds decimals as floats (Number.parseFloat), so only
    // about 15 significant digits survive.
    const precise = '12345678901234567890.123456789'
    const rich = await prisma.user.create({ data: { email: 'precise@example.com', balance: precise } })
    const richRead = await prisma.user.findUniqueOrThrow({ where: { id: rich.id } })
    if (provider === 'postgresql') expect(richRead.balance.toFixed()).toBe(precise)
    else expect(richRead.balance.toNumber()).toBe(Number(precise))
  })

  it('creates nested records and counts relations with _count', async () => {
    const inviter = await prisma.user.create({ data: { email: 'inviter@example.com' } })
    const user = await prisma.user.create({
      data: {
        email: 'nested@example.com',
        invitedBy: { connect: { id: inviter.id } },
        profile: { create: { bio: 'hello', avatar: new Uint8Array([9]) } },
        posts: {
          create: [
            { title: 'First', slug: 'first', tags: { create: [{ name: 'news' }, { name: 'tech' }] } },
            { title: 'Second', slug: 'second', price: '9.99', publishedAt: new Date('2024-01-01T00:00:00Z') },
          ],
        },
        memberships: { create: [{ role: Role.EDITOR, org: { create: { name: 'Acme' } } }] },
      },
      include: {
        profile: true,
        posts: { include: { tags: { orderBy: { name: 'asc' } } }, orderBy: { slug: 'asc' } },
        memberships: { include: { org: true } },
        invitedBy: true,
        _count: { select: { posts: true, invitees: true, memberships: true, editedPosts: true } },
      },
    })
    expect(user.profile).toMatchObject({ bio: 'hello', userId: user.id })
    expect([...(user.profile?.avatar ?? [])]).toEqual([9])
    expect(user.posts.map((p) => p.slug)).toEqual(['first', 'second'])
    expect(user.posts[0]?.tags.map((t) => t.name)).toEqual(['news', 'tech'])
    expect(user.posts[1]?.price).toBeInstanceOf(Prisma.Decimal)
    expect(user.posts[1]?.price?.toString()).toBe('9.99')
    expect(user.posts[1]?.publishedAt?.toISOString()).toBe('2024-01-01T00:00:00.000Z')
    expect(user.posts[0]?.updatedAt).toBeInstanceOf(Date)
    expect(user.memberships[0]?.org.name).toBe('Acme')
    expect(user.memberships[0]?.org.id).toMatch(/^[0-9a-f-]{36}$/) // uuid() default, made by the client
    expect(user.memberships[0]?.role).toBe('EDITOR')
    expect(user.invitedBy?.id).toBe(inviter.id)
    expect(user._count).toEqual({ posts: 2, invitees: 0, memberships: 1, editedPosts: 0 })

    const withInvitees = await prisma.user.findUniqueOrThrow({
      where: { id: inviter.id },
      select: { invitees: { select: { email: true } }, _count: { select: { invitees: true } } },
    })
    expect(withInvitees).toEqual({ invitees: [{ email: 'nested@example.com' }], _count: { invitees: 1 } })

    // Relation filters in both directions.
    expect(await prisma.post.count({ where: { tags: { some: { name: 'news' } } } })).toBe(1)
    expect(await prisma.tag.count({ where: { posts: { some: { author: { email: 'nested@example.com' } } } } })).toBe(2)
    expect(await prisma.user.count({ where: { profile: { is: { bio: 'hello' } } } })).toBe(1)
  })

  it('connects and disconnects the implicit m-n relation (_PostToTag "A"/"B")', async () => {
    const author = await prisma.user.create({ data: { email: 'mn@example.com' } })
    const post = await prisma.post.create({ data: { title: 'P', slug: 'p', authorId: author.id } })
    const [t1, t2, t3] = await Promise.all(['a', 'b', 'c'].map((name) => prisma.tag.create({ data: { name } })))
    if (!t1 || !t2 || !t3) throw new Error('tags not created')

    const connected = await prisma.post.update({
      where: { id: post.id },
      data: { tags: { connect: [{ id: t1.id }, { name: 'b' }] } },
      include: { tags: { orderBy: { name: 'asc' } } },
    })
    expect(connected.tags.map((t) => t.name)).toEqual(['a', 'b'])
    // The join table really holds (A = Post.id, B = Tag.id).
    const rows = await db.query('SELECT "A" AS a, "B" AS b FROM "_PostToTag" ORDER BY "B"')
    // Sorted by tag id: the three tags were created concurrently, so 'a' need not have the lowest id.
    expect(rows.map((r) => [Number(r['a']), Number(r['b'])])).toEqual(
      [
        [post.id, t1.id],
        [post.id, t2.id],
      ].sort((x, y) => x[1]! - y[1]!),
    )
    // Connecting twice is a no-op (unique (A, B)).
    await prisma.post.update({ where: { id: post.id }, data: { tags: { connect: { id: t1.id } } } })
    expect(await countRows(db, '_PostToTag')).toBe(2)

    // From the other side, connectOrCreate, disconnect and set.
    await prisma.tag.update({
      where: { id: t3.id },
      data: { posts: { connect: { authorId_slug: { authorId: author.id, slug: 'p' } } } },
    })
    await prisma.post.update({
      where: { id: post.id },
      data: { tags: { connectOrCreate: { where: { name: 'd' }, create: { name: 'd' } }, disconnect: { id: t1.id } } },
    })
    const names = (
      await prisma.tag.findMany({ where: { posts: { some: { id: post.id } } }, orderBy: { name: 'asc' } })
    ).map((t) => t.name)
    expect(names).toEqual(['b', 'c', 'd'])
    await prisma.post.update({ where: { id: post.id }, data: { tags: { set: [{ id: t1.id }] } } })
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: t1.id }, include: { _count: true } }))._count.posts).toBe(
      1,
    )

    // Deleting a tag removes its join rows (ON DELETE CASCADE on "B").
    await prisma.tag.delete({ where: { id: t1.id } })
    expect(await countRows(db, '_PostToTag')).toBe(0)
  })

  it('cascades deletes and sets null as declared', async () => {
    const owner = await prisma.user.create({
      data: {
        email: 'owner@example.com',
        profile: { create: { bio: 'bye' } },
        posts: {
          create: [
            { title: 'A', slug: 'a', tags: { create: { name: 'x' } } },
            { title: 'B', slug: 'b' },
          ],
        },
        memberships: { create: { org: { create: { name: 'Org' } } } },
      },
    })
    const editor = await prisma.user.create({ data: { email: 'editor@example.com', invitedById: owner.id } })
    const other = await prisma.user.create({ data: { email: 'other@example.com', invitedById: editor.id } })
    const otherPost = await prisma.post.create({
      data: { title: 'O', slug: 'o', authorId: other.id, editorId: editor.id },
    })
    await prisma.post.updateMany({ where: { authorId: owner.id }, data: { editorId: editor.id } })

    // SetNull: Post.editor and User.invitedBy (self relation).
    await prisma.user.delete({ where: { id: editor.id } })
    expect((await prisma.post.findUniqueOrThrow({ where: { id: otherPost.id } })).editorId).toBeNull()
    expect((await prisma.user.findUniqueOrThrow({ where: { id: other.id } })).invitedById).toBeNull()
    expect(await prisma.post.count({ where: { editorId: { not: null } } })).toBe(0)

    // Cascade: User -> Profile, Post (-> _PostToTag), Membership; the Tag and the Organization stay.
    await prisma.user.delete({ where: { id: owner.id } })
    expect(await prisma.profile.count()).toBe(0)
    expect(await prisma.post.count({ where: { authorId: owner.id } })).toBe(0)
    expect(await prisma.membership.count()).toBe(0)
    expect(await countRows(db, '_PostToTag')).toBe(0)
    expect(await prisma.tag.count()).toBe(1)
    expect(await prisma.organization.count()).toBe(1)
    expect(await prisma.post.count()).toBe(1)

    // Cascade from the other side of the compound key: Organization -> Membership.
    const org = await prisma.organization.create({
      data: { name: 'Gone', memberships: { create: { userId: other.id } } },
    })
    expect(await prisma.membership.count()).toBe(1)
    await prisma.organization.delete({ where: { id: org.id } })
    expect(await prisma.membership.count()).toBe(0)

    // deleteMany cascades too.
    await prisma.user.deleteMany({})
    expect(await prisma.post.count()).toBe(0)

    // Foreign keys are enforced.
    await expect(prisma.post.create({ data: { title: 'x', slug: 'x', authorId: 999_999 } })).rejects.toMatchObject({
      code: 'P2003',
    })
  })

  it('finds by compound id and compound unique', async () => {
    const user = await prisma.user.create({ data: { email: 'compound@example.com' } })
    const org = await prisma.organization.create({ data: { name: 'Compound' } })
    await prisma.membership.create({ data: { userId: user.id, orgId: org.id, role: Role.ADMIN } })
    await prisma.post.create({ data: { title: 'T', slug: 'same', authorId: user.id } })

    const membership = await prisma.membership.findUnique({
      where: { userId_orgId: { userId: user.id, orgId: org.id } },
    })
    expect(membership).toMatchObject({ userId: user.id, orgId: org.id, role: 'ADMIN' })
    expect(membership?.joinedAt).toBeInstanceOf(Date)
    expect(
      await prisma.membership.findUnique({ where: { userId_orgId: { userId: user.id, orgId: 'nope' } } }),
    ).toBeNull()

    const post = await prisma.post.findUnique({ where: { authorId_slug: { authorId: user.id, slug: 'same' } } })
    expect(post?.title).toBe('T')
    await expect(prisma.post.create({ data: { title: 'dup', slug: 'same', authorId: user.id } })).rejects.toMatchObject(
      { code: 'P2002' },
    )

    // Update and delete through the compound keys (and the mapped "org_id" column).
    await prisma.membership.update({
      where: { userId_orgId: { userId: user.id, orgId: org.id } },
      data: { role: Role.USER },
    })
    const raw = await db.query(
      provider === 'postgresql'
        ? 'SELECT "role"::text AS role, "org_id" AS org FROM "Membership"'
        : 'SELECT "role" AS role, "org_id" AS org FROM "Membership"',
    )
    expect(raw).toEqual([{ role: 'USER', org: org.id }])
    await prisma.post.delete({ where: { authorId_slug: { authorId: user.id, slug: 'same' } } })
    await prisma.membership.delete({ where: { userId_orgId: { userId: user.id, orgId: org.id } } })
    expect(await prisma.post.count()).toBe(0)
    expect(await prisma.membership.count()).toBe(0)
  })

  it('does CRUD on every model, including the @@map/@map ones', async () => {
    // User
    const user = await prisma.user.create({ data: { email: 'crud@example.com' } })
    expect(
      (
        await prisma.user.update({
          where: { email: 'crud@example.com' },
          data: { karma: { increment: 5 }, balance: { increment: 1.5 } },
        })
      ).karma,
    ).toBe(5n)
    expect(
      (
        await prisma.user.upsert({
          where: { email: 'crud@example.com' },
          create: { email: 'never' },
          update: { name: 'Up' },
        })
      ).name,
    ).toBe('Up')
    // Profile (1-1)
    const profile = await prisma.profile.create({ data: { userId: user.id } })
    expect((await prisma.profile.update({ where: { userId: user.id }, data: { bio: 'b' } })).bio).toBe('b')
    await expect(prisma.profile.create({ data: { userId: user.id } })).rejects.toMatchObject({ code: 'P2002' })
    // Post
    const post = await prisma.post.create({ data: { title: 'T', slug: 's', authorId: user.id } })
    const updated = await prisma.post.update({
      where: { id: post.id },
      data: { views: { increment: 2 }, published: true },
    })
    expect(updated).toMatchObject({ views: 2, published: true })
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(post.updatedAt.getTime())
    // Tag
    const tag = await prisma.tag.create({ data: { name: 'crud' } })
    expect((await prisma.tag.update({ where: { name: 'crud' }, data: { name: 'crud2' } })).id).toBe(tag.id)
    // Organization (@@map("organizations"), String id)
    const org = await prisma.organization.create({ data: { name: 'O' } })
    expect((await prisma.organization.findUniqueOrThrow({ where: { name: 'O' } })).id).toBe(org.id)
    expect(await countRows(db, 'organizations')).toBe(1)
    // Membership (@@id, @map("org_id"))
    await prisma.membership.createMany({ data: [{ userId: user.id, orgId: org.id }] })
    expect(await prisma.membership.count({ where: { orgId: org.id } })).toBe(1)
    // AuditLog (@@map("audit_logs"), @map("entity_id"), @map("created_at"))
    const log = await prisma.auditLog.create({
      data: { action: 'create', entity: 'User', entityId: String(user.id), payload: { by: 'test' } },
    })
    const logRows = await db.query('SELECT "entity_id" AS e FROM "audit_logs"')
    expect(logRows).toEqual([{ e: String(user.id) }])
    expect((await prisma.auditLog.update({ where: { id: log.id }, data: { action: 'update' } })).action).toBe('update')
    if (provider === 'mysql') {
      // Prisma has no createManyAndReturn on MySQL: the engine rejects it.
      await prisma.auditLog.createMany({
        data: [
          { action: 'a', entity: 'E' },
          { action: 'b', entity: 'E' },
        ],
      })
    } else {
      const created = await prisma.auditLog.createManyAndReturn({
        data: [
          { action: 'a', entity: 'E' },
          { action: 'b', entity: 'E' },
        ],
      })
      expect(created.map((l) => l.action)).toEqual(['a', 'b'])
    }
    expect((await prisma.auditLog.deleteMany({ where: { entity: 'E' } })).count).toBe(2)

    // Aggregates and groupBy over mapped columns and decimals.
    const agg = await prisma.user.aggregate({ _sum: { balance: true, karma: true }, _count: { _all: true } })
    expect(agg._sum.balance?.toString()).toBe('1.5')
    expect(agg._sum.karma).toBe(5n)
    expect(agg._count._all).toBe(1)
    const groups = await prisma.auditLog.groupBy({ by: ['entity'], _count: { _all: true } })
    expect(groups).toEqual([{ entity: 'User', _count: { _all: 1 } }])

    // Delete everything through Prisma, child rows first where nothing cascades.
    await prisma.auditLog.delete({ where: { id: log.id } })
    await prisma.membership.deleteMany({})
    await prisma.organization.delete({ where: { id: org.id } })
    await prisma.tag.delete({ where: { id: tag.id } })
    await prisma.post.delete({ where: { id: post.id } })
    await prisma.profile.delete({ where: { id: profile.id } })
    await prisma.user.delete({ where: { id: user.id } })
    for (const count of await Promise.all([
      prisma.user.count(),
      prisma.profile.count(),
      prisma.post.count(),
      prisma.tag.count(),
      prisma.organization.count(),
      prisma.membership.count(),
      prisma.auditLog.count(),
    ]))
      expect(count).toBe(0)
  })

  it('runs raw SQL ($executeRaw, $queryRaw) against the real table and column names', async () => {
    const user = await prisma.user.create({
      data: { email: 'raw@example.com', posts: { create: { title: 'R', slug: 'r' } } },
    })
    const post = await prisma.post.findFirstOrThrow({ where: { authorId: user.id } })
    const sql = sqlIn(provider)
    const changed = await prisma.$executeRaw(sql`UPDATE "Post" SET "views" = "views" + ${7} WHERE "id" = ${post.id}`)
    expect(changed).toBe(1)
    expect((await prisma.post.findUniqueOrThrow({ where: { id: post.id } })).views).toBe(7)
    await prisma.$executeRaw(
      sql`INSERT INTO "audit_logs" ("action", "entity", "entity_id") VALUES (${'raw'}, ${'Post'}, ${String(post.id)})`,
    )
    expect(
      await prisma.auditLog.findFirst({ select: { action: true, entityId: true, createdAt: true } }),
    ).toMatchObject({ action: 'raw', entityId: String(post.id) })
    const rows = await prisma.$queryRaw<{ email: string }[]>(sql`SELECT "email" FROM "User" WHERE "id" = ${user.id}`)
    expect(rows).toEqual([{ email: 'raw@example.com' }])
    expect(await prisma.$executeRawUnsafe(portableSql(provider, 'DELETE FROM "audit_logs"'))).toBe(1)
  })

  it('runs transactions, and several clients share the database', async () => {
    const second = db.createClient()
    try {
      await prisma.$transaction(async (tx) => {
        const u = await tx.user.create({ data: { email: 'tx@example.com' } })
        await tx.post.create({ data: { title: 'tx', slug: 'tx', authorId: u.id } })
      })
      expect(await second.post.count()).toBe(1)
      await expect(
        second.$transaction(async (tx) => {
          await tx.user.create({ data: { email: 'rolled-back@example.com' } })
          throw new Error('roll back')
        }),
      ).rejects.toThrow('roll back')
      expect(await prisma.user.count()).toBe(1)
      const [a, b] = await prisma.$transaction([prisma.user.count(), prisma.tag.count()])
      expect([a, b]).toEqual([1, 0])
      // Concurrent writers on one database.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? prisma : second).tag.create({ data: { name: `t${i}` } })),
      )
      expect(await prisma.tag.count()).toBe(10)
    } finally {
      await second.$disconnect()
    }
  })

  it('reset() empties every table and restarts ids', async () => {
    const first = await prisma.user.create({
      data: { email: 'r1@example.com', posts: { create: { title: 'p', slug: 'p', tags: { create: { name: 't' } } } } },
    })
    await prisma.auditLog.create({ data: { action: 'a', entity: 'e' } })
    await db.reset()
    for (const table of ['User', 'Post', 'Tag', '_PostToTag', 'audit_logs']) expect(await countRows(db, table)).toBe(0)
    const again = await prisma.user.create({ data: { email: 'r1@example.com' } })
    expect(again.id).toBe(first.id)
    expect(again.id).toBe(1)
  })

  it('exposes the runtime data model the cache derives invalidation from', () => {
    // Prisma 7 has no Prisma.dmmf at run time; the client keeps a pruned
    // model here (names, kinds, types, relation names, @map/@@map names).
    const dataModel = (prisma as unknown as { _runtimeDataModel: RuntimeDataModel })._runtimeDataModel
    expect(Object.keys(dataModel.models).sort()).toEqual([
      'AuditLog',
      'Membership',
      'Organization',
      'Post',
      'Profile',
      'Tag',
      'User',
    ])
    expect(dataModel.models['AuditLog']?.dbName).toBe('audit_logs')
    expect(dataModel.models['Post']?.dbName).toBeNull()
    expect(dataModel.models['Membership']?.fields.find((f) => f.name === 'orgId')).toEqual({
      name: 'orgId',
      kind: 'scalar',
      type: 'String',
      dbName: 'org_id',
    })
    expect(dataModel.models['Post']?.fields.find((f) => f.name === 'tags')).toEqual({
      name: 'tags',
      kind: 'object',
      type: 'Tag',
      relationName: 'PostToTag',
    })
    expect(dataModel.models['User']?.fields.find((f) => f.name === 'role')).toEqual({
      name: 'role',
      kind: 'enum',
      type: 'Role',
    })
  })

  it('stop() disconnects every client and leaves nothing running', async () => {
    const extra = db.createClient()
    await extra.user.count() // open a connection
    const serverPid = db.serverPid
    const url = db.url
    await db.stop()
    await db.stop() // idempotent
    expect(() => db.createClient()).toThrow(/after stop/)
    expect(tcpHandles()).toBeLessThanOrEqual(tcpBefore)
    if (provider === 'sqlite') {
      expect(existsSync(fileURLToPath(url.replace(/^file:/, 'file://')))).toBe(false)
    } else if (serverPid !== undefined) {
      expect(isPidAlive(serverPid)).toBe(false)
    }
  })
})

describe('startDatabase isolation', () => {
  it.each(PROVIDERS)('gives each %s TestDatabase its own tables', async (provider) => {
    const a = await startDatabase(provider)
    try {
      const b = await startDatabase(provider)
      try {
        expect(a.url === b.url && a.schema === b.schema).toBe(false)
        if (provider !== 'sqlite') expect(b.serverPid).toBe(a.serverPid) // one server per process
        await a.createClient().tag.create({ data: { name: 'only-in-a' } })
        expect(await b.createClient().tag.count()).toBe(0)
      } finally {
        await b.stop()
      }
      // Stopping b does not stop the server a still uses.
      expect(await a.createClient().tag.count()).toBe(1)
    } finally {
      await a.stop()
    }
  })

  it('rejects a driver adapter of the other provider (why there are two generated clients)', async () => {
    const { PrismaClient: SqliteClient } = await import('../../prisma/generated/sqlite/client.js')
    const { PrismaPg } = await import('@prisma/adapter-pg')
    // Thrown by the constructor, before any connection is made.
    expect(
      () => new SqliteClient({ adapter: new PrismaPg({ connectionString: 'postgresql://nobody@127.0.0.1:1/none' }) }),
    ).toThrow(
      'The Driver Adapter `@prisma/adapter-pg`, based on `postgres`, is not compatible with the provider `sqlite` specified in the Prisma schema.',
    )
  })
})

/** The shape of `client._runtimeDataModel` in Prisma 7.10 (internal, untyped). */
interface RuntimeDataModel {
  models: Record<
    string,
    {
      dbName: string | null
      schema: string | null
      fields: { name: string; kind: string; type: string; dbName?: string; relationName?: string }[]
    }
  >
  enums: Record<string, unknown>
  types: Record<string, unknown>
}
