#!/usr/bin/env node
/**
 * The seven simulated department systems in a process of their own, as the sync benchmark
 * needs them: the sources should not share the hub's event loop and CPU accounting. Prints
 * one JSON line, { configs: { <department>: <connector config> }, pid }, then serves until
 * SIGTERM; on exit prints its peak RSS to stderr.
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
const sims = await startSimulators({ dataDir, host: '127.0.0.1', ...(work ? { workDir: work } : {}) });
process.stdout.write(`${JSON.stringify({ pid: process.pid, configs: Object.fromEntries(sims.map((s) => [s.department, s.connectorConfig])) })}\n`);
const stop = async () => {
  await Promise.allSettled(sims.map((s) => s.stop()));
  process.stderr.write(`${JSON.stringify({ simulatorsMaxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
