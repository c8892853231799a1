/**
 * The npm package as people install it: what `npm pack` puts in the tarball,
 * publint and "Are the Types Wrong?" on that tarball, and a consumer project
 * outside the repo that installs the tarball, type-checks against its
 * declarations and runs a cached query with it.
 *
 * Hermetic: the package is compiled with tsconfig.build.json into a staging
 * directory under the OS temp dir (with copies of package.json, README.md and
 * LICENSE) and packed from there, so this test never deletes or rewrites the
 * repo's dist/ (another `npm test`, or an engineer's `npm run build`, may be
 * using it) and never runs the repo's `prepare` script (which regenerates
 * prisma/generated while other test files import it). What `npm pack` takes
 * from the repo itself is checked separately with a read-only
 * `npm pack --dry-run` at the repo root.
 *
 * The consumer installs from the npm cache when it can (--prefer-offline) the
 * same versions of prisma, @prisma/client, the libsql adapter, TypeScript and
 * @types/node the repo has installed. Takes about 20-40 s; most of it is the
 * two TypeScript compilations and the install.
 */
import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const requireFromRoot = createRequire(join(root, 'package.json'))

interface PackageJson {
  name: string
  version: string
  files?: string[]
  exports: Record<string, string | Record<string, string>>
  scripts: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

interface PackResult {
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
  files: { path: string; size: number }[]
}

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The environment for child npm/node processes: the parent's, without the
 * npm_package_* / npm_lifecycle_* variables `npm test` sets for this repo
 * (they describe this package, not the consumer's).
 */
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_(package|lifecycle)_/i.test(name) && name !== 'INIT_CWD'),
)

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = childEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Run and require exit 0, with the output in the failure message. */
async function runOk(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  const ran = await run(command, args, cwd, env)
  if (ran.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`)
  }
  return ran
}

/** The JSON array `npm pack --json` prints (npm may print warnings around it on stderr only). */
function packJson(stdout: string): PackResult {
  const start = stdout.indexOf('[')
  const parsed = JSON.parse(stdout.slice(start)) as PackResult[]
  expect(parsed).toHaveLength(1)
  return parsed[0]!
}

/** The version the repo has installed (read from disk: some packages do not export ./package.json). */
async function installedVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)))
    else out.push(rel)
  }
  return out
}

/** Every file path an `exports` map points at (conditions flattened). */
function exportTargets(exports: PackageJson['exports']): string[] {
  return Object.values(exports).flatMap((value) => (typeof value === 'string' ? [value] : Object.values(value))).map((p) => posix.normalize(p))
}

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson

describe('npm package', () => {
  let work: string
  let tarball: string
  let packed: PackResult
  let unpacked: string
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    let started = performance.now()
    work = await mkdtemp(join(tmpdir(), 'prisma-tiered-cache-package-'))
    const staging = join(work, 'staging')
    await mkdir(staging)
    // The same compilation `npm run build` does, into the staging directory.
    const tsc = join(dirname(requireFromRoot.resolve('typescript/package.json')), 'bin', 'tsc')
    await runOk(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')], root)
    for (const file of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(root, file), join(staging, file))
    timings.build = performance.now() - started

    started = performance.now()
    const packs = join(work, 'packs')
    await mkdir(packs)
    packed = packJson((await runOk('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packs], staging)).stdout)
    tarball = join(packs, packed.filename)
    unpacked = join(work, 'unpacked')
    await mkdir(unpacked)
    await runOk('tar', ['-xzf', tarball, '-C', unpacked], work)
    timings.pack = performance.now() - started
  }, 180_000)

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true })
    console.log(
      `[package] tarball ${packed?.filename}: ${packed?.entryCount} files, ${packed?.size} B packed, ${packed?.unpackedSize} B unpacked; ` +
        Object.entries(timings)
          .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
          .join(', '),
    )
  })

  it('is built by prepack, with the build config this test compiles', () => {
    expect(pkg.scripts.prepack).toMatch(/\bnpm run build\b/)
    expect(pkg.scripts.build).toContain('tsconfig.build.json')
  })

  it('packs only dist/, README.md, LICENSE and package.json from the repo', async () => {
    // Read-only: lists what `npm pack` would take from the repo as it is now
    // (src/, test/, prisma/generated, .tmp/ ... exist here and must stay out).
    const dry = packJson((await runOk('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root)).stdout)
    const outside = dry.files.map((f) => f.path).filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p))
    expect(outside).toEqual([])
  })

  it('holds the built output, its types, README and LICENSE, and nothing else', () => {
    const paths = packed.files.map((f) => f.path).sort()
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', ...exportTargets(pkg.exports)]))
    const unexpected = paths.filter(
      (p) => !['package.json', 'README.md', 'LICENSE'].includes(p) && !/^dist\/.+(\.js|\.d\.ts|\.js\.map)$/.test(p),
    )
    expect(unexpected).toEqual([])
    expect(paths.filter((p) => /(\.|\/)(test|spec)(\.|\/)|__tests__|fixtures?\//.test(p))).toEqual([])
    // Every module has its declarations.
    const js = paths.filter((p) => p.endsWith('.js'))
    expect(js.length).toBeGreaterThan(10)
    expect(js.filter((p) => !paths.includes(p.replace(/\.js$/, '.d.ts')))).toEqual([])
  })

  it('has no source map that points at a file the package does not contain', async () => {
    const files = await listFiles(join(unpacked, 'package'))
    const broken: string[] = []
    for (const map of files.filter((p) => p.endsWith('.map'))) {
      const parsed = JSON.parse(await readFile(join(unpacked, 'package', map), 'utf8')) as { sources: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] }
      parsed.sources.forEach((source, i) => {
        if (typeof parsed.sourcesContent?.[i] === 'string') return // inlined: needs no file
        const target = posix.normalize(posix.join(posix.dirname(map), parsed.sourceRoot ?? '', source))
        if (!files.includes(target)) broken.push(`${map} -> ${source}`)
      })
    }
    expect(broken).toEqual([])
    // Each .js names its map, and that map is in the package.
    for (const js of files.filter((p) => p.endsWith('.js'))) {
      const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(join(unpacked, 'package', js), 'utf8'))?.[1]
      if (ref !== undefined) expect(files, `${js} -> ${ref}`).toContain(posix.join(posix.dirname(js), ref))
    }
  })

  it('passes publint with no message at any level', async () => {
    const data = await readFile(tarball)
    const { messages, pkg: packedPkg } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer },
      level: 'suggestion',
      strict: true,
    })
    expect(messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, packedPkg, { color: false }) ?? JSON.stringify(m)}`)).toEqual([])
  })

  it('passes Are the Types Wrong? for ESM consumers (profile esm-only)', async () => {
    const attw = join(dirname(requireFromRoot.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js')
    const ran = await run(process.execPath, [attw, tarball, '--format', 'json', '--profile', 'esm-only'], work)
    const report = JSON.parse(ran.stdout) as {
      analysis: {
        types: false | { kind: string }
        entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string; isTypeScript: boolean } }> }>
        problems: { kind: string; entrypoint?: string; resolutionKind?: string }[]
      }
    }
    // The JSON lists every problem; esm-only ignores those of node10 and
    // node16-cjs resolution (an ESM-only package has no require() entry).
    const problems = report.analysis.problems.filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs')
    expect(problems).toEqual([])
    expect(ran.code, ran.stderr).toBe(0)
    expect(report.analysis.types).toEqual({ kind: 'included' })
    for (const entry of Object.keys(pkg.exports).filter((e) => e !== './package.json')) {
      for (const kind of ['node16-esm', 'bundler']) {
        const resolution = report.analysis.entrypoints[entry]?.resolutions[kind]?.resolution
        expect(resolution?.fileName, `${entry} (${kind})`).toMatch(/\.d\.ts$/)
      }
    }
  })

  it('installs into a consumer project that type-checks and runs a cached query', async () => {
    const consumer = join(work, 'consumer')
    await mkdir(consumer)
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2))

    let started = performance.now()
    const deps = await Promise.all(
      ['prisma', '@prisma/client', '@prisma/adapter-libsql', '@libsql/client', 'typescript', '@types/node'].map(async (name) => `${name}@${await installedVersion(name)}`),
    )
    // --ignore-scripts: prisma's install scripts only try to download engines, which generate does not need.
    await runOk('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...deps], consumer)
    timings.install = performance.now() - started

    // The consumer's copy of the package is the tarball's, not the repo.
    const consumerRequire = createRequire(join(consumer, 'package.json'))
    expect(consumerRequire.resolve('prisma-tiered-cache/package.json')).toBe(join(consumer, 'node_modules', 'prisma-tiered-cache', 'package.json'))

    started = performance.now()
    await writeFile(
      join(consumer, 'schema.prisma'),
      [
        'generator client {',
        '  provider            = "prisma-client"',
        '  output              = "./generated"',
        '  importFileExtension = "js"',
        '  moduleFormat        = "esm"',
        '}',
        '',
        'datasource db {',
        '  provider = "sqlite"',
        '}',
        '',
        'model User {',
        '  id    Int     @id @default(autoincrement())',
        '  email String  @unique',
        '  name  String?',
        '}',
        '',
      ].join('\n'),
    )
    const prismaPkg = JSON.parse(await readFile(join(consumer, 'node_modules', 'prisma', 'package.json'), 'utf8')) as { bin: string | Record<string, string> }
    const prismaCli = join(consumer, 'node_modules', 'prisma', typeof prismaPkg.bin === 'string' ? prismaPkg.bin : prismaPkg.bin.prisma!)
    // Offline: generate never runs the schema engine, but downloads it unless this points at an executable.
    const generateEnv = { ...childEnv, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' }
    await runOk(process.execPath, [prismaCli, 'generate', '--schema', 'schema.prisma', '--no-hints'], consumer, generateEnv)
    timings.generate = performance.now() - started

    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            // The package's declarations must hold up without skipLibCheck.
            skipLibCheck: false,
            verbatimModuleSyntax: true,
            types: ['node'],
            rootDir: '.',
            outDir: 'out',
          },
          include: ['*.ts', 'generated'],
        },
        null,
        2,
      ),
    )
    await writeFile(
      join(consumer, 'client.ts'),
      `import { PrismaLibSql } from '@prisma/adapter-libsql'
import { cacheExtension, MemoryCache, TieredCache } from 'prisma-tiered-cache'
import { MemoryCache as L2 } from 'prisma-tiered-cache/cache'
import { PrismaClient } from './generated/client.js'

export function cachedClient(url: string) {
  const cache = new TieredCache(new MemoryCache(), new L2())
  return new PrismaClient({ adapter: new PrismaLibSql({ url }) }).$extends(cacheExtension({ cache }))
}

export type CachedClient = ReturnType<typeof cachedClient>
`,
    )
    // Type-checked only, never run: proves the types are real (not any).
    await writeFile(
      join(consumer, 'types.ts'),
      `import type { CachedClient } from './client.js'

export async function typed(prisma: CachedClient): Promise<string | undefined> {
  const user = await prisma.user.findUnique({ where: { id: 1 }, cache: 60 })
  const email: string | undefined = user?.email
  const hits: number = prisma.$cache.stats().cache.hits
  void hits
  // @ts-expect-error -- not a field of User: the result keeps the model's type
  void user?.notAField
  // @ts-expect-error -- the cache option is typed: a string is no TTL
  await prisma.user.findUnique({ where: { id: 1 }, cache: 'sixty' })
  // @ts-expect-error -- the query args stay Prisma's: unknown field in where
  await prisma.user.findUnique({ where: { nope: 1 }, cache: 60 })
  return email
}
`,
    )
    await writeFile(
      join(consumer, 'main.ts'),
      `import { createClient } from '@libsql/client'
import { cachedClient } from './client.js'

const url = process.argv[2]
if (url === undefined) throw new Error('usage: node out/main.js <libsql url>')

const sqlite = createClient({ url })
await sqlite.execute('CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT)')
await sqlite.execute('CREATE UNIQUE INDEX "User_email_key" ON "User"("email")')
sqlite.close()

const prisma = cachedClient(url)
const created = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
const first = await prisma.user.findUnique({ where: { id: created.id }, cache: 60 })
const second = await prisma.user.findUnique({ where: { id: created.id }, cache: 60 })
const { cache } = prisma.$cache.stats()
console.log(JSON.stringify({ first, second, hits: cache.hits, misses: cache.misses }))
await prisma.$disconnect()
`,
    )

    started = performance.now()
    const consumerTsc = join(consumer, 'node_modules', 'typescript', 'bin', 'tsc')
    await runOk(process.execPath, [consumerTsc, '-p', 'tsconfig.json'], consumer)
    timings.tsc = performance.now() - started

    started = performance.now()
    const database = `file:${join(consumer, 'consumer.db')}`
    const ran = await runOk(process.execPath, [join(consumer, 'out', 'main.js'), database], consumer)
    timings.run = performance.now() - started
    const result = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as { first: unknown; second: unknown; hits: number; misses: number }
    expect(result.first).toEqual({ id: 1, email: 'ada@example.com', name: 'Ada' })
    expect(result.second).toEqual(result.first)
    expect(result.misses).toBe(1)
    expect(result.hits).toBe(1)
  }, 300_000)
})
