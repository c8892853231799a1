// ESLint for TypeScript (typescript-eslint's recommended rules); formatting is Prettier's (eslint-config-prettier
// turns off the rules that would argue with it). `npm run lint`.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.tmp/', 'prisma/generated/', 'node_modules/', 'scratch/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a parameter an implementation must accept but does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Key escaping and SQL lexing match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Plain JavaScript run by Node (scripts, this file).
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        performance: 'readonly',
      },
    },
  },
  {
    // Type-level tests: values declared only for their types, expressions checked by @ts-expect-error, Prisma's `{}` args.
    files: ['test/**/types.test.ts', 'test/**/*-types.test.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
    },
  },
  prettier,
)
