#!/usr/bin/env node
/**
 * npm run bench [-- options]: the person-profile load test against the hub on embedded PGlite,
 * the hub on a throwaway PostgreSQL server, and any peer GraphQL servers given with --peer.
 * Results go to stdout (a markdown table) and to docs/BENCHMARKS.md (this bench's section only).
 *
 *   npm run bench -- --duration 10
 *   npm run bench -- --only postgres --connections 64
 *   npm run bench -- --peer postgraphile=http://127.0.0.1:5000/graphql --peer-query postgraphile=bench/postgraphile.graphql
 *   npm run bench -- --embedded [--embedded-compare ../main]   # search and profile on PGlite vs PostgreSQL, as npm start runs
 *   npm run bench -- --soak 30m [--soak-store pglite]          # steady mixed load, sampled and judged for flatness
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { checkInterrupted, installSignalHandlers, isInterrupted, runCleanups } from './lib/cleanup.js';
import { measureCpu } from './lib/cpu.js';
import type { PersonRef } from './lib/graphql.js';
import { requestBodies, runLoad, totalErrors, verifyWorkload } from './lib/load.js';
import { describeMachine, renderSection, resultsTable, writeSection, type TargetOutcome } from './lib/report.js';
import { createContext, hubTarget, peerTarget, storePeople, type RunningTarget, type Target } from './lib/targets.js';
import { errorMessage, progress, projectRoot } from './lib/util.js';
import { PERSON_PROFILE } from './queries.js';
import { measurePolicyOverhead, renderPolicySection, type PolicyOverheadResult } from './policyOverhead.js';
import { migrateToLatest, openDatabase, type Database } from '../src/store/db.js';
import { loadServedWorld } from './lib/world.js';
import { createTestDatabase } from '../tools/servers/postgres.js';
import { benchSync, renderSyncSection, type SyncBenchResult } from './sync.js';
import { benchSearch, renderSearchSection, type SearchBackendName, type SearchBenchResult } from './search.js';
import type { ScaleName } from '../src/world/index.js';
import { benchSubscribers, renderSubscribersSection, subscribersSectionName, type SubscribersBenchResult } from './subscribers.js';
import { benchPeers, renderPeersSection } from './peers.js';
import { benchResolution, renderResolutionSection, resolutionSectionName, type NoisePreset } from './resolution.js';
import { benchEmbedded, renderEmbeddedSection } from './embedded.js';
import { benchSoak, parseDuration, renderSoakSection } from './soak.js';

/** Policy and audit overhead on each store, measured in-process (bench/policyOverhead.ts). */
async function policyOverhead(ctx: ReturnType<typeof createContext>, rounds: number): Promise<PolicyOverheadResult[]> {
  const results: PolicyOverheadResult[] = [];
  for (const store of ['pglite', 'postgres'] as const) {
    checkInterrupted();
        let db: Database;
    let drop = async () => {};
    if (store === 'pglite') {
      db = await openDatabase({ kind: 'pglite', dataDir: null });
    } else {
      const testDb = await createTestDatabase((await ctx.postgresServer()).url);
      drop = () => testDb.drop();
      db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 10 });
    }
    try {
      await migrateToLatest(db.knex);
      await loadServedWorld(`policy overhead on ${store}`, db);
      progress(`policy overhead on ${store}: measuring`);
      results.push({ store, ...(await measurePolicyOverhead(db.knex, { rounds })) });
    } finally {
      await db.close();
      await drop();
    }
  }
  return results;
}

interface Options {
  duration: number;
  connections: number;
  warmup: number;
  only?: string[];
  peer: string[];
  peerQuery: string[];
  peerHeader: string[];
  readyTimeout: number;
  write: boolean;
  policy: boolean;
  policyRounds: number;
  syncScale: ScaleName | 'none';
  syncSeed: number;
  profile: boolean;
  subscribers: number | false;
  subscriberEvents: number;
  subscriberRate: number;
  subscriberDistinct: number;
  subscriberClients: number;
  baselineEvents: number;
  subscriberPin: string;
  subscriptionsPerSocket: number;
  liveBefore?: string;
  liveHub?: string;
  liveRounds: number;
  searchScale: ScaleName | 'none';
  searchDatabase?: string;
  searchBackends: SearchBackendName[];
  searchClients: number;
  searchSearches: number;
  searchSeconds: number;
  searchPerKind: number;
  esHeap: string;
  resolution: boolean;
  peers: boolean;
  peerRounds: number;
  peerStatementSamples: number;
  resolutionScale: ScaleName;
  resolutionNoise: NoisePreset;
  resolutionSplink: boolean;
  resolutionThreshold: number;
  embedded: boolean;
  embeddedScale: ScaleName;
  embeddedSeconds: number;
  embeddedCompare?: string;
  soak?: number;
  soakStore: 'postgres' | 'pglite';
  soakScale: ScaleName;
  soakSubscribers: number;
}

