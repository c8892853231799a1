/**
 * docs/benchmarks.svg: the run's main latency rows as horizontal bars (mean µs, log scale), hand-written SVG
 * (no dependency). The numbers are the rows of the report, looked up by name; a row missing from the run
 * (a suite skipped, a library that did not cache) is left out and listed by {@link mainChart}.
 *
 * Readable in GitHub's light and dark themes: the image carries its own background (light by default, dark
 * under `prefers-color-scheme: dark`), so it never depends on the page behind it.
 */
import type { Library, Result, SuiteReport } from './report.js'

export interface ChartBar {
  label: string
  /** Mean latency in µs (the bar). */
  meanUs: number
  /** Median in µs, drawn as a tick on the bar. */
  p50Us?: number
  library: Library
}

export interface ChartGroup {
  title: string
  bars: ChartBar[]
}

/** Which report rows the chart shows, in order: [row name, bar label]. */
const PICKS: ReadonlyArray<{ title: string; rows: ReadonlyArray<readonly [string, string]> }> = [
  {
    title: 'Prisma findUnique({ where: { id } }) on PostgreSQL — bench/prisma.bench.ts',
    rows: [
      ['pg row · uncached (plain client)', 'no cache (PostgreSQL findUnique)'],
      ['pg row · ours L1 hit', 'ours L1 hit'],
      ['pg row · ours L2 hit', 'ours L2 hit (no bus)'],
      ['pg row · ours L2 hit, with a bus', 'ours L2 hit (with a bus)'],
      ['pg row · ours miss (query + fill)', 'ours miss (no bus)'],
      ['pg row · ours miss, with a bus', 'ours miss (with a bus)'],
      ['pg row · prisma-extension-redis hit · transformer: our superjson', 'prisma-extension-redis hit'],
    ],
  },
  {
    title: 'Generic cache get, same payload — bench/cache.bench.ts',
    rows: [
      ["L1 · ours values:'clone'", 'ours L1 hit (TieredCache.get)'],
      ['L1 · bento serialize:true (JSON, default)', 'bentocache L1 hit'],
      ["L2 · ours values:'clone'", 'ours L2 hit (TieredCache.get)'],
      ['L2 · bento serialize:true (JSON, default)', 'bentocache L2 hit'],
    ],
  },
]

/** The chart of this run's main rows, and the names of picked rows the run did not produce. */
export function mainChart(
  reports: readonly SuiteReport[],
  subtitle: string,
): { svg: string | undefined; missing: string[] } {
  const byName = new Map<string, Result>()
  for (const report of reports) for (const row of report.output.results) byName.set(row.name, row)
  const missing: string[] = []
  const groups: ChartGroup[] = []
  for (const pick of PICKS) {
    const bars: ChartBar[] = []
    for (const [name, label] of pick.rows) {
      const row = byName.get(name)
      if (row === undefined) missing.push(name)
      else bars.push({ label, meanUs: row.meanUs, p50Us: row.p50Us, library: row.library })
    }
    if (bars.length > 0) groups.push({ title: pick.title, bars })
  }
  if (groups.length === 0) return { svg: undefined, missing }
  return {
    svg: latencyChartSvg(groups, { title: 'Mean latency per call (µs, log scale; shorter is faster)', subtitle }),
    missing,
  }
}

