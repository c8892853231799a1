/**
 * Percent-encoding for the parts of a cache key string.
 *
 * Why percent-encoding and not backslashes: the escaped text must contain no Redis glob metacharacter
 * (`* ? [ ] \ ^`), so that a pattern can only match an identifier through the identifier's literal,
 * escaped text; and it must be injective (`%` itself is encoded), so two different identifiers can never
 * produce the same key string. Backslash escaping would leave `\` in keys, which is itself a glob
 * metacharacter in Redis `SCAN MATCH`.
 */

/**
 * Characters that are encoded: `%`, the separators `:` `,` `=`, glob syntax, braces (Redis hash tags), whitespace
 * and controls.
 */
const UNSAFE = /[%:*?[\]\\^{}\s\x00-\x1f\x7f"#]/gu

function encodeChar(char: string): string {
  let out = ''
  for (const byte of Buffer.from(char, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  return out
}

/**
 * Tests (not global, so no lastIndex state) for any character to encode: most key parts have none, and are returned
 * as they are.
 */
const HAS_UNSAFE = /[%:*?[\]\\^{}\s\x00-\x1f\x7f"#]/u
const UNSAFE_IN_FIELD = /[%:*?[\]\\^{}\s\x00-\x1f\x7f"#,=]/u

/** Encodes a free-form part of a key (an identifier or a field value). */
export function escapeKeyPart(text: string): string {
  return HAS_UNSAFE.test(text) ? text.replace(UNSAFE, encodeChar) : text
}

/**
 * Same as {@link escapeKeyPart} but also encodes `,` and `=`, for values inside `field=value,field=value`
 * identifiers.
 */
export function escapeFieldPart(text: string): string {
  return UNSAFE_IN_FIELD.test(text) ? text.replace(UNSAFE, encodeChar).replace(/[,=]/g, encodeChar) : text
}

/** Inverse of {@link escapeKeyPart} (and of {@link escapeFieldPart}). Throws on a malformed `%` sequence. */
export function unescapeKeyPart(text: string): string {
  if (!text.includes('%')) return text
  return decodeURIComponent(text)
}
