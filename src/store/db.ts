import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from '../migrations/index.js';
import { ConnectionScheduler, scheduledPgLiteClient } from './pgliteClient.js';

/** Where the canonical store lives: an embedded PGlite (a directory, or memory) or a PostgreSQL server. */
export type DatabaseTarget =
  // loadDataDir: a tarball from PGlite's dumpDataDir to start from (tests copy one synced world into each suite that way).
  | { kind: 'pglite'; dataDir: string | null; loadDataDir?: Blob }
  | {
      kind: 'postgres';
      url: string;
      /** Connections of the request pool (`knex`). */
      poolMax: number;
      /** Connections of the background pool (`background`); default DEFAULT_BACKGROUND_POOL_MAX. */
      backgroundPoolMax?: number;
    };

/**
 * Connections background work may hold on a PostgreSQL server: two scheduled syncs (each holds
 * its advisory lock's connection and works on a second) and one for the indexer, the case
 * watcher, retention and pushes.
 */
export const DEFAULT_BACKGROUND_POOL_MAX = 5;

/** application_name of each pool's connections, so pg_stat_activity tells requests from background work. */
export const APPLICATION_NAME = { requests: 'liandong', background: 'liandong-background' } as const;

export interface Database {
  readonly kind: DatabaseTarget['kind'];
  /** Work a person is waiting for: GraphQL requests and subscriptions. */
  readonly knex: Knex;
  /**
   * Work nobody waits on: scheduled syncs and pushes (the ingest store), the search indexer,
   * retention, the case watcher. On a PostgreSQL server its own small pool, so a wave of syncs
   * cannot take the connections requests need; on PGlite, which has one connection, the same
   * knex as `knex` (interactive() puts requests first there).
   */
  readonly background: Knex;
  /** Connections `background` may open: its pool's max on a PostgreSQL server; null on PGlite, whose one connection everything shares. */
  readonly backgroundPoolMax: number | null;
  /**
   * Runs fn as work a person is waiting for (a GraphQL request). On PGlite, whose one connection
   * the background jobs share, its statements go first (src/store/pgliteClient.ts); on a
   * PostgreSQL server, with a pool of connections, it just runs fn.
   */
  interactive<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const DATE_OID = 1082;

// Both drivers must hand the data layer the same JS types: bigint ids as strings (JS numbers
// lose precision past 2^53), numeric as strings, and dates (no time zone) as 'YYYY-MM-DD'.
pg.types.setTypeParser(INT8_OID, (v) => v);
pg.types.setTypeParser(NUMERIC_OID, (v) => v);
pg.types.setTypeParser(DATE_OID, (v) => v);
const pgliteParsers = {
  [INT8_OID]: (v: string) => v,
  [NUMERIC_OID]: (v: string) => v,
  [DATE_OID]: (v: string) => v,
};

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const pool = (applicationName: string, max: number) => knexFactory({
      client: 'pg',
      // A server that is down or restarting fails a query within seconds (then the caller gets
      // SERVICE_UNAVAILABLE) instead of queueing it for knex's default minute.
      connection: { connectionString: target.url, application_name: applicationName, connectionTimeoutMillis: 5_000 },
      pool: { min: 0, max },
      acquireConnectionTimeout: 10_000,
    });
    const knex = pool(APPLICATION_NAME.requests, target.poolMax);
    const backgroundPoolMax = target.backgroundPoolMax ?? DEFAULT_BACKGROUND_POOL_MAX;
    const background = pool(APPLICATION_NAME.background, backgroundPoolMax);
    return {
      kind: 'postgres',
      knex,
      background,
      backgroundPoolMax,
      interactive: (fn) => fn(),
      close: async () => {
        await Promise.all([knex.destroy(), background.destroy()]);
      },
    };
  }
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(target.dataDir ? { dataDir: target.dataDir } : {}),
    ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
    extensions: { pg_trgm },
    parsers: pgliteParsers,
  });
  const scheduler = new ConnectionScheduler();
  const knex = knexFactory({
    // knex-pglite's typings predate knex 3's Client type; the class is a knex Client.
    client: scheduledPgLiteClient(scheduler),
    connection: () => ({ pglite }) as unknown as Knex.ConnectionConfig,
  });
  // On disk is the hub's store; one in memory lives for a test or a bench, whose statement counts it would disturb.
  const statistics = target.dataDir ? keepStatistics(knex) : { stop: async () => {} };
  return {
    kind: 'pglite',
    knex,
    background: knex,
    backgroundPoolMax: null,
    interactive: (fn) => scheduler.interactive(fn),
    close: async () => {
      await statistics.stop();
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** When PGlite's tables are analyzed: after the first sync has had time to fill them, then now and then. */
const FIRST_ANALYZE_MS = 60_000;
const ANALYZE_EVERY_MS = 15 * 60_000;

/**
 * PGlite runs one backend and no autovacuum, so nothing ever collects planner statistics
 * (autoanalyze is autovacuum's job): every plan is made from default estimates. This analyzes
 * each table now and then, one table a statement, as background work, so a search waits at most
 * for one table's ANALYZE (search.doc, the largest, took ~0.4 s at `small` scale).
 */
function keepStatistics(knex: Knex): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = analyzeAllTables(knex, () => stopped).then(() => undefined, () => {
      // Statistics only make plans better; a table dropped meanwhile or a closing store is no error.
    });
  };
  const first = setTimeout(run, FIRST_ANALYZE_MS).unref();
  const every = setInterval(run, ANALYZE_EVERY_MS).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}

/** ANALYZE of every table outside the system schemas, one statement each. */
export async function analyzeAllTables(knex: Knex, stopped: () => boolean = () => false): Promise<number> {
  const { rows: tables } = await knex.raw<{ rows: Array<{ t: string }> }>(`select format('%I.%I', schemaname, tablename) as t from pg_tables
    where schemaname not in ('pg_catalog', 'information_schema') order by 1`);
  let done = 0;
  for (const { t } of tables) {
    if (stopped()) break;
    await knex.raw(`analyze ${t}`);
    done++;
  }
  return done;
}

export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function rollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource }, true);
}

export async function ping(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}

/**
 * SQLSTATE classes and driver errors that mean the database is not answering (down, restarting,
 * unreachable, out of connections), not that the statement is wrong: retrying later may work.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = /Connection terminated|Timeout acquiring a connection|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  // Followed through causes, GraphQL's wrapping (originalError) and graphql-js's NonErrorThrown (thrownValue).
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 10) {
    const e = pending.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const o = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; thrownValue?: unknown; errors?: unknown };
    const code = o.code === undefined ? '' : String(o.code);
    if (UNAVAILABLE_CODES.has(code) || /^08/.test(code)) return true;
    if (o.name === 'KnexTimeoutError' || (typeof o.message === 'string' && UNAVAILABLE_MESSAGES.test(o.message))) return true;
    pending.push(o.cause, o.originalError, o.thrownValue, ...(Array.isArray(o.errors) ? (o.errors as unknown[]) : []));
  }
  return false;
}
