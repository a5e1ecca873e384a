/**
 * What the bench measures. A target starts (or just points at) a GraphQL server over the served
 * world (the district `npm start` serves, bench/lib/world.ts) and says how to ask it for one
 * person's profile; the bench does the rest. Adding one is a few lines: see hubTarget and
 * peerTarget.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import { migrateToLatest, openDatabase, type DatabaseTarget } from '../../src/store/db.js';
import { createTestDatabase, startPostgresServer, type PostgresServer } from '../../tools/servers/postgres.js';
import { track } from './cleanup.js';
import { processTree, type CpuGroup } from './cpu.js';
import { listPeople, variablesFor, type PersonRef } from './graphql.js';
import { startHubProcess } from './hubProcess.js';
import type { Workload } from './load.js';
import { progress } from './util.js';
import { loadServedWorld, SERVED_WORLD } from './world.js';

export interface RunningTarget extends Omit<Workload, 'people'> {
  /** The people this target serves, when it can list them (hubs can); peers reuse a hub's list. */
  people?: PersonRef[];
  /** Facts for the report, e.g. "PostgreSQL 15.14, pool max 20". */
  notes: string[];
  /** Processes whose CPU use is worth reporting (the hub, the database server). */
  cpuGroups?: CpuGroup[];
  /** null while healthy; else what went wrong (e.g. the hub process died), checked after a run. */
  failure(): string | null;
  stop(): Promise<void>;
}

export interface Target {
  /** The name in the table and for --only. */
  name: string;
  start(ctx: BenchContext): Promise<RunningTarget>;
}

export interface BenchContext {
  readyTimeoutMs: number;
  /** The throwaway PostgreSQL server, started on first use and stopped when the bench ends. */
  postgresServer(): Promise<PostgresServer>;
  /** A database on that server holding the served world, created on first use and shared. */
  worldPostgresDatabase(): Promise<{ url: string; version: string }>;
}

export function createContext(opts: { readyTimeoutMs: number }): BenchContext {
  let server: Promise<PostgresServer> | undefined;
  let worldDb: Promise<{ url: string; version: string }> | undefined;
  const ctx: BenchContext = {
    readyTimeoutMs: opts.readyTimeoutMs,
    postgresServer() {
      server ??= (async () => {
        progress('starting a throwaway PostgreSQL server');
        // pg_stat_statements: the peers bench counts the SQL statements each request costs.
        const s = await startPostgresServer({ settings: ['shared_preload_libraries=pg_stat_statements'] });
        track('PostgreSQL server', () => s.stop(), () => s.stopSync());
        progress(`PostgreSQL server up at ${s.url}`);
        return s;
      })();
      return server;
    },
    worldPostgresDatabase() {
      worldDb ??= (async () => {
        const s = await ctx.postgresServer();
        const db = await createTestDatabase(s.url);
        track(`database ${db.name}`, () => db.drop());
        const { version } = await prepareWorldStore('postgres', { kind: 'postgres', url: db.url, poolMax: 4 });
        return { url: db.url, version };
      })();
      return worldDb;
    },
  };
  return ctx;
}

/**
 * Migrates a store and syncs the served world into it, here in the bench, so that a hub's start
 * (with SIMULATE=false: no departments of its own) is just a start, and the data can be shared
 * with peers over the same database.
 */
export async function prepareWorldStore(label: string, target: DatabaseTarget): Promise<{ people: number; version: string }> {
  const db = await openDatabase(target);
  try {
    await migrateToLatest(db.knex);
    const { people, loaded } = await loadServedWorld(label, db);
    if (!loaded) progress(`${label}: the ${SERVED_WORLD.scale} district is already there (${people} people)`);
    const row = await db.knex.raw<{ rows: Array<{ server_version: string }> }>('show server_version');
    return { people, version: row.rows[0]?.server_version ?? 'unknown' };
  } finally {
    await db.close();
  }
}

/** Every person of a store, for peers run without a hub to list them. */
export async function storePeople(url: string): Promise<PersonRef[]> {
  const db = await openDatabase({ kind: 'postgres', url, poolMax: 1 });
  try {
    const ids = (await db.knex('person').orderBy('id').pluck('id')) as Array<string | number>;
    return ids.map((id) => ({ globalId: toGlobalId('Person', String(id)), dbId: String(id) }));
  } finally {
    await db.close();
  }
}

