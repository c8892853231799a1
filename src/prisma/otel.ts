import { createRequire } from 'node:module'

/**
 * OpenTelemetry, when the application has @opentelemetry/api (an optional peer): each cached read puts its
 * cache source, key and tags on the active span. Without the package this is a no-op.
 */
interface SpanLike {
  setAttributes(attributes: Record<string, string | number | string[]>): unknown
}
interface TraceApi {
  trace: { getActiveSpan(): SpanLike | undefined }
}

/** undefined: not looked for yet; null: the application does not have the package. */
let api: TraceApi | null | undefined

/**
 * Looked for on first use, synchronously (no top-level await: the CommonJS build, and `require()` of the ESM
 * build, could not load a module that has one). The package keeps its state on a global, so its CommonJS copy
 * loaded here sees the spans of an application that imports it as ESM.
 */
function traceApi(): TraceApi | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as TraceApi
    } catch {
      api = null
    }
  }
  return api
}

export function annotateActiveSpan(info: {
  source: string
  key: string | undefined
  tags: readonly string[]
  ttlLeftMs: number | undefined
}): void {
  const span = traceApi()?.trace.getActiveSpan()
  if (!span) return
  span.setAttributes({
    'cache.source': info.source,
    ...(info.key === undefined ? {} : { 'cache.key': info.key }),
    'cache.tags': [...info.tags],
    ...(info.ttlLeftMs === undefined ? {} : { 'cache.ttl_left_ms': Math.round(info.ttlLeftMs) }),
  })
}
