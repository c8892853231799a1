import { escapeKeyPart } from './escape.js'
import { assertEntity, CacheKey, type KeyLike, keyText } from './key.js'

/**
 * A glob over key strings, with Redis `MATCH` semantics (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`).
 *
 * Build patterns from structured parts ({@link KeyPattern.entity}, {@link KeyPattern.identifierPrefix},
 * {@link KeyPattern.key}) so identifiers are escaped exactly as in {@link CacheKey}: an identifier's own `*`
 * or `?` then never acts as a wildcard. {@link KeyPattern.glob} takes a raw glob for everything else.
 */
export class KeyPattern {
  readonly glob: string
  #regex: RegExp | undefined

  private constructor(glob: string) {
    this.glob = glob
  }

  /** Every key of one entity: `KeyPattern.entity('User')` → `User:*`. */
  static entity(entity: string): KeyPattern {
    assertEntity(entity)
    return new KeyPattern(`${entity}:*`)
  }

  /** Keys of an entity whose identifier starts with `prefix` (escaped, so wildcards in it are literal). */
  static identifierPrefix(entity: string, prefix: string): KeyPattern {
    assertEntity(entity)
    return new KeyPattern(`${entity}:${escapeGlob(escapeKeyPart(prefix))}*`)
  }

  /** Exactly one key. */
  static key(key: KeyLike): KeyPattern {
    return new KeyPattern(escapeGlob(keyText(key)))
  }

  /** A raw glob over key strings, e.g. `Post:*` or `User:id=1?`. */
  static glob(glob: string): KeyPattern {
    if (typeof glob !== 'string' || glob.length === 0) throw new TypeError('A key pattern must be a non-empty string')
    return new KeyPattern(glob)
  }

  /** Accepts a KeyPattern or a raw glob string. */
  static from(pattern: KeyPattern | string): KeyPattern {
    return pattern instanceof KeyPattern ? pattern : KeyPattern.glob(pattern)
  }

  /** Whether the key's string form matches this glob (the same answer Redis `SCAN MATCH` gives). */
  matches(key: KeyLike): boolean {
    this.#regex ??= globToRegExp(this.glob)
    return this.#regex.test(keyText(key))
  }

  toString(): string {
    return this.glob
  }
}

/** Backslash-escapes glob metacharacters so the text matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^]/g, '\\$&')
}

/** Compiles a Redis-style glob to an anchored RegExp (the `s` flag: `*` and `?` cross newlines, as in Redis). */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (char === '\\' && i + 1 < glob.length) source += escapeRegExp(glob[++i] as string)
    else if (char === '[') {
      const end = findClassEnd(glob, i)
      if (end < 0) source += '\\['
      else {
        source += classToRegExp(glob.slice(i + 1, end))
        i = end
      }
    } else source += escapeRegExp(char)
  }
  return new RegExp(`^${source}$`, 'su')
}

function findClassEnd(glob: string, start: number): number {
  for (let i = start + 1; i < glob.length; i++) {
    if (glob[i] === '\\') i++
    else if (glob[i] === ']' && i > start + 1 + (glob[start + 1] === '^' ? 1 : 0)) return i
  }
  return -1
}

function classToRegExp(body: string): string {
  let out = '['
  let i = 0
  if (body[0] === '^') {
    out += '^'
    i = 1
  }
  for (; i < body.length; i++) {
    const char = body[i] as string
    if (char === '\\' && i + 1 < body.length) out += escapeRegExp(body[++i] as string)
    else if (char === '-' && i > 0 && i + 1 < body.length) out += '-'
    else out += escapeRegExp(char)
  }
  return out + ']'
}

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char
}

export { CacheKey }
