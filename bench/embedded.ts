/**
 * The embedded default's speed (issue 14, part 4): the hub as `npm start` runs it — the seven
 * simulated departments of a generated district, the first sync, then the police pushing live
 * 110 calls, the case watcher, the search indexer following the outbox — on PGlite and on a
 * PostgreSQL server, measured in one run:
 *
 * - search through GraphQL, one client, `search(query, first: 10)` asking only for `__typename`,
 *   over 50 mixed queries (names, pinyin, initials, phone and ID digits, addresses), both during
 *   the first sync and afterwards while the background work runs as usual;
 * - the person-profile query at 32 connections (autocannon), as in the person-profile bench.
 *
 * With --embedded-compare DIR the same is run with another checkout's build (DIR/dist), each of
 * its hubs just before ours on the same store kind, so that before and after share the machine's
 * load as far as possible.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { namePinyin } from '../src/search/text.js';
import { generateWorld, readNdjson, worldFile, type ScaleName } from '../src/world/index.js';
import { createTestDatabase } from '../tools/servers/postgres.js';
import { checkInterrupted, track } from './lib/cleanup.js';
import { measureCpu, type CpuGroup } from './lib/cpu.js';
import { listPeople, postGraphQL, variablesFor, type Endpoint } from './lib/graphql.js';
import { cliPath, mintToken, startHubProcess } from './lib/hubProcess.js';
import { requestBodies, runLoad, totalErrors, verifyWorkload, type LoadResult } from './lib/load.js';
import type { Machine } from './lib/report.js';
import { BENCH_RATE_LIMIT, postmasterTree, type BenchContext } from './lib/targets.js';
import { progress, sleep } from './lib/util.js';
import { PERSON_PROFILE } from './queries.js';

export const EMBEDDED_SEARCH = 'query Search($q: String!) { search(query: $q, first: 10) { edges { node { __typename } } } }';
/** The issue's own two, then a spread of the district's people. */
const FIXED_QUERIES = ['zhangxingqin', '张杏琴'];
const MIXED_QUERIES = 50;
const FIRST_SYNC_TIMEOUT_MS = 15 * 60_000;

export interface EmbeddedOptions {
  scale: ScaleName;
  seed: number;
  /** Seconds of searching after the first sync (the case watcher runs every 30 s: keep it above). */
  steadySeconds: number;
  profileSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Another checkout whose dist/ is run as "before". */
  compare?: string;
}

export interface LatencyStats {
  n: number;
  errors: number;
  firstError: string | null;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** The slowest searches, ms and query. */
  slowest: Array<[number, string]>;
}

export interface EmbeddedRun {
  build: string;
  store: 'pglite' | 'postgres';
  failed?: string;
  /** From the hub serving to the search index caught up with the first sync. */
  firstSyncSeconds?: number;
  duringSync?: LatencyStats;
  steady?: LatencyStats;
  /** The issue's two queries alone, from the steady phase. */
  fixed?: Record<string, LatencyStats>;
  /** The hub's event-loop delay over the steady phase (prom-client's monitor), ms. */
  eventLoop?: { p99: number; max: number };
  profile?: LoadResult;
  profileCpu?: Array<{ label: string; percent: number }>;
  people?: number;
}

export interface EmbeddedResult {
  options: EmbeddedOptions;
  queries: string[];
  runs: EmbeddedRun[];
  load: { before: number[]; after: number[] };
  postgresVersion: string;
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number);

function statsOf(samples: Array<[number, string]>, errors: number, firstError: string | null): LatencyStats {
  const sorted = samples.map(([ms]) => ms).sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    n: sorted.length, errors, firstError,
    p50: r(percentile(sorted, 50)), p90: r(percentile(sorted, 90)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)), max: r(sorted.at(-1) ?? 0),
    slowest: [...samples].sort((a, b) => b[0] - a[0]).slice(0, 5).map(([ms, q]) => [r(ms), q]),
  };
}

