import { SuperJSON } from 'superjson'
import type { TextSerializer } from './serializer.js'

/** A text Serializer over a superjson instance of its own, which callers may teach more types. */
export interface SuperjsonSerializer extends TextSerializer {
  readonly format: 'superjson'
  readonly superjson: SuperJSON
}

/** Keys superjson refuses to walk ("prototype pollution risk"), although they are ordinary JSON data. */
const GUARDED_KEYS = ['__proto__', 'constructor', 'prototype']

/** superjson's JSONValue (not exported by its entry point). */
type Json = string | number | boolean | null | undefined | Json[] | { [key: string]: Json }

/**
 * A superjson instance of our own (registrations never leak into the application's global superjson), with:
 * - Buffer and Uint8Array as base64 (superjson's default is a number array 3-4x larger, and Buffer does not
 *   deserialize at all in superjson 2);
 * - plain objects with an own `__proto__`, `constructor` or `prototype` key (valid JSON data, e.g. in a
 *   Prisma Json column) written as a list of entries and rebuilt with defineProperty, so they round-trip
 *   as data instead of making superjson throw — and without ever touching a prototype.
 *
 * `configure` receives the instance to register more classes.
 */
export function createSuperjsonSerializer(configure?: (superjson: SuperJSON) => void): SuperjsonSerializer {
  const superjson = new SuperJSON()
  superjson.registerCustom<Buffer, string>(
    {
      isApplicable: (v): v is Buffer => Buffer.isBuffer(v),
      serialize: (v) => v.toString('base64'),
      deserialize: (v) => Buffer.from(v, 'base64'),
    },
    'Buffer',
  )
  superjson.registerCustom<Uint8Array, string>(
    {
      isApplicable: (v): v is Uint8Array => v instanceof Uint8Array && !Buffer.isBuffer(v),
      serialize: (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'),
      deserialize: (v) => new Uint8Array(Buffer.from(v, 'base64')),
    },
    'Uint8Array',
  )
  superjson.registerCustom<Record<string, unknown>, Array<[string, Json]>>(
    {
      isApplicable: (v): v is Record<string, unknown> =>
        isPlainObject(v) && GUARDED_KEYS.some((key) => Object.prototype.hasOwnProperty.call(v, key)),
      // Values need not be JSON yet: superjson walks the returned entries (transforming Dates etc.) and
      // rebuilds children before calling deserialize.
      serialize: (v) => Object.keys(v).map((key): [string, Json] => [key, v[key] as Json]),
      deserialize: (entries) => {
        const out: Record<string, unknown> = {}
        for (const [key, value] of entries)
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
        return out
      },
    },
    'GuardedKeys',
  )
  configure?.(superjson)
  return {
    format: 'superjson',
    superjson,
    serialize: (value) => superjson.stringify(value),
    deserialize: (text) => superjson.parse(text),
  }
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * The superjson serializer: the default before the binary one (entries it wrote, with or without a format in
 * their header, are read with it), and an option (`serializer: superjsonSerializer`). The Prisma layer registers
 * Prisma's Decimal in it when an extension is created (see src/prisma/serializer.ts).
 */
export const superjsonSerializer: SuperjsonSerializer = createSuperjsonSerializer()
