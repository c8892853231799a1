import { SuperJSON } from 'superjson'

/** Turns values into text for a tier that stores bytes (Redis) and back. */
export interface Serializer {
  serialize(value: unknown): string
  /** May throw on corrupt input: backends treat that as a miss and drop the entry. */
  deserialize(text: string): unknown
}

/**
 * A superjson instance of our own (registrations never leak into the application's global superjson),
 * with Buffer and Uint8Array stored as base64 instead of superjson's default number arrays — which are
 * 3-4x larger and, for Buffer, do not deserialize at all in superjson 2.
 *
 * `configure` receives the instance to register more classes (the Prisma layer registers Decimal).
 */
export function createSuperjsonSerializer(configure?: (superjson: SuperJSON) => void): Serializer {
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
  configure?.(superjson)
  return {
    serialize: (value) => superjson.stringify(value),
    deserialize: (text) => superjson.parse(text),
  }
}

/** The default serializer: {@link createSuperjsonSerializer} with nothing added. */
export const defaultSerializer: Serializer = createSuperjsonSerializer()
