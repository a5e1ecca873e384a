// Lint rules that catch what the type checker doesn't: floating promises, `any`, and imports
// that cross the architecture's boundaries (see the README's folder table).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // .liandong/ holds local state, e.g. the resolution bench's Python venv (Splink ships JavaScript).
  // bench/peers/server.mjs runs from PostGraphile's own install (.liandong/bench/postgraphile), whose imports this project doesn't have.
  { ignores: ['dist/**', 'node_modules/**', 'src/generated/**', 'coverage/**', '.liandong/**', 'web/src/gql/**', 'bench/peers/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Values crossing a boundary (rows, claims, extensions) are converted with String() on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      // Plugin hooks (Apollo, graphql-ws, knex migration sources) are async by contract.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Rows from the database are untyped; models.ts turns them into typed models, once.
    files: ['src/store/models.ts', 'src/store/repositories/departments.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    // Ingest and the case write path read untyped rows back from knex's generic builders; the assertions are the typing.
    files: ['src/store/ingest/**/*.ts', 'src/resolution/**/*.ts', 'src/store/caseCommands.ts', 'src/store/caseIntake.ts', 'src/store/triage.ts'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  {
    files: ['src/resolvers/**/*.ts'],
    rules: {
      // Resolvers stay thin: they reach the store only through the data layer in their context.
      'no-restricted-imports': ['error', { patterns: [
        { group: ['knex', 'pg', '@electric-sql/*', '**/store/db.js', '**/store/repositories/*'], message: 'Resolvers call the data layer (context.data), never the database.' },
      ] }],
    },
  },
  {
    files: ['src/connectors/**/*.ts'],
    ignores: ['src/connectors/court/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['knex', 'pg', '@electric-sql/*', 'graphql', '@elastic/*', '**/store/**', '**/resolvers/**', '**/server/**'], message: 'A connector only speaks the connector contract; the runner owns the store.' },
      ] }],
    },
  },
  {
    // The court's system is a SQL database: its connector reads it with knex, and still never touches the hub's store.
    files: ['src/connectors/court/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@electric-sql/*', 'graphql', '@elastic/*', '**/store/**', '**/resolvers/**', '**/server/**'], message: 'A connector only speaks the connector contract; the runner owns the store.' },
      ] }],
    },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', '*.js'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['scripts/**/*.mjs', '*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['scripts/**/*.mjs'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
);
