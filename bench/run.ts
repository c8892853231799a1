/**
 * `npm run bench`: runs every suite below in this one process, one after another, against one Redis —
 * REDIS_URL when set, otherwise a redis-server started here on a free loopback port (Debian package
 * `redis-server`) and stopped at the end — prints the tables and writes docs/benchmarks.md and its chart,
 * docs/benchmarks.svg (bench/chart.ts).
 *
 * Ours is measured as built (dist/, which the script builds first: see bench/built-package.mjs); BENCH_FROM_SRC=1
 * measures src/ through tsx instead.
 *
 * Knobs (environment): BENCH_TIME_MS (tinybench time per task, default 1500), BENCH_WARMUP_MS (default 250),
 * BENCH_ROUNDS (hand-timed rounds, default 40), BENCH_NO_WRITE=1 (print only, leave docs/benchmarks.md and .svg alone).
 * BENCH_ONLY=workload,bus (run only the suites whose file name contains one of these; implies BENCH_NO_WRITE).
 * Per suite: BENCH_PRISMA_TIME_MS / BENCH_PRISMA_WARMUP_MS (prisma.bench.ts), BENCH_WORKLOAD_MS /
 * BENCH_WORKLOAD_WARMUP_MS / BENCH_WORKLOAD_CONCURRENCY (workload.bench.ts).
 *
 * To add a suite: write bench/<name>.bench.ts exporting `async function xScenarios(ctx: BenchContext): Promise<SuiteOutput>`
 * and list it in SUITES.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { Redis } from 'ioredis'
import { startRedisServer } from '../test/support/redis.js'
import { writeFileSync } from 'node:fs'
import { busScenarios } from './bus.bench.js'
import { changeFeedScenarios } from './changefeed.bench.js'
import { envNumber } from './env.js'
import { cacheScenarios } from './cache.bench.js'
import { mainChart } from './chart.js'
import { prismaScenarios } from './prisma.bench.js'
import {
  type BenchContext,
  describeEnvironment,
  printReport,
  type Suite,
  type SuiteReport,
  writeMarkdown,
} from './report.js'
import { workloadScenarios } from './workload.bench.js'

const SUITES: Suite[] = [
  { title: 'Generic cache (src/cache) vs bentocache', file: 'bench/cache.bench.ts', run: cacheScenarios },
  {
    title: 'Prisma extension (src/prisma) on SQLite and PostgreSQL vs plain Prisma and prisma-extension-redis',
    file: 'bench/prisma.bench.ts',
    run: prismaScenarios,
  },
  {
    title: 'Read-heavy mixed workload on PostgreSQL: throughput and staleness',
    file: 'bench/workload.bench.ts',
    run: workloadScenarios,
  },
  { title: 'Invalidation bus (src/bus): propagation between instances', file: 'bench/bus.bench.ts', run: busScenarios },
  {
    title: 'Change feed (PostgreSQL logical replication): lag of external writes',
    file: 'bench/changefeed.bench.ts',
    run: changeFeedScenarios,
  },
]

async function main(): Promise<void> {
  const started = performance.now()
  const fromEnv = process.env['REDIS_URL']
  const server = fromEnv ? undefined : await startRedisServer()
  const redisUrl = fromEnv || server!.url
  const redisSource = fromEnv ? 'REDIS_URL' : `redis-server started by the bench on ${server!.host}:${server!.port}`
  const clients: Redis[] = []
  const log = (message: string) =>
    console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`)
  try {
    const ctx: BenchContext = {
      redisUrl,
      runId: `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      timeMs: envNumber('BENCH_TIME_MS', 1500),
      warmupMs: envNumber('BENCH_WARMUP_MS', 250),
      rounds: Math.round(envNumber('BENCH_ROUNDS', 40)),
      log,
      client: async (name) => {
        const client = new Redis(redisUrl, { connectionName: `bench-${name}`, maxRetriesPerRequest: 1 })
        clients.push(client)
        await client.ping()
        return client
      },
    }
    const envClient = await ctx.client('env')
    // Asked of the resolver the suites' imports go through: the report says what was measured, whatever set it up.
    const measuresBuild = import.meta.resolve('../src/index.js').endsWith('/dist/index.mjs')
    const what = measuresBuild ? 'ours from dist/, the build' : 'ours from src/ through tsx'
    const command = `${fromEnv ? 'REDIS_URL=… ' : ''}npm run bench   (tsx bench/run.ts; ${what})`
    const env = await describeEnvironment(envClient, redisSource, command)
    log(`Redis ${env.redis} at ${redisSource}; run id ${ctx.runId}`)

    const reports: SuiteReport[] = []
    const only = (process.env['BENCH_ONLY'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    const selected =
      only.length === 0 ? SUITES : SUITES.filter((suite) => only.some((part) => suite.file.includes(part)))
    if (selected.length === 0)
      throw new Error(
        `BENCH_ONLY=${process.env['BENCH_ONLY']} matches no suite (${SUITES.map((s) => s.file).join(', ')})`,
      )
    for (const suite of selected) {
      log(`suite: ${suite.title}`)
      const t0 = performance.now()
      const output = await suite.run(ctx)
      reports.push({ suite, output, seconds: (performance.now() - t0) / 1000 })
    }
    env.loadEnd = os.loadavg()
    printReport(env, reports)
    const chart = mainChart(
      reports,
      `${env.date} · ${env.cpu} × ${env.cores} · Node ${env.node} · Redis ${env.redis} · npm run bench`,
    )
    if (chart.missing.length > 0 && only.length === 0)
      log(`chart: rows not in this run, left out: ${chart.missing.join('; ')}`)
    if (only.length > 0) log('BENCH_ONLY is set: docs/benchmarks.md and .svg are left alone (they hold every suite)')
    else if (process.env['BENCH_NO_WRITE'] !== '1') {
      const target = new URL('../docs/benchmarks.md', import.meta.url)
      let chartRef: Parameters<typeof writeMarkdown>[3]
      if (chart.svg !== undefined) {
        const svgTarget = new URL('../docs/benchmarks.svg', import.meta.url)
        writeFileSync(svgTarget, chart.svg)
        log(`wrote ${svgTarget.pathname}`)
        chartRef = {
          file: 'benchmarks.svg',
          alt: 'Mean latency per call, log scale: no cache, ours L1 / L2 hit and miss, prisma-extension-redis hit on PostgreSQL; ours and bentocache L1 / L2 hits',
          caption:
            "Mean latency per call in µs, log scale (the tick on each bar is the median). Top: `findUnique({ where: { id } })` on PostgreSQL through Prisma (bench/prisma.bench.ts). Bottom: the generic cache get of the same user payload, ours (`values: 'clone'`) and bentocache (defaults: JSON) (bench/cache.bench.ts). The same numbers as the tables below.",
        }
      }
      writeMarkdown(target, env, reports, chartRef)
      log(`wrote ${target.pathname}`)
    }
    log('done')
  } finally {
    await Promise.allSettled(clients.map((client) => client.quit()))
    await server?.stop()
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
