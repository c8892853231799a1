/**
 * The npm package as people install it: what `npm pack` puts in the tarball, publint and "Are the Types Wrong?"
 * (every resolution mode, CommonJS included) on that tarball, and applications outside the repo that install it
 * (test/package/consumer.ts): an ESM app and a CommonJS app, on ioredis 5 and on ioredis 6, each compiled with
 * `skipLibCheck: false`, each running a cached query through a real Redis and exiting by itself after close().
 *
 * Hermetic: the package is built with the repo's tsdown config into a staging directory under the OS temp dir
 * (with copies of package.json, README.md and LICENSE) and packed from there, so this test never deletes or
 * rewrites the repo's dist/. What `npm pack` takes from the repo itself is checked with a read-only
 * `npm pack --dry-run`. The consumers install the versions of the repo's lockfile (see consumer.ts), so a new
 * release of a dependency cannot turn this test red; `npm run test:latest` tries the newest ones.
 * Takes about 1-2 minutes; most of it is the installs and the TypeScript compilations.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServerProcess, startRedisServer } from '../support/redis.js'
import { Consumer, type IoredisMajor, lockedVersion, run, runOk } from './consumer.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const requireFromRoot = createRequire(join(root, 'package.json'))

interface PackageJson {
  name: string
  version: string
  files?: string[]
  exports: Record<string, string | Record<string, string | Record<string, string>>>
  scripts: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

interface PackResult {
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
  files: { path: string; size: number }[]
}

/** The JSON array `npm pack --json` prints (npm may print warnings around it on stderr only). */
function packJson(stdout: string): PackResult {
  const start = stdout.indexOf('[')
  const parsed = JSON.parse(stdout.slice(start)) as PackResult[]
  expect(parsed).toHaveLength(1)
  return parsed[0]!
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

/** Every file path an `exports` map points at (conditions flattened, nested ones too). */
function exportTargets(exports: PackageJson['exports']): string[] {
  const flatten = (value: unknown): string[] =>
    typeof value === 'string'
      ? [posix.normalize(value)]
      : Object.values(value as Record<string, unknown>).flatMap(flatten)
  return flatten(exports)
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
    // The same build `npm run build` does (the repo's tsdown.config.ts), into the staging directory.
    const tsdown = join(dirname(requireFromRoot.resolve('tsdown/package.json')), 'dist', 'run.mjs')
    await runOk(process.execPath, [tsdown, '--out-dir', join(staging, 'dist'), '--log-level', 'warn'], root)
    for (const file of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(root, file), join(staging, file))
    timings.build = performance.now() - started

    started = performance.now()
    const packs = join(work, 'packs')
    await mkdir(packs)
    packed = packJson(
      (await runOk('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packs], staging)).stdout,
    )
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

  it('is built by prepack, with the build config this test runs', () => {
    expect(pkg.scripts.prepack).toMatch(/\bnpm run build\b/)
    expect(pkg.scripts.build).toBe('tsdown')
  })

  it("runs nothing on a user's install: no install lifecycle script", async () => {
    const shipped = JSON.parse(await readFile(join(unpacked, 'package', 'package.json'), 'utf8')) as PackageJson
    const install = ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare', 'dependencies']
    expect(Object.keys(shipped.scripts ?? {}).filter((name) => install.includes(name))).toEqual([])
  })

  it("takes the user's ioredis (an optional peer, 5 or 6) and bundles no copy of its own", () => {
    expect(pkg.dependencies ?? {}).not.toHaveProperty('ioredis')
    expect(pkg.peerDependencies?.ioredis).toBe('^5.0.0 || ^6.0.0')
    expect(pkg.peerDependenciesMeta?.ioredis?.optional).toBe(true)
  })

  it('packs only dist/, README.md, LICENSE and package.json from the repo', async () => {
    // Read-only: lists what `npm pack` would take from the repo as it is now
    // (src/, test/, prisma/generated, .tmp/ ... exist here and must stay out).
    const dry = packJson((await runOk('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root)).stdout)
    const outside = dry.files
      .map((f) => f.path)
      .filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p))
    expect(outside).toEqual([])
  })

  it('holds both builds with their own declarations, README and LICENSE, and nothing else (no source maps)', () => {
    const paths = packed.files.map((f) => f.path).sort()
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', ...exportTargets(pkg.exports)]),
    )
    const unexpected = paths.filter(
      (p) => !['package.json', 'README.md', 'LICENSE'].includes(p) && !/^dist\/[^/]+\.(mjs|cjs|d\.mts|d\.cts)$/.test(p),
    )
    expect(unexpected).toEqual([])
    // Each module in each format, with the declarations TypeScript reads for that format.
    const modules = paths.filter((p) => /\.(mjs|cjs)$/.test(p))
    expect(modules.filter((p) => p.endsWith('.mjs')).length).toBe(modules.filter((p) => p.endsWith('.cjs')).length)
    for (const entry of ['index', 'cache', 'prometheus', 'test-suite', 'accelerate']) {
      for (const file of [`${entry}.mjs`, `${entry}.cjs`, `${entry}.d.mts`, `${entry}.d.cts`])
        expect(paths).toContain(`dist/${file}`)
    }
  })

  it('has no top-level await and no sourceMappingURL in any module (require() of ESM and the CJS build both load)', async () => {
    const files = (await listFiles(join(unpacked, 'package', 'dist'))).filter((p) => /\.(mjs|cjs)$/.test(p))
    for (const file of files) {
      const text = await readFile(join(unpacked, 'package', 'dist', file), 'utf8')
      expect(text, file).not.toMatch(/sourceMappingURL/)
    }
    // Node's require() of the ESM build fails on a top-level await (ERR_REQUIRE_ASYNC_MODULE): load each that way.
    for (const entry of ['index', 'cache', 'test-suite', 'accelerate']) {
      const ran = await run(
        process.execPath,
        ['-e', `require(${JSON.stringify(join(unpacked, 'package', 'dist', `${entry}.mjs`))})`],
        work,
      )
      expect(ran.stderr, entry).not.toContain('ERR_REQUIRE_ASYNC_MODULE')
    }
  })

  it('passes publint with no message at any level', async () => {
    const data = await readFile(tarball)
    const { messages, pkg: packedPkg } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer },
      level: 'suggestion',
      strict: true,
    })
    expect(
      messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, packedPkg, { color: false }) ?? JSON.stringify(m)}`),
    ).toEqual([])
  })

  it('passes Are the Types Wrong? in every resolution mode (node10, node16 CJS and ESM, bundler)', async () => {
    const attw = join(dirname(requireFromRoot.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js')
    const ran = await run(process.execPath, [attw, tarball, '--format', 'json', '--profile', 'strict'], work)
    const report = JSON.parse(ran.stdout) as {
      analysis: {
        types: false | { kind: string }
        entrypoints: Record<
          string,
          { resolutions: Record<string, { resolution?: { fileName: string; isTypeScript: boolean } }> }
        >
        problems: { kind: string; entrypoint?: string; resolutionKind?: string }[]
      }
    }
    expect(report.analysis.problems).toEqual([])
    expect(ran.code, ran.stderr).toBe(0)
    expect(report.analysis.types).toEqual({ kind: 'included' })
    const expected: Record<string, RegExp> = {
      'node16-esm': /\.d\.mts$/,
      'node16-cjs': /\.d\.cts$/,
      bundler: /\.d\.mts$/,
      node10: /\.d\.cts$/,
    }
    for (const entry of Object.keys(pkg.exports).filter((e) => e !== './package.json')) {
      for (const [kind, file] of Object.entries(expected)) {
        const resolution = report.analysis.entrypoints[entry]?.resolutions[kind]?.resolution
        expect(resolution?.fileName, `${entry} (${kind})`).toMatch(file)
      }
    }
  })

  describe.each([6, 5] as IoredisMajor[])('an application on ioredis %i', (major) => {
    let consumer: Consumer
    let redis: RedisServerProcess
    beforeAll(async () => {
      let started = performance.now()
      ;[consumer, redis] = await Promise.all([
        Consumer.install(join(work, `consumer-ioredis${major}`), tarball, major, 'pinned'),
        startRedisServer(),
      ])
      timings[`install ioredis ${major}`] = performance.now() - started
      started = performance.now()
      await consumer.compile()
      timings[`generate + tsc ioredis ${major}`] = performance.now() - started
    }, 400_000)
    afterAll(async () => redis?.stop())

    it("installs the lockfile's versions, and npm asks to approve no install script of ours", async () => {
      expect(consumer.installed.ioredis).toBe(await lockedVersion(major === 6 ? 'ioredis' : 'ioredis5'))
      expect(consumer.installed.prisma).toBe(await lockedVersion('prisma'))
      expect(consumer.installOutput).not.toMatch(
        /prisma-tiered-cache@[^\s]+ \((preinstall|install|postinstall|prepare)/,
      )
      // MessagePack is bundled: neither msgpackr nor its native part (msgpackr-extract, an install script) comes with us.
      expect(consumer.installOutput).not.toMatch(/msgpackr/)
      expect((await readdir(join(consumer.dir, 'node_modules'))).filter((name) => name.includes('msgpackr'))).toEqual(
        [],
      )
      // One ioredis only: the user's (no nested copy of ours).
      const nested = await listFiles(join(consumer.dir, 'node_modules', 'prisma-tiered-cache')).catch(() => [])
      expect(nested.filter((p) => /^node_modules\/(ioredis|iovalkey)\//.test(p))).toEqual([])
    })

    for (const app of ['esm', 'cjs'] as const) {
      it(`the ${app === 'esm' ? 'ESM' : 'CommonJS'} app runs a cached query through Redis and exits by itself after close()`, async () => {
        const result = await consumer.run(app, redis.url, `pkg-${major}-${app}:`)
        expect(result.row).toEqual({ id: 1, email: 'ada@example.com', name: 'Ada' })
        expect(result.first).toBe('db')
        // The other instance (its own L1) found the row in Redis.
        expect(result.second).toBe('l2')
        // prisma-tiered-cache/accelerate: Accelerate's API, miss then ttl, and a miss again after invalidate.
        expect(result.accelerate).toEqual(['miss', 'ttl', 'miss'])
        expect(result.exitAfterCloseMs).toBeLessThan(2_000)
      }, 90_000)
    }

    it('require() loads the CommonJS entry points, which share one class per name', async () => {
      const entries = await consumer.requireEntries()
      expect(entries.root).toEqual(
        expect.arrayContaining(['cacheExtension', 'TieredCache', 'RedisCache', 'RedisBus', 'MemoryCache']),
      )
      expect(entries.cache).toEqual(expect.arrayContaining(['TieredCache', 'RedisCache', 'MemoryCache']))
      expect(entries.accelerate).toEqual(expect.arrayContaining(['withAccelerate']))
      expect(entries.sameClass).toBe(true)
      expect(entries.testSuite).toEqual(['backendTestSuite', 'richValue'])
    })
  })
})