const positiveInt = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};
const collect = (value: string, previous: string[]) => [...previous, value];

/** --subscriber-pin: where the live hub and its subscriber clients run. */
function subscriberPin(value: string): { hub: string; clients: string } | null {
  if (value === 'none') return null;
  if (value === 'auto') {
    const cores = availableParallelism();
    return cores >= 2 ? { hub: '0', clients: cores === 2 ? '1' : `1-${cores - 1}` } : null;
  }
  const [hub, clients] = value.split(':');
  if (!hub || !clients) throw new InvalidArgumentError('--subscriber-pin takes hub:clients (taskset lists), auto or none');
  return { hub, clients };
}
const HUB_TARGETS = ['pglite', 'postgres'] as const;

const program = new Command('bench')
  .description('Person-profile load test: the hub on PGlite, on PostgreSQL, and peers, with autocannon.')
  .option('--duration <seconds>', 'measured seconds per target', positiveInt('--duration', 1), 20)
  .option('--connections <n>', 'concurrent connections', positiveInt('--connections', 1), 32)
  .option('--warmup <seconds>', 'warm-up seconds per target, not measured', positiveInt('--warmup', 0), 3)
  .option('--only <targets>', `run only these targets, comma-separated: ${HUB_TARGETS.join(', ')} or a peer name`, (v: string) =>
    v.split(',').map((s) => s.trim()).filter(Boolean))
  .option('--peer <name=url>', 'another GraphQL server over the same data; repeatable (needs --peer-query)', collect, [] as string[])
  .option('--peer-query <[name=]file>', "the query text for the peers (or for one peer): declares $id (the hub's global id) or $rowId/$dbId (the database id)", collect, [] as string[])
  .option('--peer-header <header>', 'a request header for the peers, "Name: value"; repeatable', collect, [] as string[])
  .option('--ready-timeout <seconds>', 'how long a hub may take to become ready', positiveInt('--ready-timeout', 1), 60)
  .option('--no-write', 'do not update docs/BENCHMARKS.md')
  .option('--no-policy', 'skip the policy and audit overhead measurement')
  .option('--policy-rounds <n>', 'rounds of each variant in the policy overhead measurement', positiveInt('--policy-rounds', 1), 20)
  .option('--sync-scale <scale>', 'department sync benchmark scale: tiny, small, district, or none', (v: string) => {
    if (!['tiny', 'small', 'district', 'none'].includes(v)) throw new InvalidArgumentError('--sync-scale must be tiny, small, district or none');
    return v;
  }, 'district')
  .option('--sync-seed <n>', 'seed of the generated district for the sync benchmark', positiveInt('--sync-seed', 0), 20261125)
  .option('--no-profile', 'skip the person-profile load test')
  .option('--subscribers <n>', 'live subscribers on one hub instance (bench/subscribers.ts)', positiveInt('--subscribers', 1), 10_000)
  .option('--no-subscribers', 'skip the live subscribers benchmark')
  .option('--subscriber-events <n>', 'case events written during the live subscribers benchmark', positiveInt('--subscriber-events', 1), 60)
  .option('--subscriber-rate <n>', 'case events per second', positiveInt('--subscriber-rate', 1), 1)
  .option('--subscriber-distinct <n>', 'distinct subscription documents the subscribers rotate over', positiveInt('--subscriber-distinct', 1), 10)
  .option('--subscriber-clients <n>', 'client processes holding the subscribers', positiveInt('--subscriber-clients', 1), 2)
  .option('--baseline-events <n>', 'case events for the per-subscriber execution baseline (0: skip it)', positiveInt('--baseline-events', 0), 10)
  .option('--subscriber-pin <hub:clients>', 'processors of the live hub and of the subscriber clients as taskset lists ("0:1"), "auto" (hub on the first, clients on the rest, with 2 or more cores) or "none"', 'auto')
  .option('--subscriptions-per-socket <n>', 'subscriptions each subscriber socket carries (for more subscribers than a process may open sockets)', positiveInt('--subscriptions-per-socket', 1), 1)
  .option('--live-hub <checkout>', 'measure the live hub of this built checkout instead of this one (A/B runs of the whole bench)')
  .option('--live-rounds <n>', 'with --live-before: rounds of before then this hub, in turn', positiveInt('--live-rounds', 1), 1)
  .option('--live-before <checkout>', 'also measure the live hub of this built checkout (its dist/), first, as "before"')
  .option('--search-scale <scale>', 'search benchmark scale: tiny, small, district, or none (the store comes from the sync bench when the scales match, else from a sync of its own)', (v: string) => {
    if (!['tiny', 'small', 'district', 'none'].includes(v)) throw new InvalidArgumentError('--search-scale must be tiny, small, district or none');
    return v;
  }, 'small')
  .option('--search-database <url>', 'index this existing canonical store (a PostgreSQL url) instead of syncing one; its search schema is replaced')
  .option('--search-backends <list>', 'search backends to measure, comma-separated: elasticsearch, postgres', (v: string) => {
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0 || list.some((b) => b !== 'elasticsearch' && b !== 'postgres')) throw new InvalidArgumentError('--search-backends: elasticsearch and/or postgres');
    return list;
  }, ['elasticsearch', 'postgres'])
  .option('--search-clients <n>', 'concurrent clients in the search latency runs', positiveInt('--search-clients', 1), 16)
  .option('--search-searches <n>', 'searches per latency run', positiveInt('--search-searches', 1), 4000)
  .option('--search-seconds <n>', 'at most this many seconds per latency run', positiveInt('--search-seconds', 1), 120)
  .option('--search-per-kind <n>', 'relevance queries per kind (20 kinds)', positiveInt('--search-per-kind', 1), 24)
  .option('--es-heap <size>', 'heap of the benchmark\'s Elasticsearch node (LIANDONG_ES_HEAP wins)', '3g')
  .option('--peers', 'run only the peers benchmark (bench/peers.ts): the hub against PostGraphile 5 on the same database, three queries, alternating rounds (uses --duration, --connections, --warmup)')
  .option('--peer-rounds <n>', 'rounds per side and query in the peers benchmark', positiveInt('--peer-rounds', 1), 2)
  .option('--peer-statement-samples <n>', 'requests sent one at a time per side and query to count SQL statements', positiveInt('--peer-statement-samples', 1), 20)
  .option('--resolution', 'run only the entity resolution benchmark (bench/resolution.ts): keys-only vs full resolution against the truth, and Splink')
  .option('--resolution-scale <scale>', 'entity resolution benchmark scale: tiny, small or district', (v: string) => {
    if (!['tiny', 'small', 'district'].includes(v)) throw new InvalidArgumentError('--resolution-scale must be tiny, small or district');
    return v;
  }, 'small')
  .option('--resolution-noise <preset>', 'noise of the resolution benchmark\'s district: default, or realistic (REALISTIC_NOISE from src/world)', (v: string) => {
    if (v !== 'default' && v !== 'realistic') throw new InvalidArgumentError('--resolution-noise must be default or realistic');
    return v;
  }, 'default')
  .option('--no-resolution-splink', 'skip Splink in the resolution benchmark (no Python venv)')
  .option('--resolution-threshold <p>', 'Splink\'s match probability for clustering', (v: string) => {
    const n = Number(v);
    if (!(n > 0 && n < 1)) throw new InvalidArgumentError('--resolution-threshold must be within (0, 1)');
    return n;
  }, 0.9)
  .option('--embedded', 'run only the embedded-default benchmark (bench/embedded.ts): the hub as npm start runs it, on PGlite and PostgreSQL; search through GraphQL during and after the first sync, and the profile at --connections for --duration s')
  .option('--embedded-scale <scale>', 'the generated district the embedded benchmark\'s simulators serve: tiny, small or district', (v: string) => {
    if (!['tiny', 'small', 'district'].includes(v)) throw new InvalidArgumentError('--embedded-scale must be tiny, small or district');
    return v;
  }, 'small')
  .option('--embedded-seconds <n>', 'seconds of searching after the first sync, per hub', positiveInt('--embedded-seconds', 1), 45)
  .option('--embedded-compare <dir>', 'also run the hubs of another checkout (its dist/), each just before this build\'s: before and after in one run')
  .option('--soak <duration>', 'run only the soak (bench/soak.ts): the hub as liandong start runs it with the simulated departments, 1,000 subscribers and a steady mixed load for this long (30m, 90s, 1h), sampled and judged for flat memory, descriptors, connections and p99, and errors', (v: string) => {
    let s: number;
    try {
      s = parseDuration(v);
    } catch (error) {
      throw new InvalidArgumentError(errorMessage(error));
    }
    if (s < 60) throw new InvalidArgumentError('--soak must be at least 60s');
    return s;
  })
  .option('--soak-store <store>', 'the soak hub\'s store: postgres (a throwaway server) or pglite (the embedded default)', (v: string) => {
    if (v !== 'postgres' && v !== 'pglite') throw new InvalidArgumentError('--soak-store must be postgres or pglite');
    return v;
  }, 'postgres')
  .option('--soak-scale <scale>', 'the generated district of the soak: tiny or small', (v: string) => {
    if (v !== 'tiny' && v !== 'small') throw new InvalidArgumentError('--soak-scale must be tiny or small');
    return v;
  }, 'small')
  .option('--soak-subscribers <n>', 'WebSocket subscribers during the soak', positiveInt('--soak-subscribers', 1), 1000)
  .showHelpAfterError();

