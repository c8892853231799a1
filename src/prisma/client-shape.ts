import { createHash } from 'node:crypto'

/** A node of Prisma's list of the extensions applied to a client (internal to @prisma/client 7). */
interface ExtensionNode {
  extension: Record<string, unknown>
  previous?: ExtensionNode
}

/** The parts of an extension that change what a model read returns for the same arguments. */
const SHAPING_COMPONENTS = ['query', 'result', 'model'] as const

/**
 * A fingerprint of what, besides the schema, decides what a read returns for given arguments: the client's
 * global `omit` (`new PrismaClient({ omit })`), and the extensions beneath the cache — query extensions that
 * filter or rewrite arguments (soft delete, tenants), result extensions (computed fields), model overrides — by
 * name and source text. Two clients that differ in any of these get different key namespaces, so one never
 * serves the other's results (a field one of them omits, a row one of them hides), in one process or across
 * instances sharing Redis; clients built the same way (the same code on every instance) share entries.
 * Read from Prisma's internals (`_globalOmit`, `_extensions`), once per client.
 */
export function clientShapeFingerprint(client: unknown): string {
  const internal = client as { _globalOmit?: unknown; _extensions?: { head?: ExtensionNode } }
  const parts: unknown[] = [internal._globalOmit ?? null]
  for (let node = internal._extensions?.head; node !== undefined; node = node.previous) {
    const extension = node.extension
    parts.push([extension['name'] ?? null, ...SHAPING_COMPONENTS.map((component) => extension[component] ?? null)])
  }
  return createHash('sha256').update(stableText(parts)).digest('base64url').slice(0, 8)
}

/** JSON with functions as their source text, bigints as digits, and cycles cut. */
function stableText(value: unknown): string {
  const seen = new WeakSet<object>()
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'function') return `fn:${String(item)}`
    if (typeof item === 'bigint') return `${item}n`
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[cycle]'
      seen.add(item)
    }
    return item
  })
}
