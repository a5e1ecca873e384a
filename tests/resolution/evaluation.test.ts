/**
 * Entity resolution against the generator's truth, end to end: a tiny district (seed 7, with the
 * realistic noise preset), its seven simulated department systems,
 * all seven connectors synced in-process into two stores, one keys-only (the baseline) and one
 * with the default (full) resolution, each scored by bench/lib/resolutionEval.ts.
 *
 * The floors below are what full resolution achieves on this world, less a small margin: the
 * default thresholds (src/resolution/types.ts) were chosen against them, and a change that loses
 * precision or recall fails here. The full numbers are in docs/BENCHMARKS.md (npm run bench --
 * --resolution).
 */
import { describeEachDatabase } from '../support/databases.js';
import { removeTestWorlds, testWorld } from '../support/world.js';
import { createLogger } from '../../src/observability/logger.js';
import { createIngestStore, type IngestStoreOptions } from '../../src/store/ingest/index.js';
import { startSimulators, type RunningSimulator } from '../../src/simulators/index.js';
import { configuredConnectors, syncAll, type ConfiguredConnector } from '../../src/sync/index.js';
import { readGridRegistry } from '../../src/world/index.js';
import type { Database } from '../../src/store/db.js';
import {
  evaluate, readPredictions, readTruthItems, realisticNoise, renderSummary, type EntityType, type Evaluation, type Item, type TypeEvaluation,
} from '../../bench/lib/resolutionEval.js';

const REALISTIC = realisticNoise();

// Pairwise precision and recall over pairs of person items (see resolutionEval.ts), on the tiny
// world (seed 7) with the realistic noise preset: keys only 1.000 / 0.838; full resolution
// 1.000 / 0.982.
const PERSON_PRECISION_MIN = 0.999;
const PERSON_RECALL_MIN = 0.975;
// B-cubed recall of the person items that carry usable evidence: keys only 0.929, full 0.994.
const PERSON_USABLE_RECALL_MIN = 0.99;
// B-cubed precision and recall per place and enterprise item: 1.000 / 1.000 for all three.
const BUILDING_PRECISION_MIN = 0.999;
const BUILDING_RECALL_MIN = 0.99;
const DWELLING_PRECISION_MIN = 0.999;
const DWELLING_RECALL_MIN = 0.99;
const ENTERPRISE_PRECISION_MIN = 0.999;
const ENTERPRISE_RECALL_MIN = 0.99;
/** Predicted clusters holding more than one world entity, all types together. */
const FALSE_MERGES_MAX = 0;

const log = createLogger('silent');
const FAST = { log, backoffMs: 5, maxBackoffMs: 50 };
// Today's baseline: links on valid keys only.
const KEYS_ONLY: IngestStoreOptions = { resolution: { mode: 'keys' } };

const typeOf = (e: Evaluation, t: EntityType): TypeEvaluation => {
  const found = e.types.find((x) => x.entityType === t);
  if (!found) throw new Error(`no ${t} items in the evaluation`);
  return found;
};

describeEachDatabase('entity resolution against the truth', ({ open }) => {
  let world: string;
  let sims: RunningSimulator[];
  let connectors: ConfiguredConnector[];
  let items: Item[];
  const stores: Database[] = [];
  let keys: Evaluation;
  let full: Evaluation;

  async function syncedEvaluation(name: string, options: IngestStoreOptions): Promise<Evaluation> {
    const db = await open();
    stores.push(db);
    const store = createIngestStore(db, options);
    await store.importGridRegistry(await readGridRegistry(world));
    const summaries = await syncAll(store, connectors, FAST);
    expect(summaries.map((s) => [s.department, s.ok, s.error])).toEqual(connectors.map((c) => [c.connector.spec.name, true, null]));
    return evaluate(name, items, await readPredictions(db.knex));
  }

  beforeAll(async () => {
    world = await testWorld('tiny', 7, { name: 'realistic', options: REALISTIC });
    items = await readTruthItems(world);
    sims = await startSimulators({ dataDir: world, host: '127.0.0.1', seed: 3, incidentIntervalMs: 0 });
    connectors = configuredConnectors(Object.fromEntries(sims.map((s) => [s.department, s.connectorConfig])));
    keys = await syncedEvaluation('keys only', KEYS_ONLY);
    full = await syncedEvaluation('full resolution', {});
    if (process.env.LIANDONG_PRINT_EVALUATION) process.stdout.write(`\n${renderSummary([keys, full])}\n`);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled((sims ?? []).map((s) => s.stop()));
    await Promise.allSettled(stores.map((db) => db.close()));
    removeTestWorlds();
  });

  test('every record subject and mention of the truth is an item, and the store has a row for nearly all', () => {
    const people = typeOf(full, 'person');
    expect(people.items).toBeGreaterThan(1500);
    // Rows the connectors never map: the location of a fire inspection about an enterprise.
    const missing = full.types.reduce((a, t) => a + t.missing, 0);
    expect(missing / items.length).toBeLessThan(0.02);
  });

  test('people: pairwise precision and recall, and recall where the records carry usable evidence', () => {
    const p = typeOf(full, 'person');
    expect(p.pairwise.precision).toBeGreaterThanOrEqual(PERSON_PRECISION_MIN);
    expect(p.pairwise.recall).toBeGreaterThanOrEqual(PERSON_RECALL_MIN);
    expect(p.usable.recall).toBeGreaterThanOrEqual(PERSON_USABLE_RECALL_MIN);
  });

  test.each([
    ['building', BUILDING_PRECISION_MIN, BUILDING_RECALL_MIN],
    ['dwelling', DWELLING_PRECISION_MIN, DWELLING_RECALL_MIN],
    ['enterprise', ENTERPRISE_PRECISION_MIN, ENTERPRISE_RECALL_MIN],
  ] as const)('%s: B-cubed precision ≥ %s and recall ≥ %s', (type, pMin, rMin) => {
    const t = typeOf(full, type);
    expect(t.bcubed.precision).toBeGreaterThanOrEqual(pMin);
    expect(t.bcubed.recall).toBeGreaterThanOrEqual(rMin);
  });

  test('no more predicted entities mixing two world entities than allowed', () => {
    const count = full.types.reduce((a, t) => a + t.falseMerges.count, 0);
    const examples = full.types.flatMap((t) => t.falseMerges.examples.map((m) => `${t.entityType} ${m.cluster}: ${m.entities.map((e) => `${e.truth} e.g. ${e.example}`).join(', ')}`));
    // Shaped so that a failure lists the merges.
    expect({ count, examples: count > FALSE_MERGES_MAX ? examples : [] }).toEqual({ count: Math.min(count, FALSE_MERGES_MAX), examples: [] });
  });

  test('full resolution finds at least what the keys find, per entity type', () => {
    for (const t of keys.types) {
      const f = typeOf(full, t.entityType);
      expect({ type: t.entityType, atLeastKeys: (f.bcubed.recall ?? 0) >= (t.bcubed.recall ?? 0) - 1e-9 }).toEqual({ type: t.entityType, atLeastKeys: true });
    }
  });
});
