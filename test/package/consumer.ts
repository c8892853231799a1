/**
 * Applications outside the repo that use the packed package as a user would: an ESM app (`"type": "module"`,
 * NodeNext) and a CommonJS app (`"type": "commonjs"`, `module: commonjs` as NestJS generates), each compiled by
 * TypeScript with `strict` and `skipLibCheck: false`, each running a cached query through a real Redis with the
 * user's own ioredis (5 or 6), then exiting by itself after `$disconnect()` and `$cache.close()`. A plain
 * `require()` script checks the CommonJS entry points.
 *
 * Used by test/package/package.test.ts with the repo's pinned versions, and by scripts/consumer-latest.ts with the
 * newest versions the ranges allow (to learn early what a new release of a dependency breaks).
 *
 * Pinned means: every package the consumer names is installed at the version of the repo's package-lock.json,
 * and everything below them is resolved as the registry was when the newest of those was published (npm's
 * `--before`), so a release published later cannot change what this test installs.
 */
import { spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** The environment for child npm/node processes, without the npm_* variables `npm test` sets for this repo. */
export const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^npm_(package|lifecycle|config)_/i.test(name) && name !== 'INIT_CWD',
  ),
)

export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = childEnv,
  timeoutMs = 300_000,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Run and require exit 0, with the output in the error. */
