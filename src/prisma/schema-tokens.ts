/**
 * The tokens of a Prisma schema, with comments removed. Prisma's grammar is line-based (one field or attribute
 * per line, no line break inside an argument list), so line breaks are tokens too. Everything that could hide a
 * brace, an `@` or a comma from a naive reader is consumed whole here, in one place: strings (with their
 * escapes), `//` and `///` comments, and `/* … *\/` comments (not nested, as in Prisma's grammar).
 */
export type SchemaToken =
  | { kind: 'word'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string }
  | { kind: 'newline'; text: '\n' }

const WORD = /[A-Za-z_][A-Za-z0-9_-]*/y
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?/y

export function tokenizeSchema(text: string): SchemaToken[] {
  const tokens: SchemaToken[] = []
  const newline = () => {
    if (tokens.at(-1)?.kind !== 'newline') tokens.push({ kind: 'newline', text: '\n' })
  }
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '\n') {
      newline()
      i++
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') i++
    else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i)
      i = end < 0 ? text.length : end
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2)
      const close = end < 0 ? text.length : end + 2
      // A comment that spans lines ends the line it started on.
      if (text.slice(i, close).includes('\n')) newline()
      i = close
    } else if (c === '"') {
      const [value, end] = readString(text, i)
      tokens.push({ kind: 'string', text: value })
      i = end
    } else {
      const match = matchAt(WORD, text, i) ?? matchAt(NUMBER, text, i)
      if (match !== undefined) {
        tokens.push({ kind: /^-?[0-9]/.test(match) ? 'number' : 'word', text: match })
        i += match.length
      } else {
        tokens.push({ kind: 'punct', text: c })
        i++
      }
    }
  }
  newline()
  return tokens
}

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at
  return pattern.exec(text)?.[0]
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '0': '\0' }

/** A string literal starting at `start` (a `"`): its value and the index after its closing quote. */
function readString(text: string, start: number): [string, number] {
  let value = ''
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') return [value, i + 1]
    if (c === '\n') return [value, i] // unterminated: Prisma rejects it; never read past the line
    if (c !== '\\') {
      value += c
      continue
    }
    const next = text[++i] ?? ''
    if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      value += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16))
      i += 4
    } else value += ESCAPES[next] ?? next
  }
  return [value, text.length]
}
