/**
 * `npm run test:latest`: the package test's applications (test/package/consumer.ts) against the NEWEST versions
 * the ranges allow (prisma ^7, ioredis ^5 and ^6, the latest TypeScript, ...), instead of the lockfile's. Not part
 * of `npm test`, which must not depend on what the registry serves that day: run it before a release, or on a
 * schedule, to learn what a new dependency release breaks. Prints one line per step and application, and the
 * versions it got; exits 1 when anything broke.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Consumer, type IoredisMajor, runOk } from '../test/package/consumer.js'
import { startRedisServer } from '../test/support/redis.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const work = await mkdtemp(join(tmpdir(), 'prisma-tiered-cache-latest-'))
const redis = await startRedisServer()
const broken: string[] = []
try {
  const staging = join(work, 'staging')
  await mkdir(staging)
  await runOk(
    process.execPath,
    [
      join(root, 'node_modules', 'tsdown', 'dist', 'run.mjs'),
      '--out-dir',
      join(staging, 'dist'),
      '--log-level',
      'warn',
    ],
    root,
  )
  for (const file of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(root, file), join(staging, file))
  await runOk('npm', ['pack', '--ignore-scripts', '--pack-destination', work], staging)
  const tarball = join(
    work,
    (await readdir(work)).find((name) => name.endsWith('.tgz'))!,
  )

  for (const major of [6, 5] as IoredisMajor[]) {
    const step = async <T>(what: string, run: () => Promise<T>): Promise<T | undefined> => {
      try {
        const result = await run()
        console.log(`ok    ioredis ${major}: ${what}`)
        return result
      } catch (error) {
        broken.push(`ioredis ${major}: ${what}`)
        console.log(`FAIL  ioredis ${major}: ${what}\n${error instanceof Error ? error.message : String(error)}`)
        return undefined
      }
    }
    const consumer = await step('install', () =>
      Consumer.install(join(work, `ioredis${major}`), tarball, major, 'latest'),
    )
    if (consumer === undefined) continue
    console.log(
      `      versions: ${Object.entries(consumer.installed)
        .map(([name, version]) => `${name}@${version}`)
        .join(' ')}`,
    )
    const compiled = await step('prisma generate + tsc (ESM and CommonJS, skipLibCheck: false)', () =>
      consumer.compile().then(() => true),
    )
    if (compiled === undefined) continue
    for (const app of ['esm', 'cjs'] as const) {
      await step(`${app} app: cached query through Redis, exits after close()`, async () => {
        const result = await consumer.run(app, redis.url, `latest-${major}-${app}:`)
        if (result.first !== 'db' || result.second !== 'l2')
          throw new Error(`sources ${result.first}, ${result.second} (expected db, l2)`)
        if (result.exitAfterCloseMs >= 2000) throw new Error(`exited ${result.exitAfterCloseMs} ms after close()`)
      })
    }
  }
} finally {
  await redis.stop()
  await rm(work, { recursive: true, force: true })
}
console.log(broken.length === 0 ? '\nnothing broke' : `\nbroken:\n  ${broken.join('\n  ')}`)
process.exitCode = broken.length === 0 ? 0 : 1