export async function runOk(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  const ran = await run(command, args, cwd, env)
  if (ran.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`,
    )
  }
  return ran
}

/** Versions of the repo's package-lock.json, by install path (`node_modules/ioredis5` is the ioredis 5 alias). */
export async function lockedVersion(path: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>
  }
  const version = lock.packages[`node_modules/${path}`]?.version
  if (version === undefined) throw new Error(`package-lock.json has no node_modules/${path}`)
  return version
}

/** When the registry published `name@version` (npm view). */
async function publishedAt(name: string, version: string, cwd: string): Promise<Date> {
  const times = JSON.parse((await runOk('npm', ['view', name, 'time', '--json'], cwd)).stdout) as Record<string, string>
  const at = times[version]
  if (at === undefined) throw new Error(`the registry has no publish time for ${name}@${version}`)
  return new Date(at)
}

export type IoredisMajor = 5 | 6
export type Versions = 'pinned' | 'latest'

/** What the consumer installs besides the tarball: name → lockfile path (pinned) or range (latest). */
function dependencies(major: IoredisMajor): Record<string, { lock: string; range: string }> {
  return {
    prisma: { lock: 'prisma', range: '^7' },
    '@prisma/client': { lock: '@prisma/client', range: '^7' },
    '@prisma/adapter-libsql': { lock: '@prisma/adapter-libsql', range: '^7' },
    '@libsql/client': { lock: '@libsql/client', range: 'latest' },
    typescript: { lock: 'typescript', range: 'latest' },
    '@types/node': { lock: '@types/node', range: '^20' },
    ioredis: major === 6 ? { lock: 'ioredis', range: '^6' } : { lock: 'ioredis5', range: '^5' },
  }
}

export interface ConsumerResult {
  /** Where the first read came from (db), and the other instance's read of the same row (l2: through Redis). */
  first: string
  second: string
  row: unknown
  /** withAccelerate (`prisma-tiered-cache/accelerate`): cacheStatus of a read, the same read, the read after invalidate. */
  accelerate: string[]
  /** ms from `close()` to the process's exit (measured by the parent). */
  exitAfterCloseMs: number
}

export class Consumer {
  private constructor(
    readonly dir: string,
    readonly major: IoredisMajor,
    /** The versions installed, by name. */
    readonly installed: Record<string, string>,
    /** npm's own output of the install (checked for install-script prompts). */
    readonly installOutput: string,
  ) {}

  /** Creates the project in `dir` and installs the tarball and its peers (about 20-60 s). */
  static async install(dir: string, tarball: string, major: IoredisMajor, versions: Versions): Promise<Consumer> {
    await mkdir(dir, { recursive: true })
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: `consumer-ioredis${major}`, private: true, type: 'module' }, null, 2),
    )
    const deps = dependencies(major)
    const specs: string[] = []
    const npmArgs = ['install', '--no-audit', '--no-fund', '--loglevel=warn', '--prefer-offline']
    if (versions === 'pinned') {
      // The newest of the pins and of the package's own dependencies (at their lockfile versions): a package
      // can only depend on versions that existed when it was published, so every range below resolves.
      const ours = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>
      }
      const dated: Array<[string, string]> = Object.keys(ours.dependencies).map((name) => [name, name])
      for (const [name, { lock }] of Object.entries(deps)) {
        specs.push(`${name}@${await lockedVersion(lock)}`)
        dated.push([name, lock])
      }
      const times = await Promise.all(
        dated.map(async ([name, lock]) => publishedAt(name, await lockedVersion(lock), dir)),
      )
      const newest = new Date(Math.max(...times.map((at) => at.getTime())))
      // One second past the newest pin: that version itself is "before".
      npmArgs.push(`--before=${new Date(newest.getTime() + 1000).toISOString()}`)
    } else {
      for (const [name, { range }] of Object.entries(deps)) specs.push(`${name}@${range}`)
    }
    // --ignore-scripts: prisma's own install scripts only try to download engines, which generate does not need.
    // Ours has none (the package test checks its package.json), so nothing of ours is skipped by this flag.
    const ran = await runOk('npm', [...npmArgs, '--ignore-scripts', tarball, ...specs], dir)
    const installed: Record<string, string> = {}
    for (const name of Object.keys(deps)) {
      installed[name] = (
        JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
      ).version
    }
    const consumer = new Consumer(dir, major, installed, ran.stdout + ran.stderr)
    await consumer.#writeSources()
    return consumer
  }

  /** `prisma generate` (an ESM and a CommonJS client from one schema), then `tsc` for each app. */
  async compile(): Promise<void> {
    const prismaPkg = JSON.parse(await readFile(join(this.dir, 'node_modules', 'prisma', 'package.json'), 'utf8')) as {
      bin: string | Record<string, string>
    }
    const cli = join(
      this.dir,
      'node_modules',
      'prisma',
      typeof prismaPkg.bin === 'string' ? prismaPkg.bin : prismaPkg.bin['prisma']!,
    )
    // Offline: generate never runs the schema engine, but downloads it unless this points at an executable.
    const env = {
      ...childEnv,
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    }
    await runOk(process.execPath, [cli, 'generate', '--schema', 'schema.prisma', '--no-hints'], this.dir, env)
    const tsc = join(this.dir, 'node_modules', 'typescript', 'bin', 'tsc')
    await Promise.all(
      ['esm', 'cjs'].map((app) => runOk(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], this.dir)),
    )
  }

  /** Runs one app to completion: it must exit by itself (no process.exit) soon after `close()`. */
  async run(app: 'esm' | 'cjs', redisUrl: string, prefix: string): Promise<ConsumerResult> {
    const database = `file:${join(this.dir, `${app}.db`)}`
    const ran = await run(
      process.execPath,
      [join(this.dir, app, 'out', 'main.js'), database, redisUrl, prefix],
      this.dir,
      childEnv,
      60_000,
    )
    const exitedAt = Date.now()
    if (ran.code !== 0)
      throw new Error(
        `${app} app (ioredis ${this.major}) exited ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`,
      )
    const seen = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as Omit<ConsumerResult, 'exitAfterCloseMs'> & {
      closedAt: number
    }
    return {
      first: seen.first,
      second: seen.second,
      row: seen.row,
      accelerate: seen.accelerate,
      exitAfterCloseMs: exitedAt - seen.closedAt,
    }
  }

  /** The plain `require()` script: prints what the CommonJS entry points export. */
  async requireEntries(): Promise<{
    root: string[]
    cache: string[]
    accelerate: string[]
    testSuite: string[]
    sameClass: boolean
  }> {
    const ran = await runOk(process.execPath, [join(this.dir, 'cjs', 'entries.cjs')], this.dir)
    return JSON.parse(ran.stdout.trim()) as {
      root: string[]
      cache: string[]
      accelerate: string[]
      testSuite: string[]
      sameClass: boolean
    }
  }

  async #writeSources(): Promise<void> {
    const write = async (path: string, text: string) => {
      await mkdir(join(this.dir, path, '..'), { recursive: true })
      await writeFile(join(this.dir, path), text)
    }
    await write(
      'schema.prisma',
      `generator esm {
  provider            = "prisma-client"
  output              = "./esm/generated"
  importFileExtension = "js"
  moduleFormat        = "esm"
}

generator cjs {
  provider     = "prisma-client"
  output       = "./cjs/generated"
  moduleFormat = "cjs"
}

datasource db {
  provider = "sqlite"
}

model User {
  id    Int     @id @default(autoincrement())
  email String  @unique
  name  String?
}
`,
    )
    const common = {
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      rootDir: '.',
      outDir: 'out',
      target: 'ES2022',
      lib: ['ES2023'],
    }
    // ESM: as `tsc --init` with NodeNext, the package's `import` condition and its .d.mts types.
    await write(
      'esm/tsconfig.json',
      JSON.stringify(
        {
          compilerOptions: { ...common, module: 'NodeNext', moduleResolution: 'NodeNext', verbatimModuleSyntax: true },
          include: ['*.ts', 'generated'],
        },
        null,
        2,
      ),
    )
    // CommonJS as NestJS generates it: module commonjs (node10 resolution: `main`/`types`), compiled to require().
    await write('cjs/package.json', JSON.stringify({ type: 'commonjs' }, null, 2))
    await write(
      'cjs/tsconfig.json',
      JSON.stringify(
        { compilerOptions: { ...common, module: 'commonjs', esModuleInterop: true }, include: ['*.ts', 'generated'] },
        null,
        2,
      ),
    )
    for (const app of ['esm', 'cjs']) {
      await write(`${app}/main.ts`, MAIN)
      await write(`${app}/types.ts`, TYPES)
    }
    await write(
      'cjs/entries.cjs',
      `const root = require('prisma-tiered-cache')
const cache = require('prisma-tiered-cache/cache')
const accelerate = require('prisma-tiered-cache/accelerate')
const testSuite = require('prisma-tiered-cache/test-suite')
console.log(JSON.stringify({
  root: Object.keys(root).sort(),
  cache: Object.keys(cache).sort(),
  accelerate: Object.keys(accelerate).sort(),
  testSuite: Object.keys(testSuite).sort(),
  sameClass: root.TieredCache === cache.TieredCache,
}))
`,
    )
  }
}

/**
 * The app: two instances (each its own L1) over one Redis, the README's way; the second instance's first read
 * comes through Redis. No top-level await (CommonJS has none). Exits by itself after close().
 */
const MAIN = `import { createClient } from '@libsql/client'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import { Redis } from 'ioredis'
import { cacheExtension, MemoryCache, RedisBus, RedisCache, TieredCache } from 'prisma-tiered-cache'
import { withAccelerate } from 'prisma-tiered-cache/accelerate'
import { PrismaClient } from './generated/client.js'

async function main(): Promise<void> {
  const [url, redisUrl, prefix] = process.argv.slice(2)
  if (url === undefined || redisUrl === undefined || prefix === undefined) throw new Error('usage: main.js <libsql url> <redis url> <prefix>')
  const sqlite = createClient({ url })
  await sqlite.execute('CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT)')
  await sqlite.execute('CREATE UNIQUE INDEX "User_email_key" ON "User"("email")')
  sqlite.close()

  const redis = new Redis(redisUrl)
  const instance = () => {
    const cache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix }), { bus: new RedisBus({ client: redis, prefix }) })
    return new PrismaClient({ adapter: new PrismaLibSql({ url }) }).$extends(cacheExtension({ cache }))
  }
  const a = instance()
  const b = instance()
  const created = await a.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
  const first = await a.user.findUnique({ where: { id: created.id }, cache: 60 }).withCacheInfo()
  await a.$cache.flush()
  const second = await b.user.findUnique({ where: { id: created.id }, cache: 60 }).withCacheInfo()
  // Accelerate's API from the subpath, over the same Redis.
  const accelerateCache = new TieredCache(new MemoryCache(), new RedisCache({ client: redis, prefix: prefix + 'accelerate:' }))
  // Its bus (opened by default on the RedisCache's client) is up and L1 trusted: the second read is a hit.
  await accelerateCache.ready
  const c = new PrismaClient({ adapter: new PrismaLibSql({ url }) }).$extends(withAccelerate({ cache: accelerateCache }))
  const users = () => c.user.findMany({ cacheStrategy: { ttl: 60, tags: ['users'] } }).withAccelerateInfo()
  const accelerate = [(await users()).info.cacheStatus, (await users()).info.cacheStatus]
  await c.$accelerate.invalidate({ tags: ['users'] })
  accelerate.push((await users()).info.cacheStatus)
  await Promise.all([a.$disconnect(), b.$disconnect(), c.$disconnect()])
  await a.$cache.close()
  await c.$cache.close()
  await b.$cache.close({ clients: true })
  console.log(JSON.stringify({ first: first.info.source, second: second.info.source, row: second.data, accelerate, closedAt: Date.now() }))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
