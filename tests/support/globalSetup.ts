/**
 * Jest globalSetup: make a real PostgreSQL server available to the suites through
 * LIANDONG_TEST_DATABASE_URL (workers inherit the environment), and start the run's shared
 * Elasticsearch node in the background when the run includes a file that uses it
 * (tests/support/elasticsearch.ts); and name the run's directory, where the first suite that asks
 * makes the synced world the others copy (tests/support/worldTemplate.ts).
 *
 * - LIANDONG_TEST_DATABASE_URL already set: a server the developer runs; used as is.
 * - else server binaries installed: a throwaway server for this run, stopped by globalTeardown.
 * - else LIANDONG_REQUIRE_REAL_SERVICES=1 (CI): fail the run.
 * - else: warn once; the [postgres] variants of the suites are skipped.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ElasticsearchNode } from '../../tools/servers/elasticsearch.js';
import type * as ElasticsearchModule from '../../tools/servers/elasticsearch.js';
import type { PostgresServer } from '../../tools/servers/postgres.js';
import type * as PostgresServerModule from '../../tools/servers/postgres.js';

export const TEST_DATABASE_URL_ENV = 'LIANDONG_TEST_DATABASE_URL';
/** The run's directory, where tests/support/worldTemplate.ts keeps the synced world the suites copy. */
export const TEST_RUN_DIR_ENV = 'LIANDONG_TEST_RUN_DIR';
/** Where the shared node's `{ url, pid, logFile }` or `{ error }` is written (tests/support/elasticsearch.ts). */
export const SHARED_ELASTICSEARCH_STATE_ENV = 'LIANDONG_TEST_ELASTICSEARCH_STATE';

export interface GlobalPostgresHandle {
  server: PostgresServer;
  removeExitHooks(): void;
}

export interface GlobalElasticsearchHandle {
  /** Settles once the node is up (or has failed); teardown waits for it before stopping the node. */
  started: Promise<ElasticsearchNode | null>;
  stateDir: string;
}

export interface GlobalRunDirHandle {
  /** Drops the world's PostgreSQL template (no suite drops it) and removes the directory. */
  remove(): Promise<void>;
}

declare global {
  var __liandongRunDir: GlobalRunDirHandle | undefined;
  var __liandongPostgres: GlobalPostgresHandle | undefined;
  var __liandongElasticsearch: GlobalElasticsearchHandle | undefined;
}

/**
 * Jest loads globalSetup as CommonJS (its transform runs with supportsStaticESM: false, so SWC
 * emits require()) and without moduleNameMapper, so a static `tools/servers/postgres.js` import would
 * not resolve to the .ts source. Load it by its real path instead (SWC turns this into a require
 * that Jest's transform hook compiles; a native import() would accept the absolute path as well).
 */
async function loadPostgresServer(rootDir: string): Promise<typeof PostgresServerModule> {
  return import(join(rootDir, 'tools', 'servers', 'postgres.ts'));
}

async function loadElasticsearch(rootDir: string): Promise<typeof ElasticsearchModule> {
  return import(join(rootDir, 'tools', 'servers', 'elasticsearch.ts'));
}

interface GlobalConfig { testPathPatterns?: { patterns?: string[] } }
interface ProjectConfig { rootDir: string; testPathIgnorePatterns?: string[] }

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Whether a file this run selects shares the run's node: only then is a JVM worth starting. */
function runUsesSharedElasticsearch(globalConfig: GlobalConfig, projectConfig: ProjectConfig): boolean {
  const rootDir = projectConfig.rootDir;
  const selected = (globalConfig.testPathPatterns?.patterns ?? []).map((p) => new RegExp(p, 'i'));
  const ignored = (projectConfig.testPathIgnorePatterns ?? []).map((p) => new RegExp(p.replace('<rootDir>', rootDir)));
  return testFiles(join(rootDir, 'tests')).some((file) =>
    (selected.length === 0 || selected.some((r) => r.test(file))) &&
    !ignored.some((r) => r.test(file)) &&
    readFileSync(file, 'utf8').includes('sharedElasticsearch('));
}

