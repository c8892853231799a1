/**
 * Shared types of the benchmark suites, conversion of tinybench tasks and hand-timed rounds into rows,
 * and the report: a console table and docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import type { Redis } from 'ioredis'
import type { Task } from 'tinybench'

export type Library = 'prisma-tiered-cache' | 'bentocache' | 'prisma-extension-redis' | 'prisma' | 'baseline'
export type Copies = 'safe copies' | 'shared references' | '—'

/** What run.ts hands every scenario file. */
export interface BenchContext {
  /** The Redis every library uses (a server started for the run, or REDIS_URL). */
  redisUrl: string
  /** Unique per run: part of every key prefix, so a shared REDIS_URL is never polluted across runs. */
  runId: string
  /** tinybench time budget per task, and its warmup, in ms. */
  timeMs: number
  warmupMs: number
  /** Rounds of hand-timed scenarios (e.g. invalidation over 1,000 keys). */
  rounds: number
  /** A new ioredis connection, ready (PING answered); run.ts quits it at the end. */
  client(name: string): Promise<Redis>
  log(message: string): void
}

/** One measured row. */
export interface Result {
  /** Scenario heading, e.g. `1. get, L1 hit`; rows print grouped by it, in order. */
  scenario: string
  /** Unique label within the run. */
  name: string
  library: Library
  copies: Copies
  meanUs: number
  p50Us: number
  p99Us: number
  opsPerSec: number
  samples: number
  /** Names of bentocache rows this (our) row is compared with: ratio ours/bentocache. */
  compareWith?: string[]
  /** A fact checked during the run, e.g. what a Date field came back as. */
  note?: string
  /**
   * Callers in flight (closed loop) when the row was measured; undefined: one caller, calls in sequence.
   * With it, opsPerSec is the throughput measured over the run (of this row's operations), not 1e6 / mean.
   */
  concurrency?: number
}

/** A table of its own in a suite's section (e.g. a workload summary), printed before the rows. */
export interface ExtraTable {
  title: string
  /** A paragraph under the title. */
  intro?: string
  header: string[]
  align: ('l' | 'r')[]
  rows: string[][]
}

/**
 * A ratio of latencies measured in the same run, checked against a target: numerator row / the sum of the
 * denominator rows (e.g. an L2 hit against "Prisma's dispatch + one GET and parse"). Judged on the means.
 */
export interface TargetCheck {
  /** Where, e.g. `PostgreSQL · findUnique by id`. */
  scenario: string
  /** What is divided, in words, e.g. `L1 hit / constant extension`. */
  label: string
  numerator: string
  denominator: readonly string[]
  /** How the ratio must compare with `target`; undefined: reported only. */
  op?: '<=' | '<' | '>=' | '>'
  target?: number
}

/** A scenario file's contribution: its rows and free-text notes (checks done, anything odd). */
export interface SuiteOutput {
  results: Result[]
  notes: string[]
  /** Ratios with targets, printed with pass/fail. */
  targets?: TargetCheck[]
  /** Summary tables, printed before the rows. */
  tables?: ExtraTable[]
}

export interface Suite {
  /** e.g. `generic cache (src/cache)`. */
  title: string
  file: string
  run(ctx: BenchContext): Promise<SuiteOutput>
}

export type RowMeta = Pick<Result, 'scenario' | 'library' | 'copies'> & Partial<Pick<Result, 'compareWith' | 'note'>>

/** A finished tinybench task as a row (mean and p99 of per-call latency). */
export function fromTask(task: Task, meta: RowMeta): Result {
  const result = task.result
  if (result.state === 'errored')
    throw new Error(`bench task "${task.name}" failed: ${result.error.message}`, { cause: result.error })
  if (result.state !== 'completed' && result.state !== 'aborted-with-statistics')
    throw new Error(`bench task "${task.name}" did not complete (state ${result.state})`)
  const meanUs = result.latency.mean * 1000
  return {
    ...meta,
    name: task.name,
    meanUs,
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    opsPerSec: 1e6 / meanUs,
    samples: result.latency.samplesCount,
  }
}

