/** The seven simulated department systems, by department name, in the connectors' sync order. */
import type { RunningSimulator, SimulatorFactory, SimulatorOptions } from './common/simulator.js';
import { startHousingSimulator } from './housing/index.js';
import { startPopulationSimulator } from './population/index.js';
import { startEnterpriseSimulator } from './enterprise/index.js';
import { startPoliceSimulator } from './police/index.js';
import { startSocialSimulator } from './social/index.js';
import { startCourtSimulator } from './court/index.js';
import { startFireSimulator } from './fire/index.js';

export type { RunningSimulator, SimulatorOptions } from './common/simulator.js';

export const SIMULATORS: Readonly<Record<string, SimulatorFactory>> = {
  housing: startHousingSimulator,
  population: startPopulationSimulator,
  enterprise: startEnterpriseSimulator,
  police: startPoliceSimulator,
  social: startSocialSimulator,
  court: startCourtSimulator,
  fire: startFireSimulator,
};

/**
 * Starts the simulators for `departments` (default: all) on one generated district. Options
 * apply to each; ports are picked freely. Stops the ones already started if one fails.
 */
export async function startSimulators(options: SimulatorOptions, departments: string[] = Object.keys(SIMULATORS)): Promise<RunningSimulator[]> {
  const running: RunningSimulator[] = [];
  try {
    for (const d of departments) {
      const factory = SIMULATORS[d];
      if (!factory) throw new Error(`no simulator for department ${JSON.stringify(d)}; known: ${Object.keys(SIMULATORS).join(', ')}`);
      running.push(await factory({ ...options, port: 0 }));
    }
    return running;
  } catch (error) {
    await Promise.allSettled(running.map((s) => s.stop()));
    throw error;
  }
}