interface Person { name: string; idNumber: string | null; phone: string | null; dwellingIndex: number | null }
interface Dwelling { index: number; address: string }

/** 50 queries a case worker types, from the generated district (the same world every hub serves). */
export async function mixedQueries(worldDir: string): Promise<string[]> {
  const people: Person[] = [];
  for await (const p of readNdjson<Person>(worldFile(worldDir, 'world/people'))) people.push(p);
  const dwellings = new Map<number, string>();
  for await (const d of readNdjson<Dwelling>(worldFile(worldDir, 'world/dwellings'))) dwellings.set(d.index, d.address);
  const out: string[] = [...FIXED_QUERIES];
  const kinds = ['name', 'pinyin', 'initials', 'phone', 'id', 'address', 'prefix'] as const;
  for (let i = 0; out.length < MIXED_QUERIES; i++) {
    const p = people[Math.floor((i * 7919) % people.length)]!;
    const py = namePinyin(p.name);
    const kind = kinds[i % kinds.length]!;
    const address = p.dwellingIndex === null ? undefined : dwellings.get(p.dwellingIndex);
    const q = kind === 'name' ? p.name
      : kind === 'pinyin' ? py.pinyin[0]
        : kind === 'initials' ? py.initials[0]
          : kind === 'phone' ? p.phone?.replace(/\D/g, '').slice(-4)
            : kind === 'id' ? p.idNumber?.slice(-6)
              // as said on the phone: the estate onwards, without district, street and community
              : kind === 'address' ? address?.replace(/^.*?社区/, '')
                : py.pinyin[0]?.slice(0, 5);
    if (q && !out.includes(q)) out.push(q);
  }
  return out;
}

async function timedSearch(endpoint: Endpoint, q: string): Promise<{ ms: number; error: string | null }> {
  const t = performance.now();
  try {
    const { status, body } = await postGraphQL(endpoint, EMBEDDED_SEARCH, { q });
    const ms = performance.now() - t;
    if (status !== 200 || body.errors?.length || !body.data) return { ms, error: `HTTP ${status}: ${body.errors?.[0]?.message ?? 'no data'}` };
    return { ms, error: null };
  } catch (error) {
    return { ms: performance.now() - t, error: error instanceof Error ? error.message : String(error) };
  }
}

/** One client searching the queries round and round until `until()` says stop. */
async function searchLoop(endpoint: Endpoint, queries: readonly string[], until: () => boolean): Promise<{ samples: Array<[number, string]>; errors: number; firstError: string | null }> {
  const samples: Array<[number, string]> = [];
  let errors = 0;
  let firstError: string | null = null;
  for (let i = 0; !until(); i++) {
    checkInterrupted();
    const q = queries[i % queries.length]!;
    const { ms, error } = await timedSearch(endpoint, q);
    if (error) {
      errors++;
      firstError ??= `${q}: ${error}`;
      await sleep(100);
    } else {
      samples.push([ms, q]);
    }
  }
  return { samples, errors, firstError };
}

