import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { EncodedValue } from '../backend.js'
import { compressingSerializer } from '../compression.js'
import { msgpackSerializer } from '../msgpack-serializer.js'
import type { Serializer, TextSerializer } from '../serializer.js'
import { superjsonSerializer } from '../superjson-serializer.js'
import type { EntryHeader } from './entry.js'

/** A payload in bytes form starts with this byte (see {@link EntryCodec}). */
const BYTES_MARKER = 0x00
const DEFLATE_SUFFIX = '+deflate'
const FORMAT_NAME = /^[A-Za-z0-9._-]{1,64}$/
/** A buffer this small under an entry's bytes may be kept by L1 whatever else it holds (Node's Buffer pool size). */
const SHARED_BUFFER_BYTES = 8 * 1024

/**
 * What {@link EntryCodec.encode} gives: the header's format field (absent for an unnamed text serializer), the
 * payload (after the header line when one was given), its size without that line, and the value's serialized
 * form (uncompressed, without the marker byte) for L1 to keep.
 */
export interface EncodedPayload {
  format: string | undefined
  payload: string | Buffer
  size: number
  encoded: EncodedValue
}

/** A decoded payload, with the serialized form L1 may keep instead of a copy. */
export interface DecodedPayload {
  value: unknown
  encoded: EncodedValue
}

/**
 * The payload of a RedisCache entry, written with this cache's serializer and read with whichever serializer the
 * entry's header names, so that instances with different serializers (a rolling deploy that changes codec) read
 * each other's entries or take them as misses, never as garbage:
 * - a named format (`msgpack`, `superjson`, a custom serializer's `format`) is written in the header; with
 *   `+deflate` when the payload was compressed (above `compressAbove` bytes). A payload in bytes form (a binary
 *   serializer, or compressed) starts with a 0x00 byte: a reader from before formats were named parses payloads
 *   as superjson text, and JSON never starts with it, so such a reader takes the entry as corrupt (a miss).
 *   Uncompressed superjson text has no marker: those readers still read it.
 * - no format: text, as before formats were named (`z:` + base64 when compressed): read with this cache's
 *   serializer if it is an unnamed text one, otherwise as superjson (the default then).
 * - a named format this reader does not know: {@link decode} answers undefined (a miss; the entry is left for
 *   the instances that can read it, until a fill here replaces it).
 */
export class EntryCodec {
  readonly #serializer: Serializer
  readonly #compressAbove: number
  /** Named formats this cache reads. */
  readonly #readers = new Map<string, Serializer>()
  /** For entries without a format. */
  readonly #unnamed: TextSerializer

