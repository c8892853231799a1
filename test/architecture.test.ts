/**
 * The shape of src/: no import circles (type-only imports count: a circle of types is still two files that
 * cannot be read apart), and the layers point one way: cache <- bus <- prisma <- metrics. The entry points
 * (src/index.ts, src/cache/index.ts, src/test-suite/index.ts) gather what they publish and may import any layer.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

interface Edge {
  to: string
  typeOnly: boolean
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Each file's relative imports and re-exports (`import`, `import type`, `export ... from`, `import()`), as src-relative paths. */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>()
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8')
    const edges: Edge[] = []
    const statement =
      /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g
    for (const match of text.matchAll(statement)) {
      const specifier = match[3] ?? match[4]!
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
      edges.push({ to: relative(SRC, target), typeOnly: match[2] !== undefined })
    }
    graph.set(relative(SRC, file), edges)
  }
  return graph
}

/** Every import circle, each as the files along it (first file repeated at the end). */
export function findCycles(graph: ReadonlyMap<string, readonly { to: string }[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'visiting')
    stack.push(file)
    for (const { to } of graph.get(file) ?? []) {
      if (state.get(to) === 'visiting') cycles.push([...stack.slice(stack.indexOf(to)), to])
      else if (!state.has(to) && graph.has(to)) visit(to)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file)
  return cycles
}

const ENTRIES = new Set(['index.ts', 'cache/index.ts', 'test-suite/index.ts'])
const LAYER_ORDER = ['cache', 'bus', 'prisma', 'metrics']
const layerOf = (file: string) => file.split('/')[0]!

describe('src/ architecture', () => {
  const graph = importGraph()

  it('finds circles (the checker itself)', () => {
    const fake = new Map([
      ['a.ts', [{ to: 'b.ts' }]],
      ['b.ts', [{ to: 'c.ts' }]],
      ['c.ts', [{ to: 'a.ts' }]],
      ['d.ts', [{ to: 'a.ts' }]],
    ])
    expect(findCycles(fake)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']])
    expect(graph.get('cache/tiered-cache.ts')?.map((e) => e.to)).toContain('cache/backend.ts')
  })

  it('has no import circle, type-only imports included', () => {
    expect(findCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([])
  })

  it('points one way: cache <- bus (types only from cache) <- prisma <- metrics; test-suite uses only cache', () => {
    const wrong: string[] = []
    for (const [file, edges] of graph) {
      if (ENTRIES.has(file)) continue
      const from = layerOf(file)
      for (const edge of edges) {
        const to = layerOf(edge.to)
        if (from === to) continue
        if (from === 'test-suite') {
          if (to !== 'cache') wrong.push(`${file} -> ${edge.to}`)
          continue
        }
        const rank = (layer: string) => LAYER_ORDER.indexOf(layer)
        // The cache may name the bus's types (its port), never run its code.
        if (from === 'cache' && to === 'bus' && edge.typeOnly) continue
        if (rank(to) < 0 || rank(to) >= rank(from)) wrong.push(`${file} -> ${edge.to}`)
      }
    }
    expect(wrong).toEqual([])
  })
})
