// Lint rules that catch what the type checker doesn't: floating promises, `any`, and imports
// that cross the architecture's boundaries (see the README's folder table).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The architecture, as the README's folder table states it: each folder of src/ and what it may
 * import besides itself. Everything else is refused by `import-x/no-restricted-paths` below, so
 * the table and the tree cannot drift apart. Every folder may import src/errors.ts; src/config.ts
 * is the CLI's and the server's. src/generated is codegen output (its mappers name types from
 * every folder) and src/cli wires everything, so neither is listed.
 */
const MAY_IMPORT = {
  auth: ['generated'],
  connectors: ['domain'],
  domain: [],
  events: ['store'],
  live: ['auth', 'domain', 'events', 'generated', 'resolvers', 'store'],
  migrations: [],
  observability: [],
  resolution: ['domain', 'events', 'store'],
  resolvers: ['auth', 'domain', 'generated', 'live', 'store'],
  schema: [],
  search: ['domain', 'events', 'store'],
  server: ['auth', 'domain', 'events', 'live', 'observability', 'resolution', 'resolvers', 'search', 'store', 'config.ts'],
  simulators: ['world'],
  store: ['auth', 'domain', 'events', 'generated', 'migrations', 'resolution'],
  sync: ['connectors', 'domain', 'store'],
  world: ['domain'],
};
const SRC_PARTS = [...Object.keys(MAY_IMPORT), 'generated', 'cli', 'config.ts'];
const boundaryZones = [
  ...Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
    target: `./src/${folder}`,
    from: SRC_PARTS.filter((part) => part !== folder && !allowed.includes(part)).map((part) => `./src/${part}`),
    message: `src/${folder} may import only ${allowed.length ? allowed.map((a) => `src/${a}`).join(', ') : 'nothing else in src/'} (README, "may import").`,
  })),
  // Test code never ships: src/ and bench/ (both built into dist/) never import tests/.
  { target: ['./src', './bench', './tools'], from: './tests', message: 'tests/ does not ship; shared servers live in tools/servers.' },
  { target: './src', from: ['./bench', './tools'], message: 'src/ ships alone: no bench or tool code in it.' },
];

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
    files: ['src/**/*.ts', 'bench/**/*.ts', 'tests/**/*.ts', 'tools/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: boundaryZones }],
      // A cycle makes load order matter and hides which part depends on which.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
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
