/**
 * `node --expose-gc --import tsx bench/data-model.ts`: what building the data model costs at start-up (once per
 * extended client), for
 * generated schemas of 100 and 300 models (test/prisma/schemas/generated-schema.ts: every relation shape, comments
 * and strings where a naive reader trips). The runtime data model and the schema text are what the prisma-client
 * generator embeds, made by Prisma's engine (prisma-schema-wasm) before timing starts. Prints the first (cold) build
 * and the median and p95 of the next 50. With --expose-gc the engine's garbage is collected before timing.
 */
import { buildDataModel } from '../src/prisma/data-model.js'
import { engineView } from '../test/prisma/engine-data-model.js'
import { generatedSchema } from '../test/prisma/schemas/generated-schema.js'

for (const models of [100, 300]) {
  const engine = engineView(generatedSchema(models, 7))
  const source = { runtime: engine.runtime, schema: engine.inline, provider: engine.provider }
  ;(globalThis as { gc?: () => void }).gc?.()
  const time = () => {
    const started = performance.now()
    buildDataModel(source, 'bench')
    return performance.now() - started
  }
  const cold = time()
  const warm = Array.from({ length: 50 }, time).sort((a, b) => a - b)
  const relations =
    Object.values(engine.runtime.models).flatMap((m) => m.fields.filter((f) => f.relationName)).length / 2
  const kib = (engine.inline.length / 1024).toFixed(0)
  console.log(
    `${models} models, ${relations} relations, ${kib} KiB of schema text: first build ${cold.toFixed(1)} ms, ` +
      `then median ${warm[25]!.toFixed(1)} ms, p95 ${warm[47]!.toFixed(1)} ms`,
  )
}
