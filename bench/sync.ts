/**
 * The department sync benchmark: a generated district (`district`: 3,000,000 people), its seven
 * simulated department systems in a process of their own, and `liandong sync` in another,
 * writing into a fresh database on a throwaway PostgreSQL server. Reports records per second
 * per stream and end to end, and the peak memory of the sync and of the simulators.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ScaleName } from '../src/world/index.js';
import type { SyncSummary } from '../src/sync/index.js';
import { createTestDatabase } from '../tools/servers/postgres.js';
import { track } from './lib/cleanup.js';
import type { Machine } from './lib/report.js';
import type { BenchContext } from './lib/targets.js';
import { benchWorld, type WorldVariant } from './lib/world.js';
import { progress, projectRoot } from './lib/util.js';

export interface SyncBenchResult {
  scale: ScaleName;
  seed: number;
  generateMs: number | null;
  people: number;
  elapsedMs: number;
  syncMaxRssBytes: number;
  simulatorsMaxRssBytes: number | null;
  summaries: SyncSummary[];
  postgres: string;
  /** The generated district the simulators served (its truth/ is what evaluation compares with). */
  worldDir: string;
  /** The synced database (with credentials): it lives until the bench's cleanups, so later sections can use it as their canonical store. */
  databaseUrl: string;
}

/** A compiled script of ours in a child process; an `undefined` in `env` removes the variable. */
export function node(script: string, args: string[], env: Record<string, string | undefined>) {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return spawn(process.execPath, [join(projectRoot(), 'dist', script), ...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface BenchSyncOptions {
  /** Another world than the default noise (e.g. the resolution bench's preset). */
  variant?: WorldVariant;
  /** Extra environment of the `liandong sync` process (e.g. RESOLUTION_MODE). */
  env?: Record<string, string | undefined>;
  /** Prefixes the progress lines, when one bench syncs more than once. */
  label?: string;
}

export async function benchSync(ctx: BenchContext, scale: ScaleName, seed: number, options: BenchSyncOptions = {}): Promise<SyncBenchResult> {
  const world = await benchWorld(scale, seed, options.variant);
  const work = mkdtempSync(join(tmpdir(), 'liandong-bench-sync-'));
  track('sync work directory', async () => rmSync(work, { recursive: true, force: true }));

  progress('sync: starting the seven simulated department systems (housing writes its first GBK dump)');
  const sims = node('bench/simulators.js', ['--data', world.dir, '--work', work], {});
  let simulatorsMaxRssBytes: number | null = null;
  const simExit = new Promise<void>((resolve) => sims.once('exit', () => resolve()));
  createInterface({ input: sims.stderr }).on('line', (line) => {
    try {
      simulatorsMaxRssBytes = (JSON.parse(line) as { simulatorsMaxRssBytes?: number }).simulatorsMaxRssBytes ?? simulatorsMaxRssBytes;
    } catch {
      process.stderr.write(`[simulators] ${line}\n`);
    }
  });
  track('simulators', async () => {
    sims.kill('SIGTERM');
    await simExit;
  });
  const configs = await new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: sims.stdout }).once('line', (line) => resolve((JSON.parse(line) as { configs: Record<string, unknown> }).configs));
    sims.once('exit', (code) => reject(new Error(`the simulators exited (${code}) before starting`)));
  });
  const connectorsFile = join(work, 'connectors.json');
  writeFileSync(connectorsFile, JSON.stringify(configs));

  const server = await ctx.postgresServer();
  const db = await createTestDatabase(server.url);
  track(`database ${db.name}`, () => db.drop());

  progress(`${options.label ?? 'sync'}: running \`liandong sync\` into PostgreSQL`);
  const sync = node('src/cli/main.js', ['sync', '--no-progress', '--json'], {
    DATABASE_URL: db.url, CONNECTORS_FILE: connectorsFile, GRID_REGISTRY_DIR: world.dir, SIMULATE: 'false', LOG_LEVEL: 'warn', DATA_DIR: work,
    ...options.env,
  });
  let json = '';
  sync.stdout.on('data', (chunk: Buffer) => (json += chunk.toString('utf8')));
  createInterface({ input: sync.stderr }).on('line', (line) => process.stderr.write(`[sync] ${line}\n`));
  const code = await new Promise<number | null>((resolve) => sync.once('exit', resolve));
  if (code !== 0 && !json.trim()) throw new Error(`liandong sync exited with ${code}`);
  const out = JSON.parse(json.trim().split('\n').at(-1) ?? '{}') as { elapsedMs: number; maxRssBytes: number; summaries: SyncSummary[] };

  sims.kill('SIGTERM');
  await simExit;
  return {
    scale, seed, generateMs: world.generateMs, people: world.people, elapsedMs: out.elapsedMs, syncMaxRssBytes: out.maxRssBytes,
    simulatorsMaxRssBytes, summaries: out.summaries, postgres: server.url.replace(/\/\/[^@]*@/, '//'), worldDir: world.dir, databaseUrl: db.url,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number | null) => (bytes === null ? 'n/a' : `${fmt(bytes / 2 ** 20)} MiB`);

export function renderSyncSection(r: SyncBenchResult, machine: Machine, date: string): string {
  const streams = r.summaries.flatMap((s) => s.streams.map((t) => ({ department: s.department, ...t })));
  const read = streams.reduce((a, t) => a + t.read, 0);
  const dead = streams.reduce((a, t) => a + t.deadLettered, 0);
  const failed = r.summaries.filter((s) => !s.ok);
  const rows = streams.map((t) =>
    `| ${t.department}/${t.stream} | ${fmt(t.read)} | ${fmt(t.deadLettered)} | ${fmt(t.unlinked)} | ${(t.ms / 1000).toFixed(1)} | ${fmt(t.read / Math.max(0.001, t.ms / 1000))} |`);
  return [
    '## Department sync at district scale',
    '',
    `${date} · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB · ${machine.os} · Node ${machine.node} · \`npm run bench -- --sync-scale ${r.scale}\``,
    '',
    `The \`${r.scale}\` district (seed ${r.seed}, ${fmt(r.people)} people${r.generateMs === null ? '' : `, generated in ${(r.generateMs / 1000).toFixed(0)} s`}) served by the seven simulated department systems in one process, read by \`liandong sync\` in another into an empty database on a local PostgreSQL server (${r.postgres.split('@').pop()}). Streams run one after another, in the registry's order.`,
    '',
    `**End to end: ${fmt(read)} records in ${(r.elapsedMs / 1000).toFixed(1)} s = ${fmt(read / (r.elapsedMs / 1000))} records/s**, ${fmt(dead)} dead-lettered; peak RSS ${mib(r.syncMaxRssBytes)} (sync) and ${mib(r.simulatorsMaxRssBytes)} (the seven simulators).${failed.length ? ` FAILED: ${failed.map((s) => `${s.department}: ${s.error ?? s.streams.find((t) => t.error)?.error ?? ''}`).join('; ')}` : ''}`,
    '',
    '| stream | records | dead-lettered | unlinked | seconds | records/s |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Per stream, the rate includes reading from the simulated source (HTTP, GBK CSV files, XML, the court\'s SQL database), mapping, linking and writing. The enterprise stream is paced by its source\'s rate limit (15 requests/s × 1,000 records). The PostgreSQL server is the test harness\'s (fsync off, synchronous_commit off).',
  ].join('\n');
}
