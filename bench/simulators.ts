#!/usr/bin/env node
/**
 * The seven simulated department systems in a process of their own, as the sync benchmark
 * needs them: the sources should not share the hub's event loop and CPU accounting. Prints
 * one JSON line, { configs: { <department>: <connector config> }, pid }, then serves until
 * SIGTERM; on exit prints its peak RSS to stderr.
 *
 * For the soak (bench/soak.ts): --webhook URL has the police simulator push live 110 calls
 * there every --incident-interval ms (its default 5000), and --change-every MS changes
 * --change-count records in every department that often, so scheduled syncs carry changes.
 */
import { startSimulators } from '../src/simulators/index.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const dataDir = arg('--data');
if (!dataDir) {
  process.stderr.write('usage: simulators.js --data DIR [--work DIR]\n');
  process.exit(2);
}
const work = arg('--work');
const webhook = arg('--webhook');
const incidentInterval = arg('--incident-interval');
const changeEvery = Number(arg('--change-every') ?? 0);
const changeCount = Number(arg('--change-count') ?? 5);
const sims = await startSimulators({
  dataDir, host: '127.0.0.1', ...(work ? { workDir: work } : {}), ...(webhook ? { webhookUrl: webhook } : {}),
  ...(incidentInterval ? { incidentIntervalMs: Number(incidentInterval) } : {}),
});
if (changeEvery > 0) {
  setInterval(() => {
    for (const s of sims) {
      s.change(changeCount).catch((error: unknown) => process.stderr.write(`${s.department}: change failed: ${error instanceof Error ? error.message : String(error)}\n`));
    }
  }, changeEvery).unref();
}
process.stdout.write(`${JSON.stringify({ pid: process.pid, configs: Object.fromEntries(sims.map((s) => [s.department, s.connectorConfig])) })}\n`);
const stop = async () => {
  await Promise.allSettled(sims.map((s) => s.stop()));
  process.stderr.write(`${JSON.stringify({ simulatorsMaxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
