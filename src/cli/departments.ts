/**
 * Bringing the departments up for `start` and `sync`: either the real systems named in the
 * connectors file, or the seven simulated systems serving a generated district (generated on
 * first use), with the hub's grid registry imported from the same directory.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { startSimulators, type RunningSimulator } from '../simulators/index.js';
import { configuredConnectors, readConnectorConfigs, syncAll, type ConfiguredConnector } from '../sync/index.js';
import type { Database } from '../store/db.js';
import { createIngestStore, type IngestStore } from '../store/ingest/index.js';
import { InProcessBus } from '../events/bus.js';
import { generateWorld, readGridRegistry } from '../world/index.js';
import { takeInWorldCases } from './worldCases.js';

export interface Departments {
  connectors: ConfiguredConnector[];
  simulators: RunningSimulator[];
  /** The generated district the simulators serve, when they run: its case history is the demo's. */
  world: string | null;
  stop(): Promise<void>;
}

export interface DepartmentsOptions {
  config: Config;
  log: Logger;
  store: IngestStore;
  /** Only these connectors. */
  only?: string[];
  /** Where the police simulator pushes live 110 incidents (the hub's /webhooks/police). */
  webhookUrl?: string;
  /** Start simulators even when a connectors file is configured. */
  simulate?: boolean;
}

/** The generated district to simulate: WORLD_DIR, else DATA_DIR/world-<scale>-<seed>, generated when missing. */
export async function ensureWorld(config: Config, log: Logger): Promise<string> {
  const dir = resolve(config.WORLD_DIR ?? join(config.DATA_DIR, `world-${config.WORLD_SCALE}-${config.WORLD_SEED}`));
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  log.info({ dir, scale: config.WORLD_SCALE, seed: config.WORLD_SEED }, 'generating the synthetic district the simulated departments serve');
  const manifest = await generateWorld({ scale: config.WORLD_SCALE, seed: config.WORLD_SEED, outDir: dir, overwrite: true });
  log.info({ dir, people: manifest.entities.people, ms: manifest.timing.generateMs }, 'synthetic district generated');
  return dir;
}

export async function startDepartments(options: DepartmentsOptions): Promise<Departments> {
  const { config, log, store } = options;
  const only = options.only?.length ? options.only : undefined;
  const simulate = options.simulate ?? config.SIMULATE ?? !config.CONNECTORS_FILE;
  let simulators: RunningSimulator[] = [];
  let configs: Record<string, unknown> = {};
  let registryDir = config.GRID_REGISTRY_DIR;
  let world: string | null = null;
  if (simulate) {
    world = await ensureWorld(config, log);
    registryDir ??= world;
    simulators = await startSimulators({
      dataDir: world, host: '127.0.0.1', workDir: join(resolve(config.DATA_DIR), 'simulators'),
      ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
      ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
    }, only);
    for (const s of simulators) {
      configs[s.department] = s.connectorConfig;
      log.info({ department: s.department, endpoint: s.endpoint }, 'simulated department system started');
    }
  }
  if (config.CONNECTORS_FILE) configs = { ...configs, ...readConnectorConfigs(config.CONNECTORS_FILE) };
  if (registryDir) {
    const counts = await store.importGridRegistry(await readGridRegistry(registryDir));
    log.info({ from: registryDir, ...counts }, 'grid registry imported');
  }
  return {
    connectors: configuredConnectors(configs, only),
    simulators,
    world,
    stop: async () => {
      await Promise.allSettled(simulators.map((s) => s.stop()));
    },
  };
}

/**
 * A store as `npm start` leaves it on the generated district in `worldDir`, with no hub running:
 * the grid registry imported, the seven simulated departments synced once through their
 * connectors, and the world's case history taken in through the case commands. The bench and the
 * tests prepare their stores with it, so their data is the demo's, made by the same path.
 */
export async function syncGeneratedWorld(db: Database, worldDir: string, options: { log: Logger; cases?: boolean }): Promise<{ cases: number }> {
  const store = createIngestStore(db);
  await store.importGridRegistry(await readGridRegistry(worldDir));
  // No timed 110 pushes: the store should hold what the files say, nothing more.
  const sims = await startSimulators({ dataDir: worldDir, host: '127.0.0.1', seed: 3, incidentIntervalMs: 0 });
  try {
    const summaries = await syncAll(store, configuredConnectors(Object.fromEntries(sims.map((s) => [s.department, s.connectorConfig]))), { log: options.log, backoffMs: 5, maxBackoffMs: 50 });
    const failed = summaries.filter((s) => !s.ok);
    if (failed.length) throw new Error(`the generated district in ${worldDir} did not sync: ${failed.map((s) => `${s.department}: ${String(s.error)}`).join('; ')}`);
  } finally {
    await Promise.allSettled(sims.map((s) => s.stop()));
  }
  if (options.cases === false) return { cases: 0 };
  return { cases: (await takeInWorldCases(db.knex, new InProcessBus(), worldDir)).cases };
}
