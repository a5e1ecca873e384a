/**
 * The one place integration suites get their databases from, so every suite runs against both
 * stores the product supports: embedded PGlite and a real PostgreSQL server.
 *
 *   describeEachDatabase('case repository', ({ kind, open }) => {
 *     let db: Database;
 *     beforeEach(async () => { db = await open(); });
 *     afterEach(() => db.close());
 *     ...
 *   });
 *
 * The [postgres] variant needs LIANDONG_TEST_DATABASE_URL, which tests/support/globalSetup.ts sets
 * (a throwaway server) unless the developer already points it at one; without it the variant is
 * skipped (describe.skip), and CI (.ci/run) fails the run on any skipped [postgres] test.
 */
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import type { SyncedWorld } from './world.js';
import { createWorldDatabase, openWorldPglite, type WorldChoice } from './worldTemplate.js';

export type TestDatabaseKind = 'pglite' | 'postgres';

/** For a beforeAll that opens a world: the first suite of a run to ask syncs the world the others copy, far longer on a busy 2-core machine. */
export const WORLD_SETUP_TIMEOUT_MS = 300_000;

export interface TestDatabaseInfo {
  kind: TestDatabaseKind;
  /** Appended to suite titles: '[pglite]' | '[postgres]'. */
  label: string;
  /** false when the kind can't run here (no PostgreSQL server url). */
  available: boolean;
}

export interface DatabaseContext {
  kind: TestDatabaseKind;
  /**
   * A fresh, migrated, empty database of this kind. Close it when done; close() on a
   * [postgres] one also drops its database. Any left open are closed after the describe block.
   */
  open(): Promise<Database>;
  /**
   * A fresh database as `npm start` leaves it, on the run's tiny world or the one named (synced
   * once per run and copied, so it costs about what open() does). Closed like open()'s.
   */
  openWorld(world?: WorldChoice): Promise<{ db: Database; world: SyncedWorld }>;
}

function postgresServerUrl(): string | undefined {
  return process.env.LIANDONG_TEST_DATABASE_URL || undefined;
}

export function testDatabases(): TestDatabaseInfo[] {
  return [
    { kind: 'pglite', label: '[pglite]', available: true },
    { kind: 'postgres', label: '[postgres]', available: postgresServerUrl() !== undefined },
  ];
}

/** A database on the server, dropped when closed: a new empty one, or (`fill`) one made some other way. */
async function openOnServer(fill?: (serverUrl: string) => Promise<TestDatabase>): Promise<Database> {
  const serverUrl = postgresServerUrl();
  if (!serverUrl) throw new Error('LIANDONG_TEST_DATABASE_URL is not set (see tests/support/globalSetup.ts)');
  const testDb = await (fill ?? createTestDatabase)(serverUrl);
  let db: Database;
  try {
    db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 10 });
  } catch (error) {
    await testDb.drop();
    throw error;
  }
  return {
    kind: db.kind,
    knex: db.knex,
    background: db.background,
    backgroundPoolMax: db.backgroundPoolMax,
    interactive: (fn) => db.interactive(fn),
    async close() {
      try {
        await db.close();
      } finally {
        await testDb.drop();
      }
    },
  };
}

async function openUnmigrated(kind: TestDatabaseKind): Promise<Database> {
  if (kind === 'pglite') return openDatabase({ kind: 'pglite', dataDir: null });
  return openOnServer();
}

/** A database of the given kind holding the run's synced tiny world, or the one named (tests/support/worldTemplate.ts). */
export async function openTestWorld(kind: TestDatabaseKind, choice?: WorldChoice): Promise<{ db: Database; world: SyncedWorld }> {
  if (kind === 'pglite') return openWorldPglite(choice);
  let world: SyncedWorld | undefined;
  const db = await openOnServer(async (serverUrl) => {
    const made = await createWorldDatabase(serverUrl, choice);
    world = made.world;
    return made.testDb;
  });
  return { db, world: world! };
}

/** A fresh migrated database of the given kind (for suites that can't use describeEachDatabase). */
export async function openTestDatabase(kind: TestDatabaseKind): Promise<Database> {
  const db = await openUnmigrated(kind);
  try {
    await migrateToLatest(db.knex);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** describe(`${title} [pglite]`) and describe(`${title} [postgres]`), each with its own open(). */
export function describeEachDatabase(title: string, fn: (ctx: DatabaseContext) => void): void {
  for (const { kind, label, available } of testDatabases()) {
    const describeFn = available ? describe : describe.skip;
    describeFn(`${title} ${label}`, () => {
      const stillOpen = new Set<Database>();
      const track = (db: Database): Database => {
        let closed: Promise<void> | undefined;
        const tracked: Database = {
          kind: db.kind,
          knex: db.knex,
          background: db.background,
          backgroundPoolMax: db.backgroundPoolMax,
          interactive: (fn) => db.interactive(fn),
          close: () => {
            stillOpen.delete(tracked);
            closed ??= db.close();
            return closed;
          },
        };
        stillOpen.add(tracked);
        return tracked;
      };
      const open = async () => track(await openTestDatabase(kind));
      const openWorld = async (choice?: WorldChoice) => {
        const { db, world } = await openTestWorld(kind, choice);
        return { db: track(db), world };
      };
      fn({ kind, open, openWorld });
      // Registered after the suite's own hooks so it runs after them (afterAll hooks run in
      // declaration order): a suite's afterAll may still use its database, e.g. to stop a server.
      afterAll(async () => {
        await Promise.all([...stillOpen].map((db) => db.close()));
      });
    });
  }
}
