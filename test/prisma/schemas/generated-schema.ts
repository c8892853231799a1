/**
 * A large, valid Prisma schema made from a seed: every relation shape (one-to-one, one-to-many required and
 * optional, implicit many-to-many, self relations, compound foreign keys to compound ids), written and defaulted
 * referential actions, `@@map` / `@map`, `@@id`, `@@unique` with sort arguments, `@ignore`, `@@ignore`, and
 * comments and strings placed where a naive reader would trip (braces, `//`, `@id`, `fields: [...]`).
 * Used by the comparison with Prisma's engine (data-model.test.ts) and by bench/data-model.ts.
 */
export function generatedSchema(models: number, seed: number, provider = 'postgresql'): string {
  let state = seed >>> 0 || 1
  const random = () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const lines = new Map<number, string[]>()
  const attributes = new Map<number, string[]>()
  const compound = (i: number) => i % 7 === 3
  for (let i = 0; i < models; i++) {
    lines.set(i, compound(i) ? ['  a Int', '  b String'] : ['  id Int @id @default(autoincrement())'])
    attributes.set(i, compound(i) ? ['  @@id([a, b])'] : [])
    lines.get(i)!.push(`  label String @default("} // /* @id ${i}")`, '  /* a } brace in a comment */')
    if (random() < 0.3) lines.get(i)!.push(`  code${i} String @unique @map("code_${i}")`)
    if (random() < 0.2) lines.get(i)!.push('  hidden Int? @ignore')
    if (random() < 0.3) attributes.get(i)!.push(`  @@map(${random() < 0.5 ? 'name: ' : ''}"table_${i}")`)
    if (random() < 0.2) attributes.get(i)!.push(`  @@unique([label(sort: Desc), ${compound(i) ? 'a' : 'id'}])`)
  }
  const referential = ['Cascade', 'Restrict', 'NoAction']
  let relation = 0
  for (let i = 1; i < models; i++) {
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
      const target = Math.floor(random() * i)
      const drawn = pick(['required', 'optional', 'oneToOne', 'manyToMany', 'self'] as const)
      // Implicit m-n needs single-field ids on both sides.
      const shape = drawn === 'manyToMany' && (compound(i) || compound(target)) ? 'optional' : drawn
      const name = `R${relation++}`
      const own = lines.get(i)!
      const back = shape === 'self' ? own : lines.get(target)!
      const targetModel = shape === 'self' ? `M${i}` : `M${target}`
      if (shape === 'manyToMany') {
        own.push(`  ${name}_to ${targetModel}[] @relation("${name}")`)
        back.push(`  ${name}_from M${i}[] @relation("${name}")`)
        continue
      }
      const optional = shape !== 'required'
      const keys = compound(shape === 'self' ? i : target) ? ['a', 'b'] : ['id']
      const types = keys.map((key) => (key === 'b' ? 'String' : 'Int'))
      const unique = shape === 'oneToOne' || (shape === 'self' && random() < 0.5)
      const from = keys.map((key) => `${name}_${key}`)
      from.forEach((field, n) =>
        own.push(
          `  ${field} ${types[n]}${optional ? '?' : ''}${unique && n === 0 && keys.length === 1 ? ' @unique' : ''}`,
        ),
      )
      if (unique && keys.length > 1) attributes.get(i)!.push(`  @@unique([${from.join(', ')}])`)
      const actions = [
        random() < 0.5 ? `, onDelete: ${pick(optional ? [...referential, 'SetNull'] : referential)}` : '',
      ]
      if (random() < 0.3) actions.push(`, onUpdate: ${pick(referential)}`)
      const map =
        random() < 0.3 && provider !== 'sqlite' ? `, map: "fk_${name}: fields: [label] onDelete: Restrict"` : ''
      const args = `"${name}", fields: [${from.join(', ')}], references: [${keys.join(', ')}]${actions.join('')}${map}`
      own.push(`  ${name}_one ${targetModel}${optional ? '?' : ''} @relation(${args})`)
      back.push(`  ${name}_many M${i}${unique ? '?' : '[]'} @relation("${name}")`)
    }
  }
  const blocks = [...lines.keys()].map((i) => {
    const comment = i % 11 === 0 ? `/* model Ghost${i} {\n  id Int @id\n} */\n` : ''
    const body = [...lines.get(i)!, '', ...attributes.get(i)!].join('\n')
    return `${comment}/// model ${i}, "quoted"\nmodel M${i} {\n${body}\n}\n`
  })
  const ignored = `model Ignored {\n  id Int @id\n\n  @@ignore\n}\n`
  return `datasource db {\n  provider = "${provider}"\n}\n\n${blocks.join('\n')}\n${ignored}`
}
