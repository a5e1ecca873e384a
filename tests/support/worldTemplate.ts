/**
 * One synced `tiny` world per jest run (and any other world a suite names), copied into every
 * suite that wants a store as `npm start` leaves it. Syncing the seven departments takes seconds
 * per database; copying a synced one is far cheaper: a PostgreSQL database made `TEMPLATE` the
 * synced one, or a PGlite started from the synced one's `dumpDataDir()` tarball.
 *
 * The first worker to ask makes each piece (the world's files, the PGlite tarball, the PostgreSQL
 * template) under the run's directory, holding a lock (an atomic mkdir); the others wait for its
 * `done.json`. globalSetup names the run's directory (TEST_RUN_DIR_ENV) and globalTeardown removes
 * it and drops the template; a run without globalSetup uses a directory of its own process.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import { generateWorld, type ScaleName } from '../../src/world/index.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import { TEST_RUN_DIR_ENV } from './globalSetup.js';
import { syncWorld, type SyncedWorld } from './world.js';

/** Which generated world: every suite shares tiny seed 7 (syncTestWorld's default); the relevance set wants `small`. */
export interface WorldChoice { scale: ScaleName; seed: number }
const SHARED: WorldChoice = { scale: 'tiny', seed: 7 };
/** A small sync on a busy 2-core machine, with room. */
const WAIT_MS = 15 * 60_000;

let ownRunDir: string | undefined;
function runDir(): string {
  const named = process.env[TEST_RUN_DIR_ENV];
  if (named) return named;
  ownRunDir ??= mkdtempSync(join(tmpdir(), 'liandong-test-run-'));
  return ownRunDir;
}

process.once('exit', () => {
  if (ownRunDir) rmSync(ownRunDir, { recursive: true, force: true });
});

/**
 * The piece `name` of the run: made by `make` in whichever worker takes the lock first, read from
 * its done.json by every other. A failure is written too, so the waiters fail with its message.
 */
async function once<T>(name: string, make: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(runDir(), name);
  const done = join(dir, 'done.json');
  let mine = false;
  try {
    mkdirSync(dir);
    mine = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (mine) {
    let outcome: { value: T } | { error: string };
    try {
      outcome = { value: await make(dir) };
    } catch (error) {
      outcome = { error: error instanceof Error ? error.stack ?? error.message : String(error) };
    }
    writeFileSync(`${done}.tmp`, JSON.stringify(outcome));
    renameSync(`${done}.tmp`, done);
  }
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`the run's ${name} was not made within ${WAIT_MS} ms (see ${dir})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const outcome = JSON.parse(readFileSync(done, 'utf8')) as { value: T } | { error: string };
  if ('error' in outcome) throw new Error(`the run's ${name} could not be made: ${outcome.error}`);
  return outcome.value;
}

const key = (w: WorldChoice) => `${w.scale}-${w.seed}`;

const worldDir = (w: WorldChoice) => once(`world-${key(w)}`, async (dir) => {
  const out = join(dir, 'world');
  await generateWorld({ scale: w.scale, seed: w.seed, outDir: out, overwrite: true });
  return out;
});

interface Template { world: SyncedWorld; tarball?: string; database?: string }

const pgliteTemplate = (w: WorldChoice) => once<Template>(`pglite-${key(w)}`, async (dir) => {
  const dataDir = join(dir, 'data');
  const db = await openDatabase({ kind: 'pglite', dataDir });
  let world: SyncedWorld;
  try {
    await migrateToLatest(db.knex);
    world = await syncWorld(db, await worldDir(w));
  } finally {
    await db.close();
  }
  const pglite = await PGlite.create({ dataDir, extensions: { pg_trgm } });
  try {
    const tarball = join(dir, 'world.tar');
    await writeFile(tarball, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
    return { world, tarball };
  } finally {
    await pglite.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// globalSetup's run directory handle drops the databases named in postgres-*/done.json.
const postgresTemplate = (serverUrl: string, w: WorldChoice) => once<Template>(`postgres-${key(w)}`, async () => {
  const template = await createTestDatabase(serverUrl);
  const db = await openDatabase({ kind: 'postgres', url: template.url, poolMax: 10 });
  try {
    await migrateToLatest(db.knex);
    return { world: await syncWorld(db, await worldDir(w)), database: template.name };
  } finally {
    // A template may have no one connected when it is copied.
    await db.close();
  }
});

/** A fresh PGlite in memory holding the run's synced world. */
export async function openWorldPglite(w: WorldChoice = SHARED): Promise<{ db: Database; world: SyncedWorld }> {
  const { world, tarball } = await pgliteTemplate(w);
  const db = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: new Blob([await readFile(tarball!)]) });
  return { db, world };
}

/** A new database on the server, a copy of the run's synced world; drop it when done. */
export async function createWorldDatabase(serverUrl: string, w: WorldChoice = SHARED): Promise<{ testDb: TestDatabase; world: SyncedWorld }> {
  const { world, database } = await postgresTemplate(serverUrl, w);
  return { testDb: await createTestDatabase(serverUrl, database), world };
}
