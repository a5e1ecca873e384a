/**
 * Jest globalSetup: make a real PostgreSQL server available to the suites through
 * LIANDONG_TEST_DATABASE_URL (workers inherit the environment).
 *
 * - LIANDONG_TEST_DATABASE_URL already set: a server the developer runs; used as is.
 * - else server binaries installed: a throwaway server for this run, stopped by globalTeardown.
 * - else LIANDONG_REQUIRE_REAL_SERVICES=1 (CI): fail the run.
 * - else: warn once; the [postgres] variants of the suites are skipped.
 */
import { join } from 'node:path';
import type { PostgresServer } from './postgresServer.js';
import type * as PostgresServerModule from './postgresServer.js';

export const TEST_DATABASE_URL_ENV = 'LIANDONG_TEST_DATABASE_URL';

export interface GlobalPostgresHandle {
  server: PostgresServer;
  removeExitHooks(): void;
}

declare global {
   
  var __liandongPostgres: GlobalPostgresHandle | undefined;
}

/**
 * Jest loads globalSetup as CommonJS (its transform runs with supportsStaticESM: false, so SWC
 * emits require()) and without moduleNameMapper, so a static `./postgresServer.js` import would
 * not resolve to the .ts source. Load it by its real path instead (SWC turns this into a require
 * that Jest's transform hook compiles; a native import() would accept the absolute path as well).
 */
async function loadPostgresServer(rootDir: string): Promise<typeof PostgresServerModule> {
  return import(join(rootDir, 'tests', 'support', 'postgresServer.ts'));
}

export default async function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): Promise<void> {
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
