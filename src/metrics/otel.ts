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

let api: TraceApi | undefined
try {
  api = (await import('@opentelemetry/api')) as unknown as TraceApi
} catch {
  api = undefined
}

export function annotateActiveSpan(info: { source: string; key: string | undefined; tags: readonly string[]; ttlLeftMs: number | undefined }): void {
  const span = api?.trace.getActiveSpan()
  if (!span) return
  span.setAttributes({
    'cache.source': info.source,
    ...(info.key === undefined ? {} : { 'cache.key': info.key }),
    'cache.tags': [...info.tags],
    ...(info.ttlLeftMs === undefined ? {} : { 'cache.ttl_left_ms': Math.round(info.ttlLeftMs) }),
  })
}