`

/** Type-checked only, never run: the types are real (not any), in both module systems. */
const TYPES = `import { Redis } from 'ioredis'
import { cacheExtension, MemoryCache, RedisCache, TieredCache } from 'prisma-tiered-cache'
import { MemoryCache as L2 } from 'prisma-tiered-cache/cache'
import { type AccelerateInfo, withAccelerate } from 'prisma-tiered-cache/accelerate'
import { backendTestSuite, type SuiteTestApi } from 'prisma-tiered-cache/test-suite'
import { PrismaClient } from './generated/client.js'

declare const testApi: SuiteTestApi
// A backend author's test: the published contract, typed, with any framework's functions.
backendTestSuite({ name: 'L2', create: () => ({ cache: new L2(), other: new L2() }), test: testApi })

declare const client: PrismaClient
declare const redis: Redis

export async function typed(): Promise<string | undefined> {
  const prisma = client.$extends(cacheExtension({ cache: new TieredCache(new MemoryCache(), new L2()) }))
  const user = await prisma.user.findUnique({ where: { id: 1 }, cache: 60 })
  const email: string | undefined = user?.email
  const hits: number = prisma.$cache.stats().cache.hits
  const circuit: string | undefined = (await prisma.$cache.health()).l2.circuit
  void hits
  void circuit
  // The user's own ioredis client, whichever major, is accepted as it is.
  void new RedisCache({ client: redis })
  // @ts-expect-error -- not a field of User: the result keeps the model's type
  void user?.notAField
  // @ts-expect-error -- the cache option is typed: a string is no TTL
  await prisma.user.findUnique({ where: { id: 1 }, cache: 'sixty' })
  // @ts-expect-error -- the query args stay Prisma's: unknown field in where
  await prisma.user.findUnique({ where: { nope: 1 }, cache: 60 })
  return email
}

export async function accelerated(): Promise<string> {
  const prisma = client.$extends(withAccelerate())
  const { data, info } = await prisma.user.findMany({ select: { email: true }, cacheStrategy: { ttl: 60, swr: 30, tags: ['users'] } }).withAccelerateInfo()
  const status: AccelerateInfo['cacheStatus'] = info.cacheStatus
  const modified: Date = info.lastModified
  void modified
  const { requestId } = await prisma.$accelerate.invalidate({ tags: ['users'] })
  await prisma.$accelerate.invalidateAll()
  // @ts-expect-error -- cacheStrategy is typed: a string is no TTL
  await prisma.user.findMany({ cacheStrategy: { ttl: 'sixty' } })
  // @ts-expect-error -- not a field of the selection: the result keeps Prisma's type
  void data[0]?.name
  return status + requestId
}
`
