import { defineConfig } from 'tsdown'

/**
 * The package build: one source, two module formats. `dist/*.mjs` for `import`, `dist/*.cjs` for `require`, each
 * with its own declarations (`.d.mts`, `.d.cts`), so TypeScript sees the format Node will load. Bundled per entry
 * (shared code in common chunks, so one class has one identity inside each format). Dependencies and peers stay
 * external: the user's copies are used. No source maps: the package ships no sources for them to point at.
 *
 * msgpackr (a devDependency) is bundled, from its Node entry: as a dependency it would bring its optional native
 * part (msgpackr-extract), whose install script npm asks every user to approve, and its table of registered classes
 * would be shared with the application's own msgpackr. Bundled, it still loads msgpackr-extract at run time when the
 * application installed it (an optional peer: native string decoding), and decodes in JavaScript otherwise. Its
 * licence is in LICENSE.
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    cache: 'src/cache/index.ts',
    accelerate: 'src/prisma/accelerate.ts',
    prometheus: 'src/metrics/prometheus.ts',
    // The backend contract, for authors of a backend (runs in their tests, with their test framework).
    'test-suite': 'src/test-suite/index.ts',
  },
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20.19',
  fixedExtension: true,
  // import.meta.url in the CommonJS build (optional peers are loaded with createRequire).
  shims: true,
  dts: { tsconfig: 'tsconfig.build.json' },
  sourcemap: false,
  clean: true,
  outDir: 'dist',
  deps: { onlyBundle: ['msgpackr'] },
})
