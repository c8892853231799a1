import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { TextSerializer } from './serializer.js'

/**
 * Compresses what a text serializer produces when it is larger than `above` bytes (deflate, base64 text).
 * Transparent to readers: compressed text starts with `z:`, which no JSON text (superjson's output is an object)
 * can start with, so both forms can be read side by side. RedisCache writes entries this way only for a text
 * serializer without a `format` (and reads those written so before formats were named); a named format is
 * compressed as raw bytes, with `+deflate` in the entry's header (redis/entry-codec.ts).
 */
export function compressingSerializer(
  inner: TextSerializer,
  options: { above: number; level?: number },
): TextSerializer {
  const above = options.above
  if (Number.isNaN(above) || above < 0)
    throw new RangeError(`compressingSerializer: above must be a number of bytes >= 0, got ${above}`)
  const level = options.level ?? 6
  return {
    serialize(value) {
      const text = inner.serialize(value)
      if (text.length <= above) return text
      return `z:${deflateRawSync(text, { level }).toString('base64')}`
    },
    deserialize(text) {
      return inner.deserialize(
        text.startsWith('z:') ? inflateRawSync(Buffer.from(text.slice(2), 'base64')).toString() : text,
      )
    },
  }
}
