/** A generated world for connector and sync tests: `tiny` (~1,000 people) unless asked otherwise, one per seed and scale per test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncGeneratedWorld } from '../../src/cli/departments.js';
import { generateWorld, type GenerateOptions, type ScaleName } from '../../src/world/index.js';
import type { Database } from '../../src/store/db.js';
import { createLogger } from '../../src/observability/logger.js';

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
  const { cases } = await syncGeneratedWorld(db, dir, { log: createLogger('silent'), ...options });
  return { dir, cases };
}
