/**
 * The department commands: sync, simulate, deadletters and connector new.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { migrateToLatest } from '../store/db.js';
import { createIngestStore } from '../store/ingest/index.js';
import { SIMULATORS } from '../simulators/index.js';
import { replayDeadLetters, syncAll, type StreamProgress, type SyncSummary } from '../sync/index.js';
import { createRuntime } from './runtime.js';
import { ensureWorld, startDepartments } from './departments.js';
import { scaffoldConnector } from './scaffold.js';

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

/** One progress bar per stream, counting records (a stream's size is not known before it is read). */
export function progressBars(enabled: boolean): { onProgress: (p: StreamProgress) => void; stop(): void } {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  const multi = new MultiBar({
    format: ' {name} | {read} read | {stored} stored | {changed} changed | {dead} dead-lettered | {rate}/s | {phase}',
    hideCursor: true, clearOnComplete: false, stopOnComplete: false, fps: 5,
  }, Presets.shades_classic);
  const bars = new Map<string, { bar: SingleBar; started: number }>();
  return {
    onProgress(p) {
      const key = `${p.department}/${p.stream}`;
      let entry = bars.get(key);
      if (!entry) {
        entry = { bar: multi.create(0, 0, {}), started: Date.now() };
        bars.set(key, entry);
      }
      const seconds = Math.max(0.001, (Date.now() - entry.started) / 1000);
      const phase = p.phase === 'retrying' ? `retrying in ${Math.round((p.retryInMs ?? 0) / 1000)} s: ${p.error ?? ''}` : p.phase === 'failed' ? `FAILED: ${p.error ?? ''}` : p.phase;
      entry.bar.update(0, {
        name: key.padEnd(34), read: p.read, stored: p.stored, changed: p.changed, dead: p.deadLettered, rate: Math.round(p.read / seconds), phase,
      });
    },
    stop: () => multi.stop(),
  };
}

