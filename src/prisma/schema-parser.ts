import { type SchemaToken, tokenizeSchema } from './schema-tokens.js'

/**
 * The parts of a Prisma schema its client does not carry at run time: which fields are lists or optional,
 * foreign keys, referential actions, ids and uniques, which blocks are views, and the datasource's provider
 * and relation mode. Everything else (models, relation names, table names, database schemas) comes from the
 * client's runtime data model; data-model.ts checks this parse against it.
 *
 * One mechanism reads every block: lines of tokens (schema-tokens.ts), each line a field or a block attribute,
 * every attribute's arguments read by one recursive value reader — so a string, a comment or a nested
 * `(…)` / `[…]` can never be mistaken for a field, an attribute or a separator.
 */
export interface ParsedSchema {
  datasource: { provider: string | undefined; relationMode: string | undefined }
  /** model, view, type (composite) and enum blocks, in order. */
  blocks: ParsedBlock[]
}

export interface ParsedBlock {
  keyword: 'model' | 'view' | 'type' | 'enum'
  name: string
  fields: ParsedField[]
  /** `@@…` attributes (name without the `@@`). */
  attributes: Attribute[]
}

export interface ParsedField {
  name: string
  /** The type's name (`Unsupported` for `Unsupported("…")`). */
  type: string
  isList: boolean
  isOptional: boolean
  /** `@…` attributes (name without the `@`). */
  attributes: Attribute[]
}

export interface Attribute {
  /** `id`, `relation`, `db.VarChar`, … */
  name: string
  args: Arguments
}

export interface Arguments {
  positional: Value[]
  named: Map<string, Value>
}

export type Value =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  /** An identifier or a dotted path: `Cascade`, `Desc`, `db.Text`. */
  | { kind: 'name'; value: string }
  | { kind: 'call'; name: string; args: Arguments }
  | { kind: 'list'; items: Value[] }

const BLOCKS = new Set(['model', 'view', 'type', 'enum', 'datasource', 'generator'])

export function parseSchema(text: string): ParsedSchema {
  const reader = new Reader(tokenizeSchema(text))
  const schema: ParsedSchema = { datasource: { provider: undefined, relationMode: undefined }, blocks: [] }
  while (!reader.done()) {
    const keyword = reader.next()
    const name = reader.peek()
    if (keyword.kind !== 'word' || !BLOCKS.has(keyword.text) || name?.kind !== 'word' || reader.peek(1)?.text !== '{') {
      reader.skipLine()
      continue
    }
    reader.next()
    reader.next()
    // Prisma ignores whatever follows `{` on its line (tested against the engine): so do we.
    const lines = reader.skipLine() ? [] : reader.blockLines()
    if (keyword.text === 'datasource') readDatasource(lines, schema.datasource)
    else if (keyword.text !== 'generator')
      schema.blocks.push(readBlock(keyword.text as ParsedBlock['keyword'], name.text, lines))
  }
  return schema
}

function readDatasource(lines: SchemaToken[][], datasource: ParsedSchema['datasource']): void {
  for (const line of lines) {
    const [key, equals] = line
    if (key?.kind !== 'word' || equals?.text !== '=') continue
    const value = new Reader(line.slice(2)).value()
    const text = value?.kind === 'string' || value?.kind === 'name' ? value.value : undefined
    if (key.text === 'provider') datasource.provider = text
    if (key.text === 'relationMode') datasource.relationMode = text
  }
}

function readBlock(keyword: ParsedBlock['keyword'], name: string, lines: SchemaToken[][]): ParsedBlock {
  const block: ParsedBlock = { keyword, name, fields: [], attributes: [] }
  for (const line of lines) {
    const reader = new Reader(line)
    if (line[0]?.text === '@' && line[1]?.text === '@') {
      reader.next()
      block.attributes.push(...reader.attributes())
      continue
    }
    const fieldName = reader.next()
    if (fieldName.kind !== 'word') continue
    if (keyword === 'enum') {
      block.fields.push({
        name: fieldName.text,
        type: name,
        isList: false,
        isOptional: false,
        attributes: reader.attributes(),
      })
      continue
    }
    const type = reader.value()
    if (type === undefined || (type.kind !== 'name' && type.kind !== 'call')) continue
    const isList = reader.accept('[') && reader.accept(']')
    const isOptional = reader.accept('?')
    const field = { name: fieldName.text, type: type.kind === 'name' ? type.value : type.name, isList, isOptional }
    block.fields.push({ ...field, attributes: reader.attributes() })
  }
  return block
}

/** A cursor over tokens. */
class Reader {
  readonly #tokens: SchemaToken[]
  #at = 0

  constructor(tokens: SchemaToken[]) {
    this.#tokens = tokens
  }

