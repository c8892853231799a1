/**
 * Size checks that stop at a bound: a result over a tier's bound for one entry is found out before it is copied
 * (L1) or serialized (L2) in full, by walking it only until the bound is passed.
 */

/**
 * A rough size in bytes of a value kept in memory, for MemoryCache's `maxSize` bounds when no sizeCalculation is
 * given. Strings count 2 bytes per UTF-16 unit, numbers 8, objects 16 plus their keys and values; an object met
 * again (shared, or a cycle) 8.
 */
export function estimateSize(value: unknown): number {
  return estimateSizeUpTo(value, Number.POSITIVE_INFINITY)
}

/**
 * {@link estimateSize}, walked only until it passes `limit`: the estimate when it is at most `limit`, otherwise
 * some number above `limit`.
 */
export function estimateSizeUpTo(value: unknown, limit: number): number {
  const judged = overFromSample(value, limit, (item) => estimateSizeUpTo(item, limit))
  if (judged !== undefined) return judged
  let total = 0
  const seen = new Set<object>()
  const walk = (v: unknown): boolean => {
    switch (typeof v) {
      case 'string':
        total += 2 * v.length + 16
        break
      case 'bigint':
        total += 16 + Math.ceil(v.toString(16).length / 2)
        break
      case 'object': {
        if (v === null || seen.has(v)) {
          total += 8
          break
        }
        seen.add(v)
        if (ArrayBuffer.isView(v)) total += 64 + v.byteLength
        else if (v instanceof Date) total += 32
        else {
          total += 16
          if (Array.isArray(v)) {
            for (const item of v) if (((total += 8), walk(item))) return true
          } else if (v instanceof Map) {
            for (const [k, item] of v) if (((total += 16), walk(k) || walk(item))) return true
          } else if (v instanceof Set) {
            for (const item of v) if (((total += 8), walk(item))) return true
          } else {
            // Keys, then each value: no [key, value] pair allocated per property (this walks large results).
            const record = v as Record<string, unknown>
            for (const k of Object.keys(record)) if (((total += 2 * k.length + 16), walk(record[k]))) return true
          }
        }
        break
      }
      default:
        total += 8
    }
    return total > limit
  }
  walk(value)
  return total
}

/**
 * Whether `value` is a long array (a findMany of many rows) whose MessagePack encoding (the default serializer's)
 * is over `limit` bytes, judged from a sample of its rows (see {@link overFromSample}) before anything is encoded.
 * False decides nothing: the encoding's own size does. Other values are not walked here: a walk would cost every
 * write (~2 µs for a user with five posts) to save encoding time only for values then refused.
 */
export function encodedSizeOverBySample(value: unknown, limit: number): boolean {
  return overFromSample(value, limit, (item) => encodedSizeUpTo(item, limit)) !== undefined
}

/**
 * A lower bound of the MessagePack encoding's size in bytes: each string at least its length plus one, every
 * other value at least one byte; object keys count nothing (records write a shape's keys once), a class instance
 * such as a Date or a Decimal one byte (its extension encoding may be short). Stops once it passes `limit`.
 */
function encodedSizeUpTo(value: unknown, limit: number): number {
  let total = 0
  const seen = new Set<object>()
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') total += v.length + 1
    else if (typeof v !== 'object' || v === null || seen.has(v)) total += 1
    else {
      seen.add(v)
      total += 1
      if (ArrayBuffer.isView(v)) total += v.byteLength
      else if (Array.isArray(v)) {
        for (const item of v) if (walk(item)) return true
      } else {
        const proto = Object.getPrototypeOf(v) as unknown
        if (proto === Object.prototype || proto === null) {
          const record = v as Record<string, unknown>
          for (const k of Object.keys(record)) if (walk(record[k])) return true
        }
      }
    }
    return total > limit
  }
  walk(value)
  return total
}

/** Arrays at least this long (a findMany of many rows) are judged from a sample before they are walked. */
const SAMPLED_FROM = 1024
const SAMPLES = 32

/**
 * A long array whose smallest sampled item, times its length, is over `limit`: that product (the array is judged
 * over the bound without walking it up to the bound, ~20 ms for 20 MB of rows); otherwise undefined (walk it).
 * Judging from the smallest of 32 items spread over the array, the rows of one query, errs only when the rows
 * not sampled are far smaller than every sampled one; the cost of erring is a result not cached, never a wrong one.
 */
function overFromSample(value: unknown, limit: number, measure: (item: unknown) => number): number | undefined {
  if (!Array.isArray(value) || value.length < SAMPLED_FROM || limit === Number.POSITIVE_INFINITY) return undefined
  const stride = value.length / SAMPLES
  let smallest = Number.POSITIVE_INFINITY
  for (let i = 0; i < SAMPLES && smallest * value.length > limit; i++)
    smallest = Math.min(smallest, measure(value[Math.floor(i * stride)]))
  const judged = smallest * value.length
  return judged > limit ? judged : undefined
}