/** The postmaster and its backends. */
export function postmasterTree(server: PostgresServer): number[] {
  const pidFile = join(server.dir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return [];
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return pid > 0 ? processTree(pid) : [];
}

function pgliteVersion(): string {
  try {
    const url = new URL(import.meta.resolve('@electric-sql/pglite'));
    // .../node_modules/@electric-sql/pglite/dist/index.js → the package.json two levels up
    for (let dir = new URL('.', url); dir.pathname !== '/'; dir = new URL('..', dir)) {
      try {
        const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@electric-sql/pglite') return pkg.version ?? 'unknown';
      } catch {
        // keep walking up
      }
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

export const BENCH_RATE_LIMIT = 100_000_000;
export const BENCH_PURPOSE = 'benchmark: person-profile load test (npm run bench)';

/** The hub over embedded PGlite or a PostgreSQL server, in a child process as an operator runs it. */
export function hubTarget(store: 'pglite' | 'postgres', query: string): Target {
  return {
    name: store,
    async start(ctx) {
      const workDir = mkdtempSync(join(tmpdir(), `liandong-bench-${store}-`));
      const removeWorkDir = track(`${workDir}`, async () => rmSync(workDir, { recursive: true, force: true }), () => rmSync(workDir, { recursive: true, force: true }));
      const env: Record<string, string> = {
        DATA_DIR: workDir,
        JWT_SECRET: randomBytes(36).toString('base64url'),
        // One token drives all the load: lift the per-token operations-a-minute budget.
        RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT),
      };
      const notes: string[] = [];
      const cpuGroups: CpuGroup[] = [];
      try {
        if (store === 'pglite') {
          // The CLI keeps PGlite's files in DATA_DIR/pgdata.
          const { version } = await prepareWorldStore(store, { kind: 'pglite', dataDir: join(workDir, 'pgdata') });
          notes.push(`PGlite ${pgliteVersion()} (PostgreSQL ${version}), data dir on ${tmpdir()}`);
        } else {
          const db = await ctx.worldPostgresDatabase();
          env.DATABASE_URL = db.url;
          notes.push(`PostgreSQL ${db.version} (throwaway server on 127.0.0.1, fsync off), hub pool max ${process.env.DATABASE_POOL_MAX ?? 20}`);
          const server = await ctx.postgresServer();
          cpuGroups.push({ label: 'PostgreSQL', pids: () => postmasterTree(server) });
        }
        progress(`${store}: starting the hub (node dist/src/cli/main.js start)`);
        const hub = await startHubProcess({ label: store, env, readyTimeoutMs: ctx.readyTimeoutMs });
        progress(`${store}: hub ready at ${hub.url} (pid ${hub.pid})`);
        cpuGroups.unshift({ label: 'hub', pids: () => [hub.pid] });
        // Reading people needs a declared purpose (x-purpose); each read is audited.
        const headers = { authorization: `Bearer ${await hub.token()}`, 'x-purpose': BENCH_PURPOSE };
        const people = await listPeople({ url: hub.url, headers });
        return {
          url: hub.url,
          headers,
          query,
          variables: variablesFor(query),
          people,
          notes,
          cpuGroups,
          failure: () => hub.exitReport(),
          stop: async () => {
            await hub.stop();
            await removeWorkDir();
          },
        };
      } catch (error) {
        await removeWorkDir();
        throw error;
      }
    },
  };
}

/**
 * Another GraphQL server over the same data (e.g. a PostGraphile), already running at `url`.
 * It has its own schema, so it needs its own query; `$id`/`$rowId`/`$dbId` are filled per person.
 */
export function peerTarget(name: string, url: string, query: string, headers: Record<string, string>): Target {
  const variables = variablesFor(query); // fail on a bad query before anything starts
  return {
    name,
    async start() {
      return { url, headers, query, variables, notes: [`peer at ${url}`], failure: () => null, stop: async () => {} };
    },
  };
}