/** Hand-timed durations (ms) as a row; percentiles are nearest-rank. */
export function fromSamples(name: string, samplesMs: readonly number[], meta: RowMeta): Result {
  if (samplesMs.length === 0) throw new Error(`no samples for ${name}`)
  const sorted = [...samplesMs].sort((a, b) => a - b)
  const meanMs = sorted.reduce((sum, v) => sum + v, 0) / sorted.length
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
  return {
    ...meta,
    name,
    meanUs: meanMs * 1000,
    p50Us: rank(0.5) * 1000,
    p99Us: rank(0.99) * 1000,
    opsPerSec: 1000 / meanMs,
    samples: sorted.length,
  }
}

// ---- environment ---------------------------------------------------------------------------------------

export interface Environment {
  date: string
  cpu: string
  cores: number
  memory: string
  node: string
  os: string
  redis: string
  redisSource: string
  versions: Record<string, string>
  command: string
  /** os.loadavg() when the run started and when it ended: above the core count, other processes competed. */
  loadStart: number[]
  loadEnd?: number[]
}

export async function describeEnvironment(client: Redis, redisSource: string, command: string): Promise<Environment> {
  const info = await client.info('server')
  const redis = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  let date: string
  try {
    date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim()
  } catch {
    date = new Date().toUTCString()
  }
  const cpus = os.cpus()
  const versions: Record<string, string> = {}
  for (const name of [
    'bentocache',
    'ioredis',
    'lru-cache',
    'superjson',
    'tinybench',
    'tsx',
    '@prisma/client',
    'prisma-extension-redis',
    '@prisma/adapter-pg',
    'pg',
    '@prisma/adapter-libsql',
    '@libsql/client',
  ])
    versions[name] = packageVersion(name)
  return {
    date,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    redis,
    redisSource,
    versions,
    command,
    loadStart: os.loadavg(),
  }
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '?'
  } catch {
    return '?'
  }
}

// ---- formatting ----------------------------------------------------------------------------------------

export function num(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US')
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

function formatLoad(load: readonly number[]): string {
  return load.map((v) => v.toFixed(2)).join(' / ')
}

function libraryLabel(library: Library): string {
  return library === 'prisma-tiered-cache' ? 'ours' : library === 'prisma' ? 'prisma (no cache)' : library
}

interface CheckedTarget {
  check: TargetCheck
  meanRatio: number
  p50Ratio: number
  /** undefined: no target (reported only). */
  pass: boolean | undefined
  /** The verdict the p50 ratio would give, when it differs from the mean's. */
  p50Disagrees: boolean
}

function compare(value: number, op: NonNullable<TargetCheck['op']>, target: number): boolean {
  switch (op) {
    case '<=':
      return value <= target
    case '<':
      return value < target
    case '>=':
      return value >= target
    case '>':
      return value > target
  }
}

function checkTargets(results: readonly Result[], checks: readonly TargetCheck[]): CheckedTarget[] {
  const byName = new Map(results.map((r) => [r.name, r]))
  const row = (name: string) => {
    const found = byName.get(name)
    if (found === undefined) throw new Error(`target check names an unknown row "${name}"`)
    return found
  }
  return checks.map((check) => {
    const num = row(check.numerator)
    const den = check.denominator.map(row)
    const meanRatio = num.meanUs / den.reduce((sum, r) => sum + r.meanUs, 0)
    const p50Ratio = num.p50Us / den.reduce((sum, r) => sum + r.p50Us, 0)
    const judged = check.op !== undefined && check.target !== undefined
    const pass = judged ? compare(meanRatio, check.op!, check.target!) : undefined
    const p50Disagrees = judged && compare(p50Ratio, check.op!, check.target!) !== pass
    return { check, meanRatio, p50Ratio, pass, p50Disagrees }
  })
}

const TARGET_HEADER = ['scenario', 'ratio', 'numerator', 'denominator', 'mean ratio', 'p50 ratio', 'target', 'result']
const TARGET_ALIGN: ('l' | 'r')[] = ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'l']

function targetRows(list: readonly CheckedTarget[]): string[][] {
  return list.map((t) => [
    t.check.scenario,
    t.check.label,
    t.check.numerator,
    t.check.denominator.join(' + '),
    `${t.meanRatio.toFixed(2)}×`,
    `${t.p50Ratio.toFixed(2)}×`,
    t.check.op === undefined || t.check.target === undefined ? '—' : `${t.check.op} ${t.check.target}`,
    t.pass === undefined
      ? 'info'
      : `${t.pass ? 'PASS' : 'FAIL'}${t.p50Disagrees ? ` (p50: ${t.pass ? 'fail' : 'pass'})` : ''}`,
  ])
}

