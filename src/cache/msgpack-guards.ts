/**
 * What msgpackr would not give back as it was written, found before packing and replaced by marker classes that
 * the MessagePack serializer writes as its own extensions:
 * - an own `__proto__` key (valid JSON data, e.g. in a Prisma Json column): msgpackr reads it back as `__proto_`;
 * - an own `constructor` key: msgpackr takes the object for an instance of a class (and a `toJSON` key beside it
 *   for a method);
 * - -0: msgpackr writes it as the integer 0.
 * The check walks plain data only (arrays, plain objects, Maps, Sets), allocates nothing, and finds nothing in
 * almost every value; only a value that needs it is copied (the caller's value is never changed).
 */

/** A plain object written as its entries, rebuilt with defineProperty (which never sets a prototype). */
export class GuardedObject {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

/** Stands for -0. */
export class NegativeZero {}
const NEGATIVE_ZERO = new NegativeZero()

export function needsGuard(value: unknown): boolean {
  if (typeof value === 'number') return value === 0 && 1 / value < 0
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsGuard(value[i])) return true
    return false
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>
    if (hasGuardedKey(record)) return true
    for (const key in record) if (needsGuard(record[key])) return true
    return false
  }
  if (value instanceof Map) {
    for (const [k, v] of value) if (needsGuard(k) || needsGuard(v)) return true
    return false
  }
  if (value instanceof Set) {
    for (const v of value) if (needsGuard(v)) return true
  }
  return false
}

/** A copy of `value` in which what {@link needsGuard} finds is replaced by the marker classes. */
export function guardValue(value: unknown): unknown {
  if (typeof value === 'number') return value === 0 && 1 / value < 0 ? NEGATIVE_ZERO : value
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(guardValue)
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>
    if (hasGuardedKey(record))
      return new GuardedObject(Object.keys(record).map((key) => [key, guardValue(record[key])]))
    const copy: Record<string, unknown> = {}
    for (const key of Object.keys(record)) copy[key] = guardValue(record[key])
    return copy
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [guardValue(k), guardValue(v)]))
  if (value instanceof Set) return new Set([...value].map(guardValue))
  return value
}

function hasGuardedKey(record: object): boolean {
  return Object.hasOwn(record, '__proto__') || Object.hasOwn(record, 'constructor')
}