  done(): boolean {
    while (this.#tokens[this.#at]?.kind === 'newline') this.#at++
    return this.#at >= this.#tokens.length
  }

  peek(ahead = 0): SchemaToken | undefined {
    return this.#tokens[this.#at + ahead]
  }

  next(): SchemaToken {
    return this.#tokens[this.#at++] ?? { kind: 'newline', text: '\n' }
  }

  accept(text: string): boolean {
    if (this.peek()?.text !== text || this.peek()?.kind !== 'punct') return false
    this.#at++
    return true
  }

  /** Skips the rest of the line; true if it held a `}`. */
  skipLine(): boolean {
    let closed = false
    while (this.#at < this.#tokens.length) {
      const token = this.next()
      if (token.kind === 'newline') break
      closed ||= token.kind === 'punct' && token.text === '}'
    }
    return closed
  }

  /** The lines of a block body up to its closing `}` (first on its line), which is consumed. */
  blockLines(): SchemaToken[][] {
    const lines: SchemaToken[][] = []
    let line: SchemaToken[] = []
    while (this.#at < this.#tokens.length) {
      const token = this.next()
      if (token.kind === 'newline') {
        if (line.length > 0) lines.push(line)
        line = []
      } else if (token.kind === 'punct' && token.text === '}' && line.length === 0) {
        break // a block may follow on the same line (`}model B {`), as Prisma accepts
      } else line.push(token)
    }
    if (line.length > 0) lines.push(line)
    return lines
  }

  /** `@a(…) @b @db.X(…)` up to the end of the line; anything else on the line ends the list. */
  attributes(): Attribute[] {
    const attributes: Attribute[] = []
    while (this.accept('@')) {
      const name = this.path()
      if (name === undefined) break
      attributes.push({ name, args: this.accept('(') ? this.arguments(')') : { positional: [], named: new Map() } })
    }
    return attributes
  }

  /** `a.b.c` */
  path(): string | undefined {
    const first = this.peek()
    if (first?.kind !== 'word') return undefined
    this.#at++
    let path = first.text
    while (this.peek()?.text === '.' && this.peek(1)?.kind === 'word') {
      path += `.${this.peek(1)!.text}`
      this.#at += 2
    }
    return path
  }

  /** Comma-separated values, some named (`name: value`), up to `close` (consumed). */
  arguments(close: string): Arguments {
    const args: Arguments = { positional: [], named: new Map() }
    while (this.#at < this.#tokens.length && !this.accept(close)) {
      if (this.accept(',')) continue
      const key = this.peek()
      if (key?.kind === 'word' && this.peek(1)?.text === ':') {
        this.#at += 2
        const value = this.value()
        if (value !== undefined) args.named.set(key.text, value)
      } else {
        const value = this.value()
        if (value !== undefined) args.positional.push(value)
        else if (this.peek()?.kind === 'newline') break
        else this.#at++ // a token no value starts with: skip it, never loop
      }
    }
    return args
  }

  /** A string, a number, a name or path, a call `name(…)`, or a list `[…]`. */
  value(): Value | undefined {
    const token = this.peek()
    if (token === undefined) return undefined
    if (token.kind === 'string' || token.kind === 'number') {
      this.#at++
      return { kind: token.kind, value: token.text }
    }
    if (this.accept('[')) return { kind: 'list', items: this.arguments(']').positional }
    const name = this.path()
    if (name === undefined) return undefined
    return this.accept('(') ? { kind: 'call', name, args: this.arguments(')') } : { kind: 'name', value: name }
  }
}

// ---- reading the attributes the cache needs ------------------------------------------------------------

/** The attribute of that name, if present. */
export function attribute(attributes: readonly Attribute[], name: string): Attribute | undefined {
  return attributes.find((a) => a.name === name)
}

/** An argument by name, or else by position (`@@map("x")` = `@@map(name: "x")`). */
export function argument(attr: Attribute | undefined, name: string, position?: number): Value | undefined {
  if (attr === undefined) return undefined
  return attr.args.named.get(name) ?? (position === undefined ? undefined : attr.args.positional[position])
}

export function stringValue(value: Value | undefined): string | undefined {
  return value?.kind === 'string' ? value.value : undefined
}

export function nameValue(value: Value | undefined): string | undefined {
  return value?.kind === 'name' ? value.value : undefined
}

/** The field names of a list such as `[a, b(sort: Desc), c(length: 20)]`. */
export function fieldNames(value: Value | undefined): string[] | undefined {
  if (value?.kind !== 'list') return undefined
  return value.items.flatMap((item) => (item.kind === 'name' ? [item.value] : item.kind === 'call' ? [item.name] : []))
}