async function startSharedElasticsearch(globalConfig: GlobalConfig, projectConfig: ProjectConfig): Promise<void> {
  if (process.env.LIANDONG_TEST_ELASTICSEARCH_URL || process.env.LIANDONG_TEST_ELASTICSEARCH === 'own') return;
  if (!runUsesSharedElasticsearch(globalConfig, projectConfig)) return;
  const { findJava, startElasticsearch } = await loadElasticsearch(projectConfig.rootDir);
  // No Java and not CI: the [elasticsearch] suites skip themselves; in CI the file's own start fails loudly.
  if (!findJava()) return;
  const stateDir = mkdtempSync(join(tmpdir(), 'liandong-es-run-'));
  const statePath = join(stateDir, 'state.json');
  const write = (state: object) => {
    writeFileSync(`${statePath}.tmp`, JSON.stringify(state));
    renameSync(`${statePath}.tmp`, statePath);
  };
  process.env[SHARED_ELASTICSEARCH_STATE_ENV] = statePath;
  // Not awaited: the JVM boots while the suites that need no search run.
  const started = startElasticsearch().then(
    (node) => {
      write({ url: node.url, pid: node.pid, logFile: node.logFile });
      if (process.env.LIANDONG_TEST_VERBOSE === '1') process.stderr.write(`\nshared Elasticsearch node at ${node.url}\n`);
      return node;
    },
    (err: unknown) => {
      write({ error: err instanceof Error ? err.message : String(err) });
      return null;
    },
  );
  globalThis.__liandongElasticsearch = { started, stateDir };
}

/** worldTemplate.ts writes postgres-<scale>-<seed>/done.json as `{ value: { database } }` once it made a template. */
function makeRunDir(): void {
  const dir = mkdtempSync(join(tmpdir(), 'liandong-test-run-'));
  process.env[TEST_RUN_DIR_ENV] = dir;
  globalThis.__liandongRunDir = {
    async remove() {
      try {
        const names = readdirSync(dir).filter((d) => d.startsWith('postgres-')).map((d) => join(dir, d, 'done.json')).filter((f) => existsSync(f))
          .flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { value?: { database?: string } }).value?.database ?? []);
        const serverUrl = process.env[TEST_DATABASE_URL_ENV];
        // On a server the developer runs, the templates would outlive the run.
        if (names.length > 0 && serverUrl) {
          const client = new pg.Client({ connectionString: serverUrl });
          await client.connect();
          try {
            for (const name of names) await client.query(`drop database if exists "${name}" with (force)`);
          } finally {
            await client.end();
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export default async function globalSetup(globalConfig: GlobalConfig, projectConfig: ProjectConfig): Promise<void> {
  makeRunDir();
  await startSharedElasticsearch(globalConfig, projectConfig);
  if (process.env[TEST_DATABASE_URL_ENV]) return;
  const { findPostgresBinDir, startPostgresServer } = await loadPostgresServer(projectConfig.rootDir);

  if (!findPostgresBinDir()) {
    if (process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1') {
      throw new Error(
        'LIANDONG_REQUIRE_REAL_SERVICES=1 but no PostgreSQL server binaries (pg_ctl, initdb, postgres) were found on PATH ' +
          "or in /usr/lib/postgresql/*/bin. Install Debian's postgresql package (apt-get install -y postgresql) " +
          `or set ${TEST_DATABASE_URL_ENV} to a server you run.`,
      );
    }
    process.stderr.write(
      `\nWARNING: no PostgreSQL server binaries found and ${TEST_DATABASE_URL_ENV} is not set: the [postgres] variants ` +
        "of the suites will be skipped (apt-get install -y postgresql, or set the variable, to run them).\n",
    );
    return;
  }

  const started = Date.now();
  const server = await startPostgresServer();
  process.env[TEST_DATABASE_URL_ENV] = server.url;
  if (process.env.LIANDONG_TEST_VERBOSE === '1') {
    process.stderr.write(`\nPostgreSQL test server at ${server.url} (started in ${Date.now() - started} ms)\n`);
  }

  // Safety net if Jest exits without running globalTeardown (a crash, Ctrl-C): the server runs
  // detached (its own session), so without this it would outlive the run.
  const onExit = () => server.stopSync();
  const onSignal = (signal: NodeJS.Signals) => {
    server.stopSync();
    removeExitHooks();
    process.kill(process.pid, signal);
  };
  const removeExitHooks = () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  globalThis.__liandongPostgres = { server, removeExitHooks };
}
