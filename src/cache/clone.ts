/**
 * Deep copies for values kept in process memory, so that a caller mutating what it got from the cache
 * never changes what the next caller gets.
 *
 * Why not `structuredClone`: it drops prototypes (a `Prisma.Decimal` would come back as a plain object)
 * and throws on functions. This copy keeps each object's prototype and copies own enumerable properties,
 * which is exact for plain data, class instances holding data (Decimal.js), Dates, typed arrays, Maps and Sets.
 * Cycles are preserved. Measured against storing serialized text in docs/benchmarks.md.
 */
export function cloneValue<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  return cloneObject(value, new Map()) as T
}

function cloneObject(source: object, seen: Map<object, unknown>): unknown {
  const existing = seen.get(source)
  if (existing !== undefined) return existing
  if (Array.isArray(source)) {
    const copy: unknown[] = new Array(source.length)
    seen.set(source, copy)
    for (let i = 0; i < source.length; i++) copy[i] = cloneAny(source[i], seen)
    return copy
  }
  if (source instanceof Date) return new Date(source.getTime())
  if (ArrayBuffer.isView(source)) {
    // Buffer.prototype.slice shares memory; copy through the constructor of the view's own class.
    if (Buffer.isBuffer(source)) return Buffer.from(source)
    if (source instanceof DataView)
      return new DataView(source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength))
    const Ctor = source.constructor as new (buffer: ArrayBufferLike) => ArrayBufferView
    return new Ctor(source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength))
  }
  if (source instanceof Map) {
    const copy = new Map()
    seen.set(source, copy)
    for (const [k, v] of source) copy.set(cloneAny(k, seen), cloneAny(v, seen))
    return copy
  }
  if (source instanceof Set) {
    const copy = new Set()
    seen.set(source, copy)
    for (const v of source) copy.add(cloneAny(v, seen))
    return copy
  }
  if (source instanceof RegExp) return new RegExp(source.source, source.flags)
  const copy: Record<PropertyKey, unknown> = Object.create(Object.getPrototypeOf(source) as object | null)
  seen.set(source, copy)
  const record = source as Record<string, unknown>
  for (const key of Object.keys(record)) {
    // defineProperty, not assignment: an own "__proto__" key (valid in JSON data) must stay a plain property.
    const v = cloneAny(record[key], seen)
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: v, enumerable: true, writable: true, configurable: true })
    else copy[key] = v
  }
  return copy
}

function cloneAny(value: unknown, seen: Map<object, unknown>): unknown {
  return typeof value === 'object' && value !== null ? cloneObject(value, seen) : value
}
