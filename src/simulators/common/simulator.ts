/**
 * What every department simulator looks like from outside: started on the generator's output,
 * it serves its department's records in that department's own protocol and can be told to
 * change records, go down, answer slowly or send malformed records.
 */
import type { FaultState } from './faults.js';

export interface SimulatorOptions {
  /** The generator's output directory (the one with manifest.json and departments/). */
  dataDir: string;
  host?: string;
  /** 0 or absent: any free port. */
  port?: number;
  /** Seeds the simulator's own randomness (which records change, which come out malformed). */
  seed?: number;
  /** Where a simulator that pushes (police 110 incidents) sends its webhooks. */
  webhookUrl?: string;
  /** How often a pushing simulator sends a new live record (ms); 0: only when asked (tests that count rows). */
  incidentIntervalMs?: number;
  /** A scratch directory the simulator may write to (housing drops its dumps here). */
  workDir?: string;
  /** The court's database: a PostgreSQL URL; absent: an embedded PGlite served on `port`. */
  databaseUrl?: string;
}

export interface RunningSimulator {
  department: string;
  /** Where the source is: a base URL, a folder or a database URL (without its password). */
  endpoint: string;
  /** The config for this department's connector, pointing at this simulator. */
  connectorConfig: Record<string, unknown>;
  faults: FaultState;
  /** Changes `count` records now (new update times); returns how many changed. */
  change(count: number): Promise<number>;
  stop(): Promise<void>;
}

export type SimulatorFactory = (options: SimulatorOptions) => Promise<RunningSimulator>;
