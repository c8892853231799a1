/**
 * The README's first code block is examples/readme/headline.ts (which `npm test` type-checks under strict),
 * but for the generated client's import path: a snippet users copy must compile.
 */
import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'

it("README's headline snippet is the type-checked examples/readme/headline.ts", async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  const example = await readFile(new URL('../../examples/readme/headline.ts', import.meta.url), 'utf8')
  const clientImport = /\/\/ README: (.*)\n/.exec(example)?.[1]
  const body = example.split('// README (from here to the end, as is)\n')[1]
  expect(clientImport).toBeDefined()
  expect(snippet).toBe(`${clientImport}\n${body}`)
})
