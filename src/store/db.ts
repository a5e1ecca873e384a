import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { migrationSource } from '../migrations/index.js';
import { ConnectionScheduler, scheduledPgLiteClient } from './pgliteClient.js';

/** Where the canonical store lives: an embedded PGlite (a directory, or memory) or a PostgreSQL server. */
export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string; poolMax: number };

export interface Database {
  readonly kind: DatabaseTarget['kind'];
  readonly knex: Knex;
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
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: target.url, application_name: 'liandong' },
      pool: { min: 0, max: target.poolMax },
    });
    return { kind: 'postgres', knex, interactive: (fn) => fn(), close: () => knex.destroy() };
  }
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(target.dataDir ? { dataDir: target.dataDir } : {}),
    extensions: { pg_trgm },
    parsers: pgliteParsers,
  });
  const scheduler = new ConnectionScheduler();
  const knex = knexFactory({
    // knex-pglite's typings predate knex 3's Client type; the class is a knex Client.
    client: scheduledPgLiteClient(scheduler),
    connection: () => ({ pglite }) as unknown as Knex.ConnectionConfig,
  });
  return {
    kind: 'pglite',
    knex,
    interactive: (fn) => scheduler.interactive(fn),
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
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