  constructor(serializer: Serializer, compressAbove: number) {
    if (serializer.format !== undefined && !FORMAT_NAME.test(serializer.format)) {
      throw new TypeError(
        `RedisCache: serializer.format must be 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(serializer.format)}`,
      )
    }
    if (serializer.binary === true && serializer.format === undefined)
      throw new TypeError('RedisCache: a binary serializer needs a `format` name')
    this.#serializer = serializer
    this.#compressAbove = compressAbove
    for (const known of [msgpackSerializer, superjsonSerializer, serializer])
      if (known.format !== undefined) this.#readers.set(known.format, known)
    const unnamed = serializer.binary !== true && serializer.format === undefined
    this.#unnamed = compressingSerializer(unnamed ? serializer : superjsonSerializer, {
      above: unnamed ? compressAbove : Number.POSITIVE_INFINITY,
    })
  }

  /**
   * The payload of `value`; with `header` (the entry's header line, given the format), the whole entry, built in
   * one buffer rather than a payload then copied behind its header.
   */
  encode(value: unknown, header?: (format: string | undefined) => string): EncodedPayload {
    const serializer = this.#serializer
    if (serializer.format === undefined) {
      const text = this.#unnamed.serialize(value)
      const payload = header === undefined ? text : header(undefined) + text
      return {
        format: undefined,
        payload,
        size: Buffer.byteLength(text),
        encoded: { data: text, serializer: this.#unnamed },
      }
    }
    // With the header known and a serializer that leaves room in front, the header is written there (no copy).
    const line = header !== undefined && serializer.binary === true ? header(serializer.format) : undefined
    const headroom = line === undefined ? 0 : Buffer.byteLength(line) + 1
    const withHeadroom = serializer.binary === true ? serializer.serializeWithHeadroom : undefined
    const whole = line !== undefined && withHeadroom ? withHeadroom.call(serializer, value, headroom) : undefined
    const data = whole === undefined ? serializer.serialize(value) : whole.subarray(headroom)
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
    if (size > this.#compressAbove) {
      const format = serializer.format + DEFLATE_SUFFIX
      const packed = deflateRawSync(data)
      // Bytes may be a view of a larger working buffer (msgpackr's): L1 keeps a copy of its own, not all of it.
      const kept = typeof data === 'string' ? data : Buffer.from(data)
      return {
        format,
        payload: framed(header?.(format), packed),
        size: packed.byteLength + 1,
        encoded: { data: kept, serializer },
      }
    }
    const format = serializer.format
    if (typeof data === 'string') {
      return {
        format,
        payload: header === undefined ? data : header(format) + data,
        size,
        encoded: { data, serializer },
      }
    }
    if (whole !== undefined && whole.buffer.byteLength <= Math.max(SHARED_BUFFER_BYTES, 2 * whole.byteLength)) {
      const payload = Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength)
      payload.write(line!, 0, 'utf8')
      payload[headroom - 1] = BYTES_MARKER
      // L1 keeps a view past the header and the marker byte: of a buffer a few small entries share (as they share
      // Node's own Buffer pool), or one not much larger than the entry. A view of a larger one (a serializer's
      // grown working buffer) would hold all of it: the entry is copied out below instead.
      return { format, payload, size: size + 1, encoded: { data: payload.subarray(headroom), serializer } }
    }
    const payload = framed(line ?? header?.(format), data)
    // A new buffer nobody writes to: L1 keeps a view of it, past the header and the marker byte.
    return { format, payload, size: size + 1, encoded: { data: payload.subarray(payload.length - size), serializer } }
  }

  /** The value, or undefined when the format is one this cache does not read. Throws on a corrupt payload. */
  decode(header: EntryHeader, data: Buffer): DecodedPayload | undefined {
    const format = header.format
    if (format === undefined) {
      const text = data.toString('utf8', header.payloadAt)
      return { value: this.#unnamed.deserialize(text), encoded: { data: text, serializer: this.#unnamed } }
    }
    const deflated = format.endsWith(DEFLATE_SUFFIX)
    const serializer = this.#readers.get(deflated ? format.slice(0, -DEFLATE_SUFFIX.length) : format)
    if (serializer === undefined) return undefined
    if (!deflated && serializer.binary !== true) {
      const text = data.toString('utf8', header.payloadAt)
      return { value: serializer.deserialize(text), encoded: { data: text, serializer } }
    }
    if (data[header.payloadAt] !== BYTES_MARKER) throw new Error(`corrupt ${format} payload (no marker byte)`)
    const body = data.subarray(header.payloadAt + 1)
    // inflate makes a new buffer; otherwise copy: `data` is a view of ioredis's read buffer, which L1 must not keep.
    const bytes = deflated ? inflateRawSync(body) : Buffer.from(body)
    if (serializer.binary === true)
      return { value: serializer.deserialize(bytes), encoded: { data: bytes, serializer } }
    const text = bytes.toString()
    return { value: serializer.deserialize(text), encoded: { data: text, serializer } }
  }
}

/** The header line (if any), the bytes marker, then `bytes`, in one new buffer. */
function framed(header: string | undefined, bytes: Uint8Array): Buffer {
  const at = header === undefined ? 0 : Buffer.byteLength(header)
  const out = Buffer.allocUnsafe(at + 1 + bytes.byteLength)
  if (header !== undefined) out.write(header, 0, at, 'utf8')
  out[at] = BYTES_MARKER
  out.set(bytes, at + 1)
  return out
}
