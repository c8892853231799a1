/**
 * How a tier that stores bytes (Redis, or MemoryCache with `values: 'serialize'`) turns values into bytes or text
 * and back. Two kinds, told apart by `binary`:
 * - a text serializer (superjson, or your own `{ serialize, deserialize }` written before formats were named);
 * - a binary one (the default, MessagePack: see msgpack-serializer.ts).
 */
export type Serializer = TextSerializer | BinarySerializer

export interface TextSerializer {
  /**
   * Names the format in the header of every Redis entry written with it, so that a reader using another
   * serializer decodes the entry with the matching one, or takes it as a miss: never as garbage. Letters,
   * digits, `.`, `_`, `-`. Without it, entries are written as before formats were named (a reader decodes them
   * with its own unnamed text serializer, or else as superjson).
   */
  readonly format?: string
  readonly binary?: false
  serialize(value: unknown): string
  /** May throw on corrupt input: backends treat that as a miss and drop the entry. */
  deserialize(text: string): unknown
}

export interface BinarySerializer {
  /** As {@link TextSerializer.format}; required for bytes. */
  readonly format: string
  readonly binary: true
  serialize(value: unknown): Uint8Array
  /**
   * Optional, for speed: as `serialize`, with `headroom` bytes in front of the value's bytes that are the caller's
   * to overwrite, so that a caller framing the bytes (RedisCache writes its header line there) does not copy them
   * behind the frame. The result's length is `headroom` plus the value's bytes. The serializer never writes to the
   * returned bytes again (no reused scratch buffer): the caller may keep a view of them (RedisCache's L1 does).
   */
  serializeWithHeadroom?(value: unknown, headroom: number): Uint8Array
  /** Receives a view of the stored bytes, valid during the call only. May throw on corrupt input. */
  deserialize(bytes: Uint8Array): unknown
}

/** What {@link Serializer.serialize} produced: text for a text serializer, bytes for a binary one. */
export type Serialized = string | Uint8Array

/** Calls the serializer with the form it reads (text or bytes), converting when it was handed the other. */
export function deserializeWith(serializer: Serializer, data: Serialized): unknown {
  if (serializer.binary === true) return serializer.deserialize(typeof data === 'string' ? Buffer.from(data) : data)
  return serializer.deserialize(
    typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(),
  )
}