/** prom-client's event-loop delay gauges; reading them resets the monitor, so a read before the phase starts it afresh. */
async function eventLoop(metricsUrl: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string) => Number(new RegExp(`^liandong_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99: Math.round(value('p99')), max: Math.round(value('max')) };
}

async function benchOne(ctx: BenchContext, opts: EmbeddedOptions, worldDir: string, queries: string[], build: { label: string; cli?: string }, store: 'pglite' | 'postgres'): Promise<EmbeddedRun> {
  const run: EmbeddedRun = { build: build.label, store };
  const workDir = mkdtempSync(join(tmpdir(), `liandong-bench-embedded-${store}-`));
  const removeWorkDir = track(workDir, async () => rmSync(workDir, { recursive: true, force: true }), () => rmSync(workDir, { recursive: true, force: true }));
  let dropDb = async () => {};
  const env: Record<string, string> = {
    DATA_DIR: workDir, WORLD_DIR: worldDir, WORLD_SCALE: opts.scale, WORLD_SEED: String(opts.seed), SIMULATE: 'true', LOG_LEVEL: 'info',
    JWT_SECRET: randomBytes(36).toString('base64url'), RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT),
  };
  const cpuGroups: CpuGroup[] = [];
  try {
    if (store === 'postgres') {
      const server = await ctx.postgresServer();
      const db = await createTestDatabase(server.url);
      dropDb = () => db.drop();
      env.DATABASE_URL = db.url;
      cpuGroups.push({ label: 'PostgreSQL', pids: () => postmasterTree(server) });
    }
    let caughtUp = false;
    let servingAt: { url: string; at: number } | null = null;
    const label = `embedded ${build.label} ${store}`;
    const cli = build.cli ?? cliPath();
    const headers = {
      authorization: `Bearer ${await mintToken(cli, { ...process.env, ...env })}`,
      'x-purpose': 'benchmark: embedded search and profile (npm run bench -- --embedded)',
    };
    progress(`${label}: starting the hub with the ${opts.scale} district's simulated departments`);
    // `liandong start` says it is serving once the first sync is done; its log says so as soon as it listens.
    const starting = startHubProcess({
      label, env, readyTimeoutMs: FIRST_SYNC_TIMEOUT_MS, cli,
      onLogLine: (line) => {
        if (line.includes('"hub is serving"')) {
          const url = (JSON.parse(line) as { url?: string }).url;
          if (url) servingAt = { url: url.replace('localhost', '127.0.0.1'), at: performance.now() };
        }
        if (line.includes('"search index caught up"')) caughtUp = true;
      },
    });
    let failedToStart: unknown = null;
    starting.catch((error: unknown) => { failedToStart = error; });
    while (!servingAt && !failedToStart) {
      checkInterrupted();
      await sleep(50);
    }
    if (failedToStart) throw failedToStart instanceof Error ? failedToStart : new Error(String(failedToStart));
    const { url, at: started } = servingAt!;
    const endpoint = { url, headers };
    progress(`${label}: searching while the first sync runs`);
    const during = await searchLoop(endpoint, queries, () => caughtUp || failedToStart !== null || performance.now() - started > FIRST_SYNC_TIMEOUT_MS);
    const hub = await starting;
    try {
      cpuGroups.unshift({ label: 'hub', pids: () => [hub.pid] });
      if (!caughtUp) throw new Error(hub.exitReport() ?? 'the first sync did not finish');
      run.firstSyncSeconds = Math.round((performance.now() - started) / 100) / 10;
      run.duringSync = statsOf(during.samples, during.errors, during.firstError);
      progress(`${label}: first sync and index done in ${run.firstSyncSeconds} s; ${run.duringSync.n} searches meanwhile, p50 ${run.duringSync.p50} ms, p95 ${run.duringSync.p95} ms, max ${run.duringSync.max} ms`);

      const metricsUrl = new URL('/metrics', hub.url).toString();
      await eventLoop(metricsUrl);
      progress(`${label}: searching for ${opts.steadySeconds} s with the background work running`);
      const end = Date.now() + opts.steadySeconds * 1000;
      const steady = await searchLoop(endpoint, queries, () => Date.now() > end);
      run.eventLoop = await eventLoop(metricsUrl);
      run.steady = statsOf(steady.samples, steady.errors, steady.firstError);
      run.fixed = Object.fromEntries(FIXED_QUERIES.map((q) => [q, statsOf(steady.samples.filter(([, x]) => x === q), 0, null)]));
      progress(`${label}: ${run.steady.n} searches, p50 ${run.steady.p50} ms, p95 ${run.steady.p95} ms, p99 ${run.steady.p99} ms, max ${run.steady.max} ms; event loop p99 ${run.eventLoop.p99} ms, max ${run.eventLoop.max} ms`);

      const people = await listPeople(endpoint);
      run.people = people.length;
      const work = { ...endpoint, query: PERSON_PROFILE, variables: variablesFor(PERSON_PROFILE), people };
      await verifyWorkload(work);
      const bodies = requestBodies(work);
      if (opts.warmupSeconds > 0) await runLoad(work, bodies, { connections: opts.connections, durationS: opts.warmupSeconds });
      progress(`${label}: person profile, ${opts.connections} connections for ${opts.profileSeconds} s over ${people.length} people`);
      const cpuDone = measureCpu(cpuGroups);
      run.profile = await runLoad(work, bodies, { connections: opts.connections, durationS: opts.profileSeconds });
      run.profileCpu = cpuDone();
      progress(`${label}: ${run.profile.reqPerSec.toFixed(1)} req/s, p50 ${run.profile.p50Ms} ms, p99 ${run.profile.p99Ms} ms, ${totalErrors(run.profile)} errors`);
      const died = hub.exitReport();
      if (died) throw new Error(died);
    } finally {
      await hub.stop();
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    run.failed = message.split('\n')[0];
    progress(`embedded ${build.label} ${store}: FAILED: ${message}`);
  } finally {
    await dropDb();
    await removeWorkDir();
  }
  return run;
}

export async function benchEmbedded(ctx: BenchContext, opts: EmbeddedOptions): Promise<EmbeddedResult> {
  const load = { before: loadAverage(), after: [] as number[] };
  const compareCli = opts.compare ? join(resolve(opts.compare), 'dist', 'src', 'cli', 'main.js') : undefined;
  if (compareCli && !existsSync(compareCli)) throw new Error(`--embedded-compare: ${compareCli} does not exist (build that checkout first)`);
  const worldDir = mkdtempSync(join(tmpdir(), 'liandong-bench-embedded-world-'));
  track(worldDir, async () => rmSync(worldDir, { recursive: true, force: true }), () => rmSync(worldDir, { recursive: true, force: true }));
  progress(`embedded: generating the ${opts.scale} district (seed ${opts.seed}) every hub serves`);
  await generateWorld({ scale: opts.scale, seed: opts.seed, outDir: worldDir, overwrite: true });
  const queries = await mixedQueries(worldDir);
  const server = await ctx.postgresServer();
  const builds = [...(compareCli ? [{ label: 'before', cli: compareCli }] : []), { label: compareCli ? 'after' : 'this build' }];
  const runs: EmbeddedRun[] = [];
  for (const store of ['pglite', 'postgres'] as const) {
    for (const build of builds) {
      checkInterrupted();
      runs.push(await benchOne(ctx, opts, worldDir, queries, build, store));
    }
  }
  load.after = loadAverage();
  return { options: opts, queries, runs, load, postgresVersion: await serverVersion(server.url) };
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ server_version: string }>('show server_version');
    return `PostgreSQL ${r.rows[0]?.server_version ?? '?'}`;
  } finally {
    await client.end();
  }
}

