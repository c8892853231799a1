/**
 * `npm run bench` measures this package as users run it: the build in dist/ (the script builds it first), not
 * src/ through tsx. tsx compiles src/ with esbuild's keepNames, whose `__name` call on every named function
 * expression made ~8% of a set's CPU that the built package does not pay (bentocache is measured as published,
 * too). The suites import `../src/index.js` and `../src/cache/index.js` as usual (types and values); this module
 * hook hands them dist/index.mjs and dist/cache.mjs instead. Other src/ modules a suite imports (the Redis read
 * script of a floor row) still come from src/. BENCH_FROM_SRC=1 turns the redirect off.
 *
 * Registered with `tsx --import ./bench/built-package.mjs bench/run.ts` (Node's module.register).
 */
import { existsSync } from 'node:fs'
import { register } from 'node:module'
import { fileURLToPath } from 'node:url'
import { isMainThread } from 'node:worker_threads'

const root = new URL('../', import.meta.url)
/** Entry points of src/ (as tsx resolves them) and the built file that replaces each. */
const built = {
  [new URL('src/index.ts', root).href]: new URL('dist/index.mjs', root).href,
  [new URL('src/cache/index.ts', root).href]: new URL('dist/cache.mjs', root).href,
}

// This file is loaded twice: by --import on the main thread (registers), and as the hooks in Node's hooks thread.
if (isMainThread && process.env.BENCH_FROM_SRC !== '1') {
  for (const file of Object.values(built)) {
    if (!existsSync(fileURLToPath(file))) throw new Error(`bench: ${fileURLToPath(file)} is missing: run npm run build`)
  }
  register(import.meta.url, { data: built })
}

/** Module hooks (run in Node's hooks thread): `initialize` gets the map passed to register. */
let redirects = {}
export function initialize(data) {
  redirects = data
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  const target = redirects[resolved.url]
  return target === undefined ? resolved : { url: target, format: 'module', shortCircuit: true }
}
