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
import { createTestDatabase } from '../../tools/servers/postgres.js';

export type TestDatabaseKind = 'pglite' | 'postgres';

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

async function openUnmigrated(kind: TestDatabaseKind): Promise<Database> {
  if (kind === 'pglite') return openDatabase({ kind: 'pglite', dataDir: null });
  const serverUrl = postgresServerUrl();
  if (!serverUrl) throw new Error('LIANDONG_TEST_DATABASE_URL is not set (see tests/support/globalSetup.ts)');
  const testDb = await createTestDatabase(serverUrl);
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
      const open = async (): Promise<Database> => {
        const db = await openTestDatabase(kind);
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
      fn({ kind, open });
      // Registered after the suite's own hooks so it runs after them (afterAll hooks run in
      // declaration order): a suite's afterAll may still use its database, e.g. to stop a server.
      afterAll(async () => {
        await Promise.all([...stillOpen].map((db) => db.close()));
      });
    });
  }
}