function loadAverage(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

const fmt = (v: number | undefined) => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function renderEmbeddedSection(r: EmbeddedResult, machine: Machine, date: string, command: string): string {
  const o = r.options;
  const ok = r.runs.filter((x) => !x.failed);
  const lines = [
    '<!-- bench:embedded:start -->',
    '## The embedded default: search and profile on PGlite and PostgreSQL (issue 14, part 4)',
    '',
    `The hub as \`npm start\` runs it: the seven simulated departments of the generated \`${o.scale}\` district (seed ${o.seed}), its first sync, then the background work as usual (live 110 pushes from the police simulator, the case watcher every 30 s, the search indexer following the outbox, the live tailers). Each hub is \`liandong start\` in its own process (NODE_ENV=production); the bench is the client. Search is one client, \`${EMBEDDED_SEARCH}\`, cycling through ${r.queries.length} mixed queries (the issue's \`zhangxingqin\` and \`张杏琴\`, then names, pinyin, initials, phone and ID digits, addresses and pinyin prefixes of the district's people), first while the first sync runs, then for ${o.steadySeconds} s after it. The profile is the person-profile query (below) at ${o.connections} connections for ${o.profileSeconds} s after ${o.warmupSeconds} s of warm-up, each request for a different person of the district.`,
    '',
    `- Date: ${date}`,
    `- Command: \`${command}\``,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; Node ${machine.node}; ${machine.os}`,
    `- PostgreSQL: ${r.postgresVersion} (throwaway server on 127.0.0.1, fsync off), hub pool max 20; PGlite data dir on ${tmpdir()}.`,
    `- **Not a quiet machine:** other engineers' builds and tests shared the ${machine.cores} cores (load average ${r.load.before.join(', ')} at the start, ${r.load.after.join(', ')} at the end). Compare within this run; ratios hold better than absolute figures.`,
    ...(o.compare ? [`- before: the build in \`${o.compare}\` (its dist/), run just before "after" (this branch) on each store.`] : []),
    '',
    '| build | store | first sync s | searches during it: n, p50 / p95 / max ms | after: n | p50 ms | p90 ms | **p95 ms** | p99 ms | max ms | event loop p99 / max ms | profile req/s | p50 / p99 ms | CPU % (hub, PostgreSQL) |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|',
  ];
  for (const x of r.runs) {
    if (x.failed) {
      lines.push(`| ${x.build} | ${x.store} | failed: ${x.failed.replace(/\|/g, '\\|')} |||||||||||`);
      continue;
    }
    const d = x.duringSync!;
    const s = x.steady!;
    const cpu = (x.profileCpu ?? []).map((c) => `${c.label} ${c.percent.toFixed(0)}`).join(', ');
    lines.push(`| ${x.build} | ${x.store} | ${fmt(x.firstSyncSeconds)} | ${d.n}: ${fmt(d.p50)} / ${fmt(d.p95)} / ${fmt(d.max)} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p90)} | **${fmt(s.p95)}** | ${fmt(s.p99)} | ${fmt(s.max)} | ${x.eventLoop ? `${x.eventLoop.p99} / ${x.eventLoop.max}` : '–'} | ${x.profile ? x.profile.reqPerSec.toFixed(1) : '–'} | ${x.profile ? `${x.profile.p50Ms} / ${x.profile.p99Ms}` : '–'} | ${cpu} |`);
  }
  lines.push('');
  for (const build of [...new Set(ok.map((x) => x.build))]) {
    const pgl = ok.find((x) => x.build === build && x.store === 'pglite');
    const pg = ok.find((x) => x.build === build && x.store === 'postgres');
    if (pgl?.profile && pg?.profile) {
      lines.push(`- ${build}: PGlite's profile req/s is **${(pgl.profile.reqPerSec / pg.profile.reqPerSec).toFixed(2)}×** PostgreSQL's; search p95 after the first sync ${fmt(pgl.steady?.p95)} ms on PGlite, ${fmt(pg.steady?.p95)} ms on PostgreSQL.`);
    }
  }
  for (const x of ok) {
    const f = Object.entries(x.fixed ?? {}).filter(([, v]) => v.n > 0).map(([q, v]) => `\`${q}\` p50 ${fmt(v.p50)} / max ${fmt(v.max)} ms (${v.n})`).join(', ');
    const slow = (x.steady?.slowest ?? []).map(([ms, q]) => `${fmt(ms)} \`${q}\``).join(', ');
    const errs = [x.duringSync, x.steady].filter((v) => v && v.errors > 0).map((v) => `${v!.errors} errors (first: ${v!.firstError})`).join('; ');
    lines.push(`- ${x.build}, ${x.store}: ${f}; slowest after the sync: ${slow}${errs ? `; ${errs}` : ''}${x.profile && totalErrors(x.profile) ? `; profile errors ${totalErrors(x.profile)} (${x.profile.firstProblem})` : ''}.`);
  }
  lines.push('', `Where the time went and what changed: [docs/embedded.md](embedded.md).`, '<!-- bench:embedded:end -->');
  return lines.join('\n');
}