function targetSummary(list: readonly CheckedTarget[]): string {
  const judged = list.filter((t) => t.pass !== undefined)
  return `${judged.filter((t) => t.pass).length} of ${judged.length} targets met (judged on mean latency).`
}

interface Ratio {
  scenario: string
  ours: Result
  theirs: Result
  meanRatio: number
  p50Ratio: number
  p99Ratio: number
}

function ratios(results: readonly Result[]): Ratio[] {
  const byName = new Map(results.map((r) => [r.name, r]))
  const out: Ratio[] = []
  for (const ours of results) {
    for (const name of ours.compareWith ?? []) {
      const theirs = byName.get(name)
      if (theirs === undefined) throw new Error(`${ours.name}: compareWith names an unknown row "${name}"`)
      out.push({
        scenario: ours.scenario,
        ours,
        theirs,
        meanRatio: ours.meanUs / theirs.meanUs,
        p50Ratio: ours.p50Us / theirs.p50Us,
        p99Ratio: ours.p99Us / theirs.p99Us,
      })
    }
  }
  return out
}

function markdownTable(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(header), `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`, ...rows.map(line)].join('\n')
}

function resultRows(results: readonly Result[]): string[][] {
  return results.map((r) => [
    r.scenario,
    r.name,
    libraryLabel(r.library),
    r.copies,
    num(r.meanUs),
    num(r.p50Us),
    num(r.p99Us),
    num(r.opsPerSec),
    String(r.samples),
    r.note ?? '',
  ])
}

function rowsCaption(results: readonly Result[]): string {
  const loads = [...new Set(results.flatMap((r) => (r.concurrency === undefined ? [] : [r.concurrency])))]
  const sequential = results.some((r) => r.concurrency === undefined)
  const parts = ['Latency per operation in microseconds']
  if (sequential)
    parts.push(`ops/s = 1,000,000 / mean µs (one caller, sequential)${loads.length > 0 ? ' for the other rows' : ''}`)
  if (loads.length > 0)
    parts.push(
      `ops/s of the rows measured with ${loads.join(' / ')} callers in flight: that operation's measured throughput over the run (closed loop)`,
    )
  return `${parts.join('; ')}.`
}

const RESULT_HEADER = [
  'scenario',
  'name',
  'library',
  'copies',
  'mean µs',
  'p50 µs',
  'p99 µs',
  'ops/s',
  'samples',
  'note',
]
const RESULT_ALIGN: ('l' | 'r')[] = ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l']

function ratioRows(list: readonly Ratio[]): string[][] {
  return list.map((r) => [
    r.scenario,
    r.ours.name,
    r.theirs.name,
    `${r.meanRatio.toFixed(2)}×`,
    `${r.p50Ratio.toFixed(2)}×`,
    `${r.p99Ratio.toFixed(2)}×`,
    r.meanRatio < 1 ? `ours ${(1 / r.meanRatio).toFixed(2)}× faster` : `ours ${r.meanRatio.toFixed(2)}× slower`,
  ])
}

const RATIO_HEADER = [
  'scenario',
  'ours',
  'bentocache',
  'mean ours/bento',
  'p50 ours/bento',
  'p99 ours/bento',
  'reading (mean)',
]
const RATIO_ALIGN: ('l' | 'r')[] = ['l', 'l', 'l', 'r', 'r', 'r', 'l']

/** Plain-text table for the console. */
function textTable(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n')
}

export interface SuiteReport {
  suite: Suite
  output: SuiteOutput
  seconds: number
}

