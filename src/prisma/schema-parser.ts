import type { FieldInfo, ReferentialAction } from './data-model.js'

/**
 * A small parser for the parts of a Prisma schema the cache needs: models, enums, fields with their type
 * modifiers, and the attributes @id @unique @map @relation @@id @@unique @@map. Prisma 7 clients no longer
 * ship a DMMF with relation details at run time, but they embed the schema text; the runtime data model
 * (`_runtimeDataModel`) lacks foreign keys and referential actions.
 */
export interface ParsedModel {
  name: string
  dbName: string
  fields: FieldInfo[]
  primaryKey: string[]
  compoundUniques: Map<string, string[]>
  singleUniques: Set<string>
}

export function parseSchema(text: string): { models: ParsedModel[]; enums: string[] } {
  const source = stripComments(text)
  const blocks = findBlocks(source)
  const enums = blocks.filter((b) => b[1] === 'enum').map((b) => b[2] as string)
  const modelNames = new Set(blocks.filter((b) => b[1] === 'model' || b[1] === 'view').map((b) => b[2] as string))
  const models = blocks.filter((b) => b[1] === 'model' || b[1] === 'view').map((b) => parseModel(b[2] as string, b[3] as string, modelNames, new Set(enums)))
  return { models, enums }
}

/** `model X { ... }` blocks as [_, keyword, name, body], with braces inside strings (`@default("{}")`) skipped. */
function findBlocks(source: string): Array<[string, string, string, string]> {
  const blocks: Array<[string, string, string, string]> = []
  const head = /\b(model|enum|view|type|datasource|generator)\s+(\w+)\s*\{/g
  let match: RegExpExecArray | null
  while ((match = head.exec(source)) !== null) {
    let i = head.lastIndex
    for (; i < source.length && source[i] !== '}'; i++) if (source[i] === '"') i = skipString(source, i)
    blocks.push([match[0], match[1] as string, match[2] as string, source.slice(head.lastIndex, i)])
    head.lastIndex = i + 1
  }
  return blocks
}

function parseModel(name: string, body: string, modelNames: Set<string>, enums: Set<string>): ParsedModel {
  const fields: FieldInfo[] = []
  let dbName = name
  let primaryKey: string[] = []
  const compoundUniques = new Map<string, string[]>()
  const singleUniques = new Set<string>()
  for (const rawLine of body.split('\n')) {
    const line = rawLine.trim()
    if (line.length === 0) continue
    if (line.startsWith('@@')) {
      const attr = parseAttributes(line)[0]
      if (!attr) continue
      if (attr.name === '@@map') dbName = firstString(attr.args) ?? name
      else if (attr.name === '@@id' || attr.name === '@@unique') {
        const list = fieldList(attr.args)
        const explicit = namedString(attr.args, 'name')
        compoundUniques.set(explicit ?? list.join('_'), list)
        if (attr.name === '@@id') primaryKey = list
      }
      continue
    }
    const match = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line)
    if (!match) continue
    const [, fieldName, type, list, optional, rest] = match as unknown as [string, string, string, string | undefined, string | undefined, string]
    const attrs = parseAttributes(rest)
    const kind: FieldInfo['kind'] = modelNames.has(type) ? 'object' : enums.has(type) ? 'enum' : 'scalar'
    const field: FieldInfo = { name: fieldName, kind, type, isList: list !== undefined, isRequired: optional === undefined && list === undefined }
    for (const attr of attrs) {
      if (attr.name === '@id') {
        primaryKey = [fieldName]
        singleUniques.add(fieldName)
      } else if (attr.name === '@unique') singleUniques.add(fieldName)
      else if (attr.name === '@relation') {
        field.relationName = firstString(attr.args) ?? namedString(attr.args, 'name')
        const from = namedList(attr.args, 'fields')
        const to = namedList(attr.args, 'references')
        if (from) field.relationFromFields = from
        if (to) field.relationToFields = to
        const onDelete = namedIdentifier(attr.args, 'onDelete')
        const onUpdate = namedIdentifier(attr.args, 'onUpdate')
        if (onDelete) field.onDelete = onDelete as ReferentialAction
        if (onUpdate) field.onUpdate = onUpdate as ReferentialAction
      }
    }
    fields.push(field)
  }
  // Prisma's defaults: onDelete SetNull when every foreign key field is optional, else Restrict; onUpdate Cascade.
  for (const field of fields) {
    if (field.kind !== 'object' || !field.relationFromFields?.length) continue
    const fkOptional = field.relationFromFields.every((fk) => fields.find((f) => f.name === fk)?.isRequired === false)
    field.onDelete ??= fkOptional ? 'SetNull' : 'Restrict'
    field.onUpdate ??= 'Cascade'
  }
  // Relation names default to the two model names sorted and joined by "To" (Prisma's rule for implicit m-n tables).
  for (const field of fields) {
    if (field.kind === 'object' && field.relationName === undefined) field.relationName = [name, field.type].sort().join('To')
  }
  return { name, dbName, fields, primaryKey, compoundUniques, singleUniques }
}

interface Attribute {
  name: string
  args: string
}

/** `@a(x) @b @@c([d], name: "e")` → [{ name: '@a', args: 'x' }, ...], respecting strings and nesting. */
function parseAttributes(text: string): Attribute[] {
  const attrs: Attribute[] = []
  let i = 0
  while (i < text.length) {
    const at = text.indexOf('@', i)
    if (at < 0) break
    const nameMatch = /^@@?[\w.]+/.exec(text.slice(at))
    if (!nameMatch) break
    let end = at + nameMatch[0].length
    let args = ''
    if (text[end] === '(') {
      const close = matchingParen(text, end)
      args = text.slice(end + 1, close)
      end = close + 1
    }
    attrs.push({ name: nameMatch[0], args })
    i = end
  }
  return attrs
}

function matchingParen(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (c === '"') i = skipString(text, i)
    else if (c === '(' || c === '[') depth++
    else if (c === ')' || c === ']') {
      depth--
      if (depth === 0) return i
    }
  }
  return text.length
}

function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  return text.length
}

function firstString(args: string): string | undefined {
  const m = /^\s*"((?:[^"\\]|\\.)*)"/.exec(args)
  return m ? JSON.parse(`"${m[1]}"`) : undefined
}

function namedString(args: string, key: string): string | undefined {
  const m = new RegExp(`\\b${key}\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(args)
  return m ? JSON.parse(`"${m[1]}"`) : undefined
}

function namedIdentifier(args: string, key: string): string | undefined {
  return new RegExp(`\\b${key}\\s*:\\s*(\\w+)`).exec(args)?.[1]
}

function namedList(args: string, key: string): string[] | undefined {
  const m = new RegExp(`\\b${key}\\s*:\\s*\\[([^\\]]*)\\]`).exec(args)
  return m ? splitList(m[1] as string) : undefined
}

/** The field list of @@id / @@unique: the first `[...]`, with per-field arguments like `sort: Desc` removed. */
function fieldList(args: string): string[] {
  const m = /\[([^\]]*)\]/.exec(args)
  return m ? splitList(m[1] as string) : []
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim().replace(/\(.*$/, '').trim())
    .filter((part) => part.length > 0)
}

function stripComments(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      const end = skipString(text, i)
      out += text.slice(i, end + 1)
      i = end
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else out += c
  }
  return out
}