function buildTargets(opts: Options): { targets: Target[]; peerQueries: Array<{ name: string; query: string }> } {
  const targets: Target[] = HUB_TARGETS.map((store) => hubTarget(store, PERSON_PROFILE));
  const peerQueries: Array<{ name: string; query: string }> = [];
  const peers = opts.peer.map((spec) => {
    const m = /^([A-Za-z0-9_.-]+)=(https?:\/\/\S+)$/.exec(spec);
    if (!m) throw new InvalidArgumentError(`--peer ${spec}: expected NAME=http(s)://host:port/path`);
    if ((HUB_TARGETS as readonly string[]).includes(m[1]!)) throw new InvalidArgumentError(`--peer ${spec}: ${m[1]} is a built-in target's name`);
    return { name: m[1]!, url: m[2]! };
  });
  let defaultQueryFile: string | undefined;
  const queryFiles = new Map<string, string>();
  for (const spec of opts.peerQuery) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
    if (m && peers.some((p) => p.name === m[1])) queryFiles.set(m[1]!, m[2]!);
    else defaultQueryFile = spec;
  }
  const headers: Record<string, string> = {};
  for (const h of opts.peerHeader) {
    const i = h.indexOf(':');
    if (i <= 0) throw new InvalidArgumentError(`--peer-header ${h}: expected "Name: value"`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  for (const peer of peers) {
    const file = queryFiles.get(peer.name) ?? defaultQueryFile;
    if (!file) {
      progress(`peer ${peer.name}: skipped, no --peer-query gives its query (a peer has its own schema)`);
      continue;
    }
    const query = readFileSync(file, 'utf8');
    try {
      targets.push(peerTarget(peer.name, peer.url, query, headers));
    } catch (error) {
      throw new InvalidArgumentError(`peer ${peer.name}: ${file}: ${errorMessage(error)}`);
    }
    peerQueries.push({ name: peer.name, query });
  }
  if (opts.only) {
    const unknown = opts.only.filter((name) => !targets.some((t) => t.name === name));
    if (unknown.length) throw new InvalidArgumentError(`--only: no target named ${unknown.join(', ')} (have ${targets.map((t) => t.name).join(', ')})`);
    return { targets: targets.filter((t) => opts.only!.includes(t.name)), peerQueries: peerQueries.filter((p) => opts.only!.includes(p.name)) };
  }
  return { targets, peerQueries };
}

/** The command line for the docs, without the values of --peer-header (tokens). */
function redactHeaders(args: string[]): string[] {
  return args.map((arg, i) => {
    const m = /^--peer-header=([^:]*):/.exec(arg);
    if (m) return `--peer-header='${m[1]}: …'`;
    if (args[i - 1] === '--peer-header') return `'${arg.split(':')[0]}: …'`;
    return /[\s'"$]/.test(arg) ? `'${arg.replace(/'/g, `'\\''`)}'` : arg;
  });
}

async function benchTarget(target: Target, running: RunningTarget, people: PersonRef[], opts: Options): Promise<TargetOutcome> {
  const work = { ...running, people };
  progress(`${target.name}: verifying the query on a spread of people`);
  const { bytes } = await verifyWorkload(work);
  const bodies = requestBodies(work);
  checkInterrupted();
  if (opts.warmup > 0) {
    progress(`${target.name}: warming up for ${opts.warmup} s`);
    await runLoad(work, bodies, { connections: opts.connections, durationS: opts.warmup });
    checkInterrupted();
  }
  progress(`${target.name}: measuring for ${opts.duration} s with ${opts.connections} connections over ${people.length} people (~${(bytes / 1024).toFixed(1)} KiB per response)`);
  // A peer's processes aren't ours to know: its CPU shows with everything else's.
  const cpuDone = measureCpu(running.cpuGroups ?? [], running.cpuGroups ? undefined : 'the peer and other processes');
  const result = await runLoad(work, bodies, { connections: opts.connections, durationS: opts.duration });
  const cpu = cpuDone();
  checkInterrupted();
  const died = running.failure();
  if (died) throw new Error(died);
  progress(
    `${target.name}: ${result.reqPerSec.toFixed(1)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${totalErrors(result)} errors` +
      (result.firstProblem ? ` (first: ${result.firstProblem})` : '') +
      (cpu.length ? `; CPU ${cpu.map((c) => `${c.label} ${c.percent.toFixed(0)}%`).join(', ')}` : ''),
  );
  return { name: target.name, result, cpu, notes: running.notes };
}

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<Options>();
  const { targets, peerQueries } = buildTargets(opts);
  if (targets.length === 0) throw new Error('nothing to run');
  installSignalHandlers();

  const ctx = createContext({ readyTimeoutMs: opts.readyTimeout * 1000 });
  const date = new Date().toISOString();
  if (opts.resolution) return resolutionOnly(ctx, opts, date);
  if (opts.peers) return peersOnly(ctx, opts, date);
  if (opts.embedded) return embeddedOnly(ctx, opts, date);
  if (opts.soak !== undefined) return soakOnly(ctx, opts, date);
  const outcomes: TargetOutcome[] = [];
  const policyResults: PolicyOverheadResult[] = [];
  let syncResult: SyncBenchResult | undefined;
  let subscribersResult: SubscribersBenchResult | undefined;
  let searchResult: SearchBenchResult | undefined;
  let people: PersonRef[] | undefined;
  try {
    for (const target of opts.profile ? targets : []) {
      checkInterrupted();
      progress(`${target.name}: starting`);
      let running: RunningTarget | undefined;
      try {
        running = await target.start(ctx);
        checkInterrupted();
        if (running.people) {
          if (people && running.people.length !== people.length) {
            progress(`${target.name}: serves ${running.people.length} people, the first target ${people.length}`);
          }
          people ??= running.people;
        }
        if (!running.people && !people) {
          people = await storePeople((await ctx.worldPostgresDatabase()).url);
          progress(`${target.name}: no hub listed the people in this run; using the ${people.length} person ids of the bench's PostgreSQL store`);
        }
        const mine = running.people ?? people;
        if (!mine?.length) throw new Error('no person ids to rotate over');
        outcomes.push(await benchTarget(target, running, mine, opts));
      } catch (error) {
        if (isInterrupted()) throw error;
        const message = errorMessage(error);
        progress(`${target.name}: FAILED: ${message}`);
        outcomes.push({ name: target.name, failed: message, notes: running?.notes ?? [] });
      } finally {
        if (running) {
          progress(`${target.name}: stopping`);
          await running.stop();
        }
      }
    }
    if (opts.policy) policyResults.push(...(await policyOverhead(ctx, opts.policyRounds)));
    if (opts.syncScale !== 'none') syncResult = await benchSync(ctx, opts.syncScale, opts.syncSeed);
    if (opts.subscribers !== false) {
      subscribersResult = await benchSubscribers(ctx, {
        subscribers: opts.subscribers, events: opts.subscriberEvents, rate: opts.subscriberRate, distinct: opts.subscriberDistinct,
        clientProcesses: opts.subscriberClients, baselineEvents: opts.baselineEvents, pin: subscriberPin(opts.subscriberPin), before: opts.liveBefore ?? null,
        perSocket: opts.subscriptionsPerSocket, hub: opts.liveHub ?? null, rounds: opts.liveRounds,
      });
    }
    if (opts.searchScale !== 'none' || opts.searchDatabase) {
      checkInterrupted();
      let databaseUrl = opts.searchDatabase;
      if (!databaseUrl && syncResult?.scale === opts.searchScale) databaseUrl = syncResult.databaseUrl;
      if (!databaseUrl && opts.searchScale !== 'none') {
        progress(`search: syncing a ${opts.searchScale} district for the search benchmark (not reported as the sync benchmark)`);
        databaseUrl = (await benchSync(ctx, opts.searchScale, opts.syncSeed)).databaseUrl;
      }
      searchResult = await benchSearch({
        databaseUrl: databaseUrl!, scale: opts.searchScale, givenStore: Boolean(opts.searchDatabase), backends: opts.searchBackends, clients: opts.searchClients,
        searches: opts.searchSearches, maxSeconds: opts.searchSeconds, perKind: opts.searchPerKind, esHeap: opts.esHeap,
      });
    }
  } finally {
    await runCleanups();
  }
  checkInterrupted(); // an interrupted run's numbers are not results
  if (policyResults.length) {
    const section = renderPolicySection(policyResults, describeMachine(), date, opts.policyRounds);
    process.stdout.write(`\n${section}\n`);
    if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, 'policy-overhead');
  }

  if (syncResult) {
    const section = renderSyncSection(syncResult, describeMachine(), date);
    process.stdout.write(`\n${section}\n`);
    if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, 'department-sync');
  }
  if (subscribersResult) {
    const section = renderSubscribersSection(subscribersResult, describeMachine(), date);
    process.stdout.write(`\n${section}\n`);
    if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, subscribersSectionName(subscribersResult.options));
  }
  if (searchResult) {
    const args = redactHeaders(process.argv.slice(2)).map((a) => (/^postgres(ql)?:\/\//.test(a) ? '<url>' : a.replace(/^(--search-database=).*/, '$1<url>')));
    const section = renderSearchSection(searchResult, describeMachine(), date, `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`);
    process.stdout.write(`\n${section}\n`);
    const raw = join(tmpdir(), `liandong-bench-search-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(raw, JSON.stringify(searchResult, null, 2));
    progress(`search: raw results in ${raw}`);
    if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, 'search');
  }
  const searchOk = !searchResult || searchResult.backends.every((b) => !b.failed);
  if (!opts.profile) return (!syncResult || syncResult.summaries.every((s) => s.ok)) && searchOk ? 0 : 1;

  const table = resultsTable(outcomes);
  process.stdout.write(`\nPerson profile, ${opts.connections} connections, ${opts.duration} s per target (${date})\n\n${table}\n`);
  const measured = outcomes.filter((o) => o.result).length;
  if (opts.write && measured > 0) {
    const file = join(projectRoot(), 'docs', 'BENCHMARKS.md');
    const args = redactHeaders(process.argv.slice(2));
    writeSection(
      file,
      renderSection({
        machine: describeMachine(),
        date,
        command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
        people: people?.length ?? 0,
        warmupS: opts.warmup,
        outcomes,
        query: PERSON_PROFILE,
        peerQueries,
      }),
    );
    progress(`wrote ${file}`);
  } else if (opts.write) {
    progress('no target produced numbers; docs/BENCHMARKS.md left as it was');
  }
  return measured === outcomes.length && searchOk ? 0 : 1;
}

/** --peers: the hub against PostGraphile on one database, alone. */
async function peersOnly(ctx: ReturnType<typeof createContext>, opts: Options, date: string): Promise<number> {
  let section: string;
  try {
    const result = await benchPeers(ctx, {
      connections: opts.connections, durationS: opts.duration, warmupS: opts.warmup, rounds: opts.peerRounds, statementSamples: opts.peerStatementSamples,
    });
    const args = redactHeaders(process.argv.slice(2));
    section = renderPeersSection(result, describeMachine(), date, `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`);
    const raw = join(tmpdir(), `liandong-bench-peers-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(raw, JSON.stringify(result, null, 2));
    progress(`peers: raw results in ${raw}`);
  } finally {
    await runCleanups();
  }
  checkInterrupted();
  process.stdout.write(`\n${section}\n`);
  if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, 'peers');
  return 0;
}

/** --resolution: the entity resolution benchmark alone (it syncs a district twice; the other benches have their own flags). */
async function resolutionOnly(ctx: ReturnType<typeof createContext>, opts: Options, date: string): Promise<number> {
  let section: string;
  let ok: boolean;
  try {
    const result = await benchResolution(ctx, {
      scale: opts.resolutionScale, seed: opts.syncSeed, noise: opts.resolutionNoise, splink: opts.resolutionSplink, splinkThreshold: opts.resolutionThreshold,
    });
    section = renderResolutionSection(result, describeMachine(), date);
    ok = result.keysSync.ok && result.fullSync.ok;
    const raw = join(tmpdir(), `liandong-bench-resolution-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(raw, JSON.stringify(result, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v), 2));
    progress(`resolution: raw results in ${raw}`);
  } finally {
    await runCleanups();
  }
  checkInterrupted();
  process.stdout.write(`\n${section}\n`);
  if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, resolutionSectionName(opts.resolutionScale, opts.resolutionNoise));
  return ok ? 0 : 1;
}

/** --embedded: the embedded default's bench alone (it starts four hubs with simulators of its own). */
async function embeddedOnly(ctx: ReturnType<typeof createContext>, opts: Options, date: string): Promise<number> {
  let section: string;
  let ok: boolean;
  try {
    const result = await benchEmbedded(ctx, {
      scale: opts.embeddedScale, seed: opts.syncSeed, steadySeconds: opts.embeddedSeconds, profileSeconds: opts.duration, warmupSeconds: opts.warmup,
      connections: opts.connections, ...(opts.embeddedCompare ? { compare: opts.embeddedCompare } : {}),
    });
    const args = redactHeaders(process.argv.slice(2));
    section = renderEmbeddedSection(result, describeMachine(), date, `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`);
    ok = result.runs.every((r) => !r.failed);
    const raw = join(tmpdir(), `liandong-bench-embedded-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(raw, JSON.stringify(result, null, 2));
    progress(`embedded: raw results in ${raw}`);
  } finally {
    await runCleanups();
  }
  checkInterrupted();
  process.stdout.write(`\n${section}\n`);
  if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, 'embedded');
  return ok ? 0 : 1;
}

/** --soak: the soak alone (its own hub, simulators, subscribers and database). */
async function soakOnly(ctx: ReturnType<typeof createContext>, opts: Options, date: string): Promise<number> {
  let section: string;
  let ok: boolean;
  try {
    const result = await benchSoak(ctx, { durationS: opts.soak!, store: opts.soakStore, scale: opts.soakScale, seed: opts.syncSeed, subscribers: opts.soakSubscribers });
    const args = redactHeaders(process.argv.slice(2));
    section = renderSoakSection(result, describeMachine(), date, `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`);
    ok = result.verdicts.every((v) => v.pass);
    const raw = join(tmpdir(), `liandong-bench-soak-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(raw, JSON.stringify(result, null, 2));
    progress(`soak: raw results in ${raw}`);
  } finally {
    await runCleanups();
  }
  checkInterrupted();
  process.stdout.write(`\n${section}\n`);
  if (opts.write) writeSection(join(projectRoot(), 'docs', 'BENCHMARKS.md'), section, 'soak');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    if (!isInterrupted()) process.stderr.write(`bench failed: ${errorMessage(error)}\n`);
    await runCleanups();
    process.exit(isInterrupted() ? 130 : error instanceof InvalidArgumentError ? 2 : 1);
  },
);