export function printSummary(summaries: SyncSummary[]): void {
  const lines = ['', 'connector/stream                      read     stored    changed  dead-lettered  unlinked  seconds  status'];
  for (const s of summaries) {
    if (s.error) lines.push(`${s.department.padEnd(34)} ${'FAILED'.padStart(8)}  ${s.error}`);
    for (const t of s.streams) {
      lines.push(`${`${s.department}/${t.stream}`.padEnd(34)} ${String(t.read).padStart(8)} ${String(t.stored).padStart(10)} ${String(t.changed).padStart(10)} ${String(t.deadLettered).padStart(14)} ${String(t.unlinked).padStart(9)} ${(t.ms / 1000).toFixed(1).padStart(8)}  ${t.status}${t.error ? `: ${t.error}` : ''}`);
    }
  }
  const all = summaries.flatMap((s) => s.streams);
  const read = all.reduce((a, t) => a + t.read, 0);
  const balanced = all.every((t) => t.read === t.stored + t.deadLettered);
  lines.push(`total: ${read} read = ${all.reduce((a, t) => a + t.stored, 0)} stored + ${all.reduce((a, t) => a + t.deadLettered, 0)} dead-lettered${balanced ? '' : ' (UNBALANCED: please report)'}`);
  const dead = all.reduce((a, t) => a + t.deadLettered, 0);
  if (dead > 0) lines.push(`see why with: npx liandong deadletters; retry after a fix with: npx liandong deadletters --replay`);
  console.error(lines.join('\n'));
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync')
    .description('Read every configured department connector (or those named) into the store, from each stream\'s saved cursor.')
    .argument('[connector...]', 'connector names (default: all configured)')
    .option('--simulate', 'start the simulated department systems on the generated district (WORLD_DIR / WORLD_SCALE) and sync from them')
    .option('--batch-size <n>', 'records per transaction', positive, 5000)
    .option('--no-progress', 'no progress bars (for logs)')
    .option('--json', 'print the summary as one JSON object on stdout (for scripts and the benchmark)')
    .action(async (names: string[], opts: { simulate?: boolean; batchSize: number; progress: boolean; json?: boolean }) => {
      const rt = createRuntime();
      const db = await rt.openStore();
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort(new Error('interrupted')));
      try {
        await migrateToLatest(db.knex);
        const store = createIngestStore(db, { resolution: rt.resolution });
        const departments = await startDepartments({ config: rt.config, log: rt.log, store, only: names, ...(opts.simulate ? { simulate: true } : {}) });
        if (departments.connectors.length === 0) throw new Error('no connector is configured: set CONNECTORS_FILE, or use --simulate');
        const bars = progressBars(opts.progress && process.stderr.isTTY);
        try {
          const started = Date.now();
          const summaries = await syncAll(store, departments.connectors, {
            log: rt.log, batchSize: opts.batchSize, signal: abort.signal, trigger: 'cli', onProgress: bars.onProgress,
          });
          bars.stop();
          printSummary(summaries);
          if (opts.json) {
            console.log(JSON.stringify({ elapsedMs: Date.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024, summaries }));
          }
          if (summaries.some((s) => !s.ok)) process.exitCode = 1;
        } finally {
          bars.stop();
          await departments.stop();
        }
      } finally {
        await db.close();
      }
    });

  program
    .command('simulate')
    .description('Run one simulated department system on a generated district until interrupted.')
    .argument('<department>', `one of ${Object.keys(SIMULATORS).join(', ')}`)
    .option('--data <dir>', 'the generated district (default: WORLD_DIR, generated when missing)')
    .option('--port <port>', 'port to listen on (0: any free port)', (v) => Number(v), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--webhook <url>', 'police: where to push live 110 incidents (the hub\'s /webhooks/police)')
    .option('--database-url <url>', 'court: a PostgreSQL database for the court\'s tables (default: an embedded PGlite on --port)')
    .option('--seed <n>', 'the simulator\'s own randomness', positive, 1)
    .action(async (department: string, opts: { data?: string; port: number; host: string; webhook?: string; databaseUrl?: string; seed: number }) => {
      const factory = SIMULATORS[department];
      if (!factory) throw new InvalidArgumentError(`unknown department ${JSON.stringify(department)}; known: ${Object.keys(SIMULATORS).join(', ')}`);
      const rt = createRuntime();
      const dataDir = opts.data ?? (await ensureWorld(rt.config, rt.log));
      const sim = await factory({
        dataDir, host: opts.host, port: opts.port, seed: opts.seed,
        ...(opts.webhook ? { webhookUrl: opts.webhook } : {}), ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      });
      console.error(`${department} system simulated at ${sim.endpoint}; POST /_control {"down":true} | {"latencyMs":500} | {"malformedRate":0.01} | {"change":10}`);
      console.error('connector config (put it in the connectors file under the department\'s name):');
      console.log(JSON.stringify({ [department]: sim.connectorConfig }, null, 2));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await sim.stop();
    });

  program
    .command('deadletters')
    .description('List the records departments sent that could not be parsed, mapped or stored, with the reason; --replay retries them.')
    .argument('[connector]', 'only this connector')
    .option('--replay', 'map and store them again (after a connector fix); those that still fail stay, with the new reason')
    .option('--all', 'include resolved ones')
    .option('--json', 'one JSON object per line')
    .option('--limit <n>', 'at most this many', positive, 100)
    .action(async (connector: string | undefined, opts: { replay?: boolean; all?: boolean; json?: boolean; limit: number }) => {
      const rt = createRuntime();
      const db = await rt.openStore();
      try {
        await migrateToLatest(db.knex);
        const store = createIngestStore(db, { resolution: rt.resolution });
        if (opts.replay) {
          const departments = await startDepartments({ config: rt.config, log: rt.log, store, ...(connector ? { only: [connector] } : {}) });
          try {
            for (const c of departments.connectors) {
              const r = await replayDeadLetters(store, c);
              console.log(`${r.department}: ${r.replayed} replayed, ${r.stored} stored, ${r.stillFailing} still failing`);
            }
          } finally {
            await departments.stop();
          }
          return;
        }
        const letters = await store.deadLetters({ ...(connector ? { department: connector } : {}), includeResolved: opts.all ?? false, limit: opts.limit });
        if (opts.json) {
          for (const l of letters) console.log(JSON.stringify(l));
          return;
        }
        if (letters.length === 0) {
          console.error('no dead letters');
          return;
        }
        for (const l of letters) {
          console.log(`#${l.id} ${l.department}/${l.stream} ${l.sourceId ?? '(no id)'} [${l.stage}] ×${l.attempts}${l.resolvedAt ? ' resolved' : ''}\n    reason: ${l.reason}\n    raw: ${l.raw.slice(0, 160)}${l.raw.length > 160 ? '…' : ''}`);
        }
        console.error(`\n${letters.length} shown; retry after a fix with: npx liandong deadletters${connector ? ` ${connector}` : ''} --replay`);
      } finally {
        await db.close();
      }
    });

  const connector = program.command('connector').description('Work on department connectors.');
  connector
    .command('new')
    .description('Scaffold a connector in src/connectors/<name>/ (contract, config, a test) and register it.')
    .argument('<name>', 'the department\'s machine name, lower case (e.g. education)')
    .option('--display-name <text>', 'how GraphQL names the department', '')
    .option('--root <dir>', 'the repository root', '.')
    .option('--no-register', 'do not add the registration line to src/connectors/registry.ts')
    .action((name: string, opts: { displayName: string; root: string; register: boolean }) => {
      const written = scaffoldConnector({ name, displayName: opts.displayName || name, root: opts.root, register: opts.register });
      for (const f of written) console.log(`wrote ${f}`);
      console.error(`\nnext: fill in read() and map() in src/connectors/${name}/index.ts, run its test, then see docs/connectors.md`);
    });
}