export function printReport(env: Environment, reports: readonly SuiteReport[]): void {
  for (const { suite, output, seconds } of reports) {
    console.log(`\n== ${suite.title} (${suite.file}, ${seconds.toFixed(1)} s) ==\n`)
    for (const table of output.tables ?? [])
      console.log(`${table.title}:\n\n${textTable(table.header, table.rows, table.align)}\n`)
    // The note column is long; the console gets it as a list below the table.
    console.log(
      textTable(
        RESULT_HEADER.slice(0, -1),
        resultRows(output.results).map((r) => r.slice(0, -1)),
        RESULT_ALIGN.slice(0, -1),
      ),
    )
    const list = ratios(output.results)
    if (list.length > 0)
      console.log(
        `\nours/bentocache, same run (latency ratios; < 1 = ours faster):\n\n${textTable(RATIO_HEADER, ratioRows(list), RATIO_ALIGN)}`,
      )
    if (output.targets && output.targets.length > 0) {
      const checked = checkTargets(output.results, output.targets)
      console.log(
        `\ntargets, ratios of latencies measured in the same run:\n\n${textTable(TARGET_HEADER, targetRows(checked), TARGET_ALIGN)}\n\n${targetSummary(checked)}`,
      )
    }
    const noted = output.results.filter((r) => r.note)
    if (noted.length > 0) console.log(`\nnotes per row:\n${noted.map((r) => `  ${r.name}: ${r.note}`).join('\n')}`)
    if (output.notes.length > 0) console.log(`\n${output.notes.map((n) => `  - ${n}`).join('\n')}`)
  }
  console.log(
    `\n${env.date} · ${env.cpu} × ${env.cores} · ${env.memory} · Node ${env.node} · Redis ${env.redis} (${env.redisSource})`,
  )
  console.log(
    `load average ${formatLoad(env.loadStart)} at start, ${env.loadEnd ? formatLoad(env.loadEnd) : '?'} at end (${env.cores} cores)`,
  )
}

/** docs/benchmarks.md: the human introduction (bench/benchmarks-intro.md), then this run's numbers. */
export function writeMarkdown(
  path: URL,
  env: Environment,
  reports: readonly SuiteReport[],
  chart?: { file: string; alt: string; caption: string },
): void {
  const intro = readFileSync(new URL('./benchmarks-intro.md', import.meta.url), 'utf8').trimEnd()
  const parts: string[] = [intro, '', '## Results of the last run', '']
  parts.push(
    '_Generated by `npm run bench` — do not edit by hand; edit `bench/benchmarks-intro.md` for the text above._',
    '',
    markdownTable(
      ['', ''],
      [
        ['date (`date -u`)', env.date],
        ['command', `\`${env.command}\``],
        ['CPU', `${env.cpu} × ${env.cores} cores`],
        ['memory', env.memory],
        ['OS', env.os],
        ['Node', env.node],
        ['Redis', `${env.redis} (${env.redisSource})`],
        [
          'packages',
          Object.entries(env.versions)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
        [
          'load average (1/5/15 min)',
          `${formatLoad(env.loadStart)} at start, ${env.loadEnd ? formatLoad(env.loadEnd) : '?'} at end`,
        ],
      ],
      ['l', 'l'],
    ),
    '',
  )
  if (chart) parts.push(`![${chart.alt}](${chart.file})`, '', `_${chart.caption}_`, '')
  for (const { suite, output, seconds } of reports) {
    parts.push(`### ${suite.title}`, '', `\`${suite.file}\`, ${seconds.toFixed(1)} s.`, '')
    const list = ratios(output.results)
    if (list.length > 0) {
      parts.push(
        '#### ours / bentocache, measured in the same run',
        '',
        'Ratio of mean, median (p50) and p99 latency per operation: below 1 means prisma-tiered-cache is faster.',
        '',
        markdownTable(RATIO_HEADER, ratioRows(list), RATIO_ALIGN),
        '',
      )
    }
    if (output.targets && output.targets.length > 0) {
      const checked = checkTargets(output.results, output.targets)
      parts.push(
        '#### Targets, measured in the same run',
        '',
        'Numerator row / the sum of the denominator rows, for the mean and the median (p50) latency. PASS/FAIL is judged on the mean; when the p50 ratio would give the other verdict, that is shown in brackets.',
        '',
        markdownTable(TARGET_HEADER, targetRows(checked), TARGET_ALIGN),
        '',
        `**${targetSummary(checked)}**`,
        '',
      )
    }
    for (const table of output.tables ?? [])
      parts.push(
        `#### ${table.title}`,
        '',
        ...(table.intro ? [table.intro, ''] : []),
        markdownTable(table.header, table.rows, table.align),
        '',
      )
    parts.push(
      '#### All rows',
      '',
      rowsCaption(output.results),
      '',
      markdownTable(RESULT_HEADER, resultRows(output.results), RESULT_ALIGN),
      '',
    )
    if (output.notes.length > 0)
      parts.push('#### Checks done during the run', '', ...output.notes.map((n) => `- ${n}`), '')
  }
  writeFileSync(path, `${parts.join('\n').trimEnd()}\n`)
}
