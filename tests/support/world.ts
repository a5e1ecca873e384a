/** A generated world for connector and sync tests: `tiny` (~1,000 people) unless asked otherwise, one per seed and scale per test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld, readGridRegistry, type GenerateOptions, type ScaleName } from '../../src/world/index.js';
import type { Database } from '../../src/store/db.js';
import { createIngestStore } from '../../src/store/ingest/index.js';
import { startSimulators } from '../../src/simulators/index.js';
import { configuredConnectors, syncAll } from '../../src/sync/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { InProcessBus } from '../../src/events/bus.js';
import { takeInWorldCases } from '../../src/cli/worldCases.js';

const made = new Map<string, Promise<string>>();
const dirs: string[] = [];

/** `variant` adds generator options (a noise preset) under a name that keeps its world apart from the default one. */
export function testWorld(scale: ScaleName = 'tiny', seed = 7, variant?: { name: string; options: Partial<Omit<GenerateOptions, 'scale' | 'seed' | 'outDir'>> }): Promise<string> {
  const key = `${scale}:${seed}:${variant?.name ?? ''}`;
  let dir = made.get(key);
  if (!dir) {
    const out = mkdtempSync(join(tmpdir(), `liandong-world-${scale}-`));
    dirs.push(out);
    dir = generateWorld({ ...variant?.options, scale, seed, outDir: join(out, 'world'), overwrite: true }).then(() => join(out, 'world'));
    made.set(key, dir);
  }
  return dir;
}

/** Removes every world this test file generated; call from afterAll. */
export function removeTestWorlds(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  made.clear();
}

/** What `syncTestWorld` put into a store. */
export interface SyncedWorld {
  /** The generated world's directory (its world/ and truth/ files say what each entity is). */
  dir: string;
  cases: number;
}

/**
 * A store as `npm start` leaves it, on a test world: the grid registry imported, the seven
 * simulated departments synced through their connectors, and the world's case history taken in
 * through the case commands. Call once per test file, in beforeAll (a tiny sync takes seconds).
 */
export async function syncTestWorld(db: Database, options: { scale?: ScaleName; seed?: number; cases?: boolean } = {}): Promise<SyncedWorld> {
  return syncWorld(db, await testWorld(options.scale ?? 'tiny', options.seed ?? 7), options);
}

/** syncTestWorld on a world already generated in `dir`. */
export async function syncWorld(db: Database, dir: string, options: { cases?: boolean } = {}): Promise<SyncedWorld> {
  const log = createLogger('silent');
  const store = createIngestStore(db);
  await store.importGridRegistry(await readGridRegistry(dir));
  // No timed 110 pushes: the store should hold what the files say, nothing more.
  const sims = await startSimulators({ dataDir: dir, host: '127.0.0.1', seed: 3, incidentIntervalMs: 0 });
  try {
    const summaries = await syncAll(store, configuredConnectors(Object.fromEntries(sims.map((s) => [s.department, s.connectorConfig]))), { log, backoffMs: 5, maxBackoffMs: 50 });
    const failed = summaries.filter((s) => !s.ok);
    if (failed.length) throw new Error(`the test world did not sync: ${failed.map((s) => `${s.department}: ${String(s.error)}`).join('; ')}`);
  } finally {
    await Promise.allSettled(sims.map((s) => s.stop()));
  }
  const cases = options.cases === false ? 0 : (await takeInWorldCases(db.knex, new InProcessBus(), dir)).cases;
  return { dir, cases };
}