const COLORS: Record<Library, string> = {
  'prisma-tiered-cache': '#1a7f37',
  prisma: '#6e7781',
  'prisma-extension-redis': '#d4570b',
  bentocache: '#8250df',
  baseline: '#0969da',
}
const LEGEND: Record<Library, string> = {
  'prisma-tiered-cache': 'prisma-tiered-cache (ours)',
  prisma: 'Prisma, no cache',
  'prisma-extension-redis': 'prisma-extension-redis',
  bentocache: 'bentocache',
  baseline: 'baseline',
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function formatUs(value: number): string {
  if (value >= 1000) return `${Math.round(value).toLocaleString('en-US')} µs`
  if (value >= 100) return `${value.toFixed(0)} µs`
  if (value >= 10) return `${value.toFixed(1)} µs`
  return `${value.toFixed(2)} µs`
}

function tickLabel(us: number): string {
  if (us >= 1e6) return `${us / 1e6} s`
  if (us >= 1000) return `${us / 1000} ms`
  return `${us} µs`
}

/** Horizontal bars, one group after another, on a shared log axis. */
export function latencyChartSvg(groups: readonly ChartGroup[], options: { title: string; subtitle?: string }): string {
  const values = groups.flatMap((g) => g.bars.map((b) => b.meanUs)).filter((v) => v > 0)
  if (values.length === 0) throw new Error('latencyChartSvg: no positive values')
  const lo = Math.floor(Math.log10(Math.min(...values)))
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))))

  const width = 860
  const labelRight = 268
  const plotLeft = 280
  const plotRight = 760
  const barHeight = 16
  const rowHeight = 26
  const groupHeader = 30
  const top = options.subtitle ? 92 : 74
  const x = (us: number) => plotLeft + ((Math.log10(Math.max(us, 10 ** lo)) - lo) / (hi - lo)) * (plotRight - plotLeft)

  const body: string[] = []
  let y = top
  for (const group of groups) {
    body.push(`<text class="group" x="16" y="${y + 18}">${escapeXml(group.title)}</text>`)
    y += groupHeader
    for (const bar of group.bars) {
      const barTop = y + (rowHeight - barHeight) / 2
      const end = x(bar.meanUs)
      body.push(
        `<text class="label" x="${labelRight}" y="${barTop + 12.5}" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${plotLeft}" y="${barTop}" width="${Math.max(1, end - plotLeft).toFixed(1)}" height="${barHeight}" rx="2" fill="${COLORS[bar.library]}"><title>${escapeXml(`${bar.label}: mean ${formatUs(bar.meanUs)}${bar.p50Us === undefined ? '' : `, p50 ${formatUs(bar.p50Us)}`}`)}</title></rect>`,
      )
      if (bar.p50Us !== undefined && bar.p50Us > 0) {
        const p50 = x(bar.p50Us)
        body.push(
          `<line class="p50" x1="${p50.toFixed(1)}" x2="${p50.toFixed(1)}" y1="${barTop - 2}" y2="${barTop + barHeight + 2}"/>`,
        )
      }
      body.push(
        `<text class="value" x="${(Math.max(end, bar.p50Us === undefined ? end : x(bar.p50Us)) + 6).toFixed(1)}" y="${barTop + 12.5}">${formatUs(bar.meanUs)}</text>`,
      )
      y += rowHeight
    }
    y += 6
  }
  const plotBottom = y

  // Grid: one line per decade, labelled on top and bottom.
  const grid: string[] = []
  for (let d = lo; d <= hi; d++) {
    const gx = x(10 ** d).toFixed(1)
    grid.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="${top - 6}" y2="${plotBottom}"/>`)
    grid.push(`<text class="tick" x="${gx}" y="${top - 12}" text-anchor="middle">${tickLabel(10 ** d)}</text>`)
    grid.push(`<text class="tick" x="${gx}" y="${plotBottom + 16}" text-anchor="middle">${tickLabel(10 ** d)}</text>`)
  }

  // Legend: the libraries present, plus the p50 tick.
  const libraries = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.library)))]
  const legend: string[] = []
  let lx = 16
  const ly = plotBottom + 40
  for (const library of libraries) {
    legend.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" rx="2" fill="${COLORS[library]}"/>`,
      `<text class="legend" x="${lx + 18}" y="${ly}">${escapeXml(LEGEND[library])}</text>`,
    )
    lx += 18 + LEGEND[library].length * 7 + 22
  }
  legend.push(
    `<line class="p50" x1="${lx + 6}" x2="${lx + 6}" y1="${ly - 12}" y2="${ly + 3}"/>`,
    `<text class="legend" x="${lx + 16}" y="${ly}">median (p50)</text>`,
  )
  const height = ly + 20

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">
<style>
  .bg { fill: #ffffff; stroke: #d0d7de; }
  text { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; fill: #1f2328; }
  .title { font-size: 16px; font-weight: 600; }
  .subtitle { font-size: 12px; fill: #59636e; }
  .group { font-size: 13px; font-weight: 600; }
  .label, .value { font-size: 12px; }
  .tick, .legend { font-size: 11px; fill: #59636e; }
  .grid { stroke: #d8dee4; stroke-width: 1; }
  .p50 { stroke: #1f2328; stroke-width: 2; }
  @media (prefers-color-scheme: dark) {
    .bg { fill: #0d1117; stroke: #30363d; }
    text { fill: #e6edf3; }
    .subtitle, .tick, .legend { fill: #9198a1; }
    .grid { stroke: #30363d; }
    .p50 { stroke: #e6edf3; }
  }
</style>
<rect class="bg" x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6"/>
<text class="title" x="16" y="28">${escapeXml(options.title)}</text>
${options.subtitle ? `<text class="subtitle" x="16" y="48">${escapeXml(options.subtitle)}</text>\n` : ''}${grid.join('\n')}
${body.join('\n')}
${legend.join('\n')}
</svg>
`
}
