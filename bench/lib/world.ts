/**
 * The bench's data: the generated districts (cached under .liandong/bench), and stores synced
 * from them as `npm start` leaves its own, so every API bench serves what a newcomer sees.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncGeneratedWorld } from '../../src/cli/departments.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Database } from '../../src/store/db.js';
import { generateWorld, type GenerateOptions, type ScaleName } from '../../src/world/index.js';
import { progress, projectRoot } from './util.js';

/** Generator options beyond scale and seed (a noise preset), under a name that keys the cache. */
export interface WorldVariant {
  /** Part of the cache directory's name: worlds with different options never share one. */
  name: string;
  options: Partial<Omit<GenerateOptions, 'scale' | 'seed' | 'outDir'>>;
}

/** The generated district, cached under .liandong/bench so repeated runs skip the ~2 minutes of generation. */
export async function benchWorld(scale: ScaleName, seed: number, variant?: WorldVariant): Promise<{ dir: string; generateMs: number | null; people: number }> {
  const dir = join(projectRoot(), '.liandong', 'bench', `world-${scale}-${seed}${variant ? `-${variant.name}` : ''}`);
  if (existsSync(join(dir, 'manifest.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { entities: { people: number } };
    progress(`world: using the ${scale} district generated earlier in ${dir}`);
    return { dir, generateMs: null, people: manifest.entities.people };
  }
  progress(`world: generating the ${scale} district (seed ${seed}) into ${dir}`);
  mkdirSync(dir, { recursive: true });
  const m = await generateWorld({ ...variant?.options, scale, seed, outDir: dir, overwrite: true, onProgress: (stage, done, total) => {
    if (stage === 'generate' && done % 200 === 0) progress(`world: generating grid ${done}/${total}`);
  } });
  return { dir, generateMs: m.timing.generateMs, people: m.entities.people };
}

/** What `npm start` serves by default (WORLD_SCALE, WORLD_SEED): the profile, peers, policy and live benches' data. */
export const SERVED_WORLD: { scale: ScaleName; seed: number } = { scale: 'small', seed: 20261125 };

/**
 * Syncs the served world into a migrated store (once: a store that has people is left as it is)
 * through the simulated departments and their connectors, and takes its case history in.
 * Returns how many people the store holds.
 */
export async function loadServedWorld(label: string, db: Database): Promise<{ people: number; loaded: boolean }> {
  const count = async () => Number(((await db.knex('person').count({ n: '*' }).first()) as { n: string | number } | undefined)?.n ?? 0);
  const before = await count();
  if (before > 0) return { people: before, loaded: false };
  const world = await benchWorld(SERVED_WORLD.scale, SERVED_WORLD.seed);
  const started = Date.now();
  progress(`${label}: syncing the ${SERVED_WORLD.scale} district (seed ${SERVED_WORLD.seed}) through its seven simulated departments`);
  const { cases } = await syncGeneratedWorld(db, world.dir, { log: createLogger('warn') });
  const people = await count();
  progress(`${label}: ${people} people and ${cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { people, loaded: true };
}
