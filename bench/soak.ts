/**
 * The soak (issue 13, part 3): the hub as an operator runs it, under a steady mixed load for a
 * long while, sampled at fixed intervals, and judged at the end on whether it stays flat.
 *
 * - The hub is `liandong start` in its own process on a generated district, with the seven
 *   simulated department systems in a process of their own (bench/simulators.ts) named in a
 *   CONNECTORS_FILE, as real departments are: that file is how an operator sets each connector's
 *   `intervalSeconds`, here short enough for several scheduled syncs per connector in the run.
 *   The simulators change a few records in every department every 20 s (so the syncs carry
 *   changes) and the police simulator pushes a live 110 call to the hub's /webhooks/police every
 *   5 s, as it does under `npm start`.
 * - 1,000 WebSocket subscribers (bench/lib/subscriberClients.ts, two client processes): 90% on
 *   `caseEvents` of the load's category, 10% on `dashboard`.
 * - An open-loop load at fixed rates (not max throughput): person profiles, people pages,
 *   searches, and case flows (reportCase with an idempotency key, dispatchCase, acceptDispatch,
 *   startDispatch, completeDispatch, recordFeedback, closeCase, so open cases stay level). Each
 *   request is counted ok or error with its code. The load makes no errors on purpose, so every
 *   error is unexpected.
 * - Every minute (every 10 s for runs under 10 minutes): the hub's RSS (/proc/<pid>/status) and
 *   heap and event-loop lag (/metrics), its open descriptors (/proc/<pid>/fd), its database
 *   connections (pg_stat_activity), p50/p99 per kind, subscriber deliveries against the events
 *   acknowledged, scheduled syncs and pushes.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { generateWorld, type ScaleName } from '../src/world/index.js';
import { APPLICATION_NAME, DEFAULT_BACKGROUND_POOL_MAX } from '../src/store/db.js';
import { createTestDatabase, findFreePort } from '../tools/servers/postgres.js';
import { checkInterrupted, isInterrupted, onInterrupt, track } from './lib/cleanup.js';
import { cpuSecondsOf } from './lib/cpu.js';
import { listPeople, postGraphQL, type Endpoint, type GraphQLBody, type PersonRef } from './lib/graphql.js';
import { cliPath, startHubProcess, type HubProcess } from './lib/hubProcess.js';
import type { Machine } from './lib/report.js';
import { BENCH_RATE_LIMIT, type BenchContext } from './lib/targets.js';
import { progress, projectRoot, sleep } from './lib/util.js';
import { mixedQueries } from './embedded.js';
import { PERSON_PROFILE } from './queries.js';

export interface SoakOptions {
  durationS: number;
  store: 'postgres' | 'pglite';
  scale: ScaleName;
  seed: number;
  subscribers: number;
}

/** `30m`, `90s`, `1h`, `1h30m` or plain seconds. */
export function parseDuration(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value.trim());
  if (!m || value.trim() === '' || !(m[1] || m[2] || m[3])) throw new Error(`${value}: expected a duration such as 30m, 90s or 1h`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/**
 * Requests per second of each kind; a case flow is seven mutations in a row. At least 200 of
 * each kind per minute: a p99 (nearest rank) of 60 requests is their slowest one, so one
 * scheduler hiccup of the shared machine decided the stability verdict; of 240 it is the third.
 */
const RATES = { profile: 4, people: 4, search: 4, flow: 0.5 } as const;
/** Requests of one kind in flight at most; beyond it a due request is skipped (and counted). */
const MAX_IN_FLIGHT = 32;
const KINDS = ['profile', 'people', 'search', 'mutation'] as const;
type Kind = (typeof KINDS)[number];
const CATEGORY = 'neighbour.noise';
const CHANGE_EVERY_MS = 20_000;
const CHANGE_COUNT = 5;
const INCIDENT_INTERVAL_MS = 5_000;
const POOL_MAX = 20;
/** The hub's second pool, for syncs, pushes, the indexer, retention and the case watcher (src/store/db.ts): its default. */
const BACKGROUND_POOL_MAX = DEFAULT_BACKGROUND_POOL_MAX;

const SEARCH = 'query Search($q: String!) { search(query: $q, first: 10) { edges { node { __typename } } } }';
const PEOPLE = 'query People($after: String) { people(first: 50, after: $after) { totalCount edges { node { id name } } pageInfo { hasNextPage endCursor } } }';
const CASE = 'case { id number status dispatches { id status } }';
const OPS = {
  report: `mutation Report($input: ReportCaseInput!) { reportCase(input: $input) { ${CASE} } }`,
  dispatch: `mutation Dispatch($id: ID!, $note: String) { dispatchCase(input: { caseId: $id, departments: [{ department: "environment", role: LEAD }], note: $note }) { ${CASE} } }`,
  accept: `mutation Accept($id: ID!, $note: String) { acceptDispatch(dispatchId: $id, note: $note) { ${CASE} } }`,
  start: `mutation Start($id: ID!) { startDispatch(dispatchId: $id) { ${CASE} } }`,
  complete: `mutation Complete($id: ID!) { completeDispatch(dispatchId: $id, result: "已处理") { ${CASE} } }`,
  feedback: `mutation Feedback($id: ID!) { recordFeedback(caseId: $id, satisfaction: SATISFIED) { ${CASE} } }`,
  close: `mutation Close($id: ID!) { closeCase(caseId: $id) { ${CASE} } }`,
} as const;
type Step = keyof typeof OPS;
const STEPS: Step[] = ['report', 'dispatch', 'accept', 'start', 'complete', 'feedback', 'close'];
const STAFF_STEPS = new Set<Step>(['accept', 'start', 'complete']);
/** The subscriptions the clients rotate over: nine of caseEvents to one of dashboard. */
const CASE_EVENTS_SUB = `subscription Soak { caseEvents(filter: { category: "${CATEGORY}" }) { cursor event { type at note } case { id status } } }`;
const DASHBOARD_SUB = 'subscription SoakDashboard { dashboard { at open overdue closedToday } }';
const SUB_QUERIES = [...Array.from({ length: 9 }, () => CASE_EVENTS_SUB), DASHBOARD_SUB];

interface CaseAnswer { id: string; number: string; status: string; dispatches: Array<{ id: string; status: string }> }

export interface IntervalSample {
  /** Seconds since the load started, at the sample. */
  t: number;
  rssMiB: number;
  heapMiB: number | null;
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  fds: number;
  /** The hub's connections, both pools (pg_stat_activity); of them, the background pool's. */
  dbConnections: number | null;
  dbBackgroundConnections: number | null;
  liveSubscribers: number | null;
  /** Per kind in the interval: requests, errors, p50, p99 (ms). */
  kinds: Record<Kind, { n: number; errors: number; p50: number; p99: number }>;
  skipped: number;
  notedEvents: number;
  expectedDeliveries: number;
  deliveries: number;
  syncsDone: number;
  syncsFailed: number;
  pushes: number;
  hubCpuPercent: number;
  load1: number;
}

export interface SlowRequest {
  t: number;
  ms: number;
  variables: string;
  /** What the hub logged while the request was under way (its log lines' msg, counted). */
  hubLog?: string;
  /** Internal: when it started and ended (performance.now()). */
  span?: [number, number];
}
export interface StatementStat { query: string; calls: number; meanMs: number; maxMs: number }
const SLOWEST_KEPT = 5;

export interface Verdict { criterion: string; pass: boolean; detail: string }

export interface SoakResult {
  options: SoakOptions;
  intervalS: number;
  warmupS: number;
  syncIntervalS: number;
  samples: IntervalSample[];
  totals: { requests: Record<Kind, number>; errors: Record<string, { n: number; first: string }>; expectedErrors: number; unexpectedErrors: number; skipped: number; flows: number };
  deliveries: { expected: number; received: number; closed: number; closeReasons: Record<string, number> };
  subscribers: { caseEvents: number; dashboard: number; joinSeconds: number };
  hubErrorLogLines: number;
  firstErrorLogLine: string | null;
  firstSyncSeconds: number;
  people: number;
  postgres: string | null;
  /** The slowest requests of each kind after the warm-up, for finding what a high p99 was. */
  slowest: Record<Kind, SlowRequest[]>;
  /** On PostgreSQL: the statements with the longest single execution over the run (pg_stat_statements). */
  statements: StatementStat[] | null;
  verdicts: Verdict[];
  load: { before: number[]; after: number[] };
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const round1 = (v: number) => Math.round(v * 10) / 10;
const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number);
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const loadAverage = () => loadavg().map((v) => Math.round(v * 100) / 100);
/** The median 1-min load average of the samples after the warm-up. */
const sharedLoad = (r: SoakResult): number => median(r.samples.filter((x) => x.t > r.warmupS).map((x) => x.load1));

function mint(cli: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, 'token', ...args], { env, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const token = stdout.trim().split('\n').pop()?.trim();
      if (error || !token) reject(new Error(`liandong token ${args.join(' ')} failed: ${error?.message ?? 'printed no token'}\n${stderr.trim()}`));
      else resolve(token);
    });
  });
}

function metricValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

function webhookRequests(text: string): number {
  let sum = 0;
  for (const m of text.matchAll(/^liandong_http_requests_total\{[^}]*route="webhook"[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** What an answer says: null when fine, else an error code and message. */
function judge(status: number, body: GraphQLBody & { errors?: Array<{ message?: string; extensions?: { code?: string } }> }, field: string): { code: string; message: string } | null {
  if (body.errors?.length) return { code: body.errors[0]?.extensions?.code ?? `HTTP ${status}`, message: body.errors[0]?.message ?? '' };
  if (status !== 200) return { code: `HTTP ${status}`, message: '' };
  if (!body.data || body.data[field] === null || body.data[field] === undefined) return { code: 'NO_DATA', message: `data.${field} is null` };
  return null;
}

/** Starts the department simulators in their own process; resolves with their connector configs. */
async function startSimulatorProcess(worldDir: string, workDir: string, webhookUrl: string): Promise<{ configs: Record<string, Record<string, unknown>>; pid: number }> {
  const entry = join(projectRoot(), 'dist', 'bench', 'simulators.js');
  const child: ChildProcess = spawn(process.execPath, [
    entry, '--data', worldDir, '--work', workDir, '--webhook', webhookUrl, '--incident-interval', String(INCIDENT_INTERVAL_MS),
    '--change-every', String(CHANGE_EVERY_MS), '--change-count', String(CHANGE_COUNT),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  track(`department simulators (pid ${child.pid})`, async () => {
    if (exited) return;
    child.kill('SIGTERM');
    if (await Promise.race([exitedPromise.then(() => false), sleep(10_000).then(() => true)])) {
      child.kill('SIGKILL');
      await exitedPromise;
    }
  }, () => { if (!exited) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulators did not start within 120 s\n${stderr}`)), 120_000);
    void exitedPromise.then(() => { clearTimeout(timer); reject(new Error(`the simulators exited before they were up\n${stderr}`)); });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { configs: Record<string, Record<string, unknown>>; pid: number });
      } catch {
        reject(new Error(`the simulators printed ${line.slice(0, 200)}`));
      }
    });
  });
}

interface ClientState { connected: number; subscribed: number; received: number; closed: number; closeReasons: Record<string, number> }

export async function benchSoak(ctx: BenchContext, opts: SoakOptions): Promise<SoakResult> {
  const load = { before: loadAverage(), after: [] as number[] };
  const intervalS = opts.durationS < 600 ? 10 : 60;
  const intervals = Math.max(1, Math.round(opts.durationS / intervalS));
  const warmupS = Math.round(opts.durationS * 0.2);
  // At least four scheduled syncs of every connector in the run, none more often than every 30 s.
  const syncIntervalS = Math.max(30, Math.min(600, Math.floor(opts.durationS / 5)));

  const base = mkdtempSync(join(tmpdir(), 'liandong-bench-soak-'));
  track(base, async () => rmSync(base, { recursive: true, force: true }), () => rmSync(base, { recursive: true, force: true }));
  const worldDir = join(base, 'world');
  const dataDir = join(base, 'data');
  mkdirSync(dataDir);
  mkdirSync(join(base, 'simulators'));
  progress(`soak: generating the ${opts.scale} district (seed ${opts.seed})`);
  await generateWorld({ scale: opts.scale, seed: opts.seed, outDir: worldDir, overwrite: true });
  const queries = await mixedQueries(worldDir);
  checkInterrupted();

  let databaseUrl: string | null = null;
  let databaseName: string | null = null;
  let postgres: string | null = null;
  if (opts.store === 'postgres') {
    const server = await ctx.postgresServer();
    const db = await createTestDatabase(server.url);
    track(`database ${db.name}`, () => db.drop());
    databaseUrl = db.url;
    databaseName = db.name;
  }
  const port = await findFreePort();
  progress('soak: starting the seven department simulators');
  const sims = await startSimulatorProcess(worldDir, join(base, 'simulators'), `http://127.0.0.1:${port}/webhooks/police`);
  const connectorsFile = join(base, 'connectors.json');
  writeFileSync(connectorsFile, JSON.stringify(Object.fromEntries(Object.entries(sims.configs).map(([d, c]) => [d, { ...c, intervalSeconds: syncIntervalS }])), null, 2));

  const env: Record<string, string> = {
    PORT: String(port), DATA_DIR: dataDir, CONNECTORS_FILE: connectorsFile, SIMULATE: 'false', GRID_REGISTRY_DIR: worldDir,
    LOG_LEVEL: 'info', JWT_SECRET: randomBytes(36).toString('base64url'), RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT), DATABASE_POOL_MAX: String(POOL_MAX),
    DATABASE_BACKGROUND_POOL_MAX: String(BACKGROUND_POOL_MAX),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const counters = { syncsDone: 0, syncsFailed: 0, errorLines: 0, firstErrorLine: null as string | null };
  const hubLines: Array<{ at: number; msg: string }> = [];
  progress(`soak: starting the hub on ${opts.store} (first sync of the ${opts.scale} district before it serves)`);
  const startedAt = performance.now();
  const hub: HubProcess = await startHubProcess({
    label: `soak ${opts.store}`, env, readyTimeoutMs: 15 * 60_000,
    onLogLine: (line) => {
      if (hubLines.length < 200_000) hubLines.push({ at: performance.now(), msg: /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 60) });
      if (line.includes('"scheduled sync done"')) counters.syncsDone++;
      else if (line.includes('"scheduled sync failed"') || line.includes('"scheduled sync crashed"')) counters.syncsFailed++;
      // pino levels: 50 error, 60 fatal
      if (/"level":(50|60)\b/.test(line)) {
        counters.errorLines++;
        counters.firstErrorLine ??= line.slice(0, 400);
      }
    },
  });
  const firstSyncSeconds = round1((performance.now() - startedAt) / 1000);
  progress(`soak: the hub serves at ${hub.url} after ${firstSyncSeconds} s; scheduled syncs every ${syncIntervalS} s per connector`);
  const metricsUrl = new URL('/metrics', hub.url).toString();
  const cli = cliPath();
  const fullEnv = { ...process.env, HOST: '127.0.0.1', NODE_ENV: 'production', ...env };
  const purpose = 'benchmark: soak (npm run bench -- --soak)';
  const admin: Endpoint = { url: hub.url, headers: { authorization: `Bearer ${await hub.token()}`, 'x-purpose': purpose } };
  const staff: Endpoint = { url: hub.url, headers: { authorization: `Bearer ${await mint(cli, fullEnv, ['--role', 'department-staff', '--department', 'environment', '--subject', 'soak-env', '--name', 'soak'])}`, 'x-purpose': purpose } };

  let pgClient: pg.Client | null = null;
  if (databaseUrl) {
    pgClient = new pg.Client({ connectionString: databaseUrl, application_name: 'liandong-bench' });
    await pgClient.connect();
    const client = pgClient;
    track('soak pg_stat_activity client', () => client.end().catch(() => {}));
    const v = await client.query<{ v: string }>('select version() as v');
    postgres = v.rows[0]?.v.split(' on ')[0] ?? 'PostgreSQL';
  }
  const dbConnections = async (): Promise<{ all: number; background: number } | null> => {
    if (!pgClient) return null;
    const r = await pgClient.query<{ a: string; n: string }>('select application_name as a, count(*) as n from pg_stat_activity where datname = $1 and application_name = any($2) group by 1',
      [databaseName, [APPLICATION_NAME.requests, APPLICATION_NAME.background]]);
    const of = (name: string) => Number(r.rows.find((row) => row.a === name)?.n ?? 0);
    return { all: of(APPLICATION_NAME.requests) + of(APPLICATION_NAME.background), background: of(APPLICATION_NAME.background) };
  };

  const people: PersonRef[] = await listPeople(admin);
  const cursors: Array<string | null> = [null];
  for (let after: string | null = null; cursors.length < 200;) {
    const { body } = await postGraphQL(admin, PEOPLE, { after });
    const page = (body.data?.people ?? null) as { pageInfo: { hasNextPage: boolean; endCursor: string | null } } | null;
    if (!page?.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
    after = page.pageInfo.endCursor;
    cursors.push(after);
  }
  progress(`soak: ${people.length} people, ${cursors.length} people pages, ${queries.length} search queries`);

  // --- the load ---
  let stopping = false;
  let seq = 0;
  let notedAcked = 0;
  let flows = 0;
  const totals: SoakResult['totals'] = { requests: { profile: 0, people: 0, search: 0, mutation: 0 }, errors: {}, expectedErrors: 0, unexpectedErrors: 0, skipped: 0, flows: 0 };
  const fresh = () => ({ ms: { profile: [] as number[], people: [] as number[], search: [] as number[], mutation: [] as number[] }, errors: { profile: 0, people: 0, search: 0, mutation: 0 }, skipped: 0, noted: 0 });
  let bucket = fresh();
  const inFlight: Record<Kind | 'flow', number> = { profile: 0, people: 0, search: 0, mutation: 0, flow: 0 };
  const slowest: Record<Kind, SlowRequest[]> = { profile: [], people: [], search: [], mutation: [] };
  // Set when the load starts; requests before it (the checks) are not judged.
  let t0 = Number.POSITIVE_INFINITY;

  const timed = async (kind: Kind, endpoint: Endpoint, query: string, variables: Record<string, unknown>, field: string): Promise<Record<string, unknown> | null> => {
    const t = performance.now();
    let problem: { code: string; message: string } | null;
    let data: Record<string, unknown> | null = null;
    try {
      const { status, body } = await postGraphQL(endpoint, query, variables);
      problem = judge(status, body, field);
      data = body.data ?? null;
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      problem = { code: e.name === 'TimeoutError' ? 'TIMEOUT' : e.cause?.code ?? 'NETWORK', message: e.message };
    }
    const ms = performance.now() - t;
    totals.requests[kind]++;
    if (problem) {
      bucket.errors[kind]++;
      // The load provokes no error on purpose: each one is unexpected.
      totals.unexpectedErrors++;
      const key = `${kind} ${problem.code}`;
      const seen = totals.errors[key];
      if (seen) seen.n++;
      else totals.errors[key] = { n: 1, first: problem.message.slice(0, 200) };
      return null;
    }
    bucket.ms[kind].push(ms);
    const at = (t - t0) / 1000;
    if (at > warmupS) keepSlowest(slowest[kind], { t: Math.round(at), ms: round1(ms), variables: JSON.stringify(variables).slice(0, 80), span: [t, t + ms] });
    return data;
  };

  const caseFlow = async (n: number) => {
    const key = `soak-${process.pid}-${n}-${randomBytes(4).toString('hex')}`;
    const reported = await timed('mutation', admin, OPS.report, { input: { channel: 'HOTLINE_12345', title: `压测 ${n}`, category: CATEGORY, idempotencyKey: key } }, 'reportCase');
    let answer = (reported?.reportCase as { case: CaseAnswer } | undefined)?.case;
    if (!answer) return;
    for (const step of STEPS.slice(1)) {
      if (stopping) return;
      const target = STAFF_STEPS.has(step) ? answer.dispatches[0]?.id : answer.id;
      if (!target) return;
      const noted = step === 'dispatch' || step === 'accept';
      const note = noted ? `bench-${++seq}` : undefined;
      const field = { dispatch: 'dispatchCase', accept: 'acceptDispatch', start: 'startDispatch', complete: 'completeDispatch', feedback: 'recordFeedback', close: 'closeCase', report: 'reportCase' }[step];
      const data = await timed('mutation', STAFF_STEPS.has(step) ? staff : admin, OPS[step], { id: target, ...(note ? { note } : {}) }, field);
      const next = (data?.[field] as { case: CaseAnswer | null } | undefined)?.case;
      if (!data) return;
      if (noted) {
        notedAcked++;
        bucket.noted++;
      }
      if (next) answer = next;
    }
    flows++;
  };

  // One check of every kind before anything else, so a broken workload fails at once with its message.
  for (const [kind, q, v, f] of [['profile', PERSON_PROFILE, { id: people[0]!.globalId }, 'person'], ['people', PEOPLE, { after: null }, 'people'], ['search', SEARCH, { q: queries[0] }, 'search']] as const) {
    const { status, body } = await postGraphQL(admin, q, v);
    const problem = judge(status, body, f);
    if (problem) throw new Error(`soak: the ${kind} request fails before any load: ${problem.code} ${problem.message}`);
  }
  {
    const { status, body } = await postGraphQL(admin, OPS.report, { input: { channel: 'HOTLINE_12345', title: '压测 check', category: CATEGORY, idempotencyKey: `soak-check-${randomBytes(4).toString('hex')}` } });
    const problem = judge(status, body, 'reportCase');
    if (problem) throw new Error(`soak: reportCase fails before any load: ${problem.code} ${problem.message}`);
  }

  // --- the subscribers ---
  const entry = join(projectRoot(), 'dist', 'bench', 'lib', 'subscriberClients.js');
  const clients: Array<{ child: ChildProcess; state: ClientState }> = [];
  const processes = 2;
  const per = Math.ceil(opts.subscribers / processes);
  const subToken = admin.headers.authorization!.replace(/^Bearer /, '');
  const joinStarted = Date.now();
  for (let p = 0; p < processes; p++) {
    const count = Math.min(per, opts.subscribers - p * per);
    if (count <= 0) break;
    const child = spawn(process.execPath, [entry], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(`soak subscriber clients ${p} (pid ${child.pid})`, async () => { child.kill('SIGKILL'); }, () => child.kill('SIGKILL'));
    const client = { child, state: { connected: 0, subscribed: 0, received: 0, closed: 0, closeReasons: {} } };
    child.on('message', (m: Partial<ClientState>) => { if (m.connected !== undefined) client.state = { ...client.state, ...m }; });
    child.send({ config: { url: hub.url, token: subToken, queries: SUB_QUERIES, count, offset: p * per, wave: 100, localAddresses: ['127.0.0.2'], firstSeq: 1 } });
    clients.push(client);
  }
  let caseEventSubs = 0;
  for (let i = 0; i < opts.subscribers; i++) if (SUB_QUERIES[i % SUB_QUERIES.length] === CASE_EVENTS_SUB) caseEventSubs++;
  for (;;) {
    checkInterrupted();
    const text = await (await fetch(metricsUrl)).text();
    const joined = metricValue(text, 'liandong_live_subscribers') ?? 0;
    if (joined >= opts.subscribers) break;
    if (Date.now() - joinStarted > 180_000) throw new Error(`only ${joined} of ${opts.subscribers} subscribers joined in 180 s`);
    const died = hub.exitReport();
    if (died) throw new Error(died);
    await sleep(1000);
  }
  const joinSeconds = round1((Date.now() - joinStarted) / 1000);
  progress(`soak: ${opts.subscribers} subscribers joined in ${joinSeconds} s (${caseEventSubs} caseEvents, ${opts.subscribers - caseEventSubs} dashboard)`);
  const received = () => clients.reduce((s, c) => s + c.state.received, 0);

  // --- run ---
  const offInterrupt = onInterrupt(() => { stopping = true; });
  const pending = new Set<Promise<unknown>>();
  const fire = (kind: Kind | 'flow', run: () => Promise<unknown>) => {
    if (inFlight[kind] >= MAX_IN_FLIGHT) {
      bucket.skipped++;
      totals.skipped++;
      return;
    }
    inFlight[kind]++;
    const p = run().catch(() => {}).finally(() => { inFlight[kind]--; pending.delete(p); });
    pending.add(p);
  };
  if (pgClient) {
    await pgClient.query('create extension if not exists pg_stat_statements');
    await pgClient.query('select pg_stat_statements_reset()');
  }
  t0 = performance.now();
  const endAt = t0 + intervals * intervalS * 1000;
  const ticker = async (kind: Kind | 'flow', rate: number, make: (i: number) => () => Promise<unknown>) => {
    for (let i = 0; !stopping; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due >= endAt) return;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopping) return;
      fire(kind, make(i));
    }
  };
  const tickers = [
    ticker('profile', RATES.profile, (i) => () => timed('profile', admin, PERSON_PROFILE, { id: people[(i * 7919) % people.length]!.globalId }, 'person')),
    ticker('people', RATES.people, (i) => () => timed('people', admin, PEOPLE, { after: cursors[i % cursors.length] }, 'people')),
    ticker('search', RATES.search, (i) => () => timed('search', admin, SEARCH, { q: queries[i % queries.length] }, 'search')),
    ticker('flow', RATES.flow, (i) => () => caseFlow(i)),
  ];

  const samples: IntervalSample[] = [];
  let prev = { received: 0, syncsDone: 0, syncsFailed: 0, pushes: webhookRequests(await (await fetch(metricsUrl)).text()), cpu: cpuSecondsOf([hub.pid]), at: performance.now() };
  await fetch(metricsUrl); // starts the event-loop monitor's window afresh
  progress(`soak: ${intervals} intervals of ${intervalS} s (warm-up ${warmupS} s); rates per second: ${RATES.profile} profiles, ${RATES.people} people pages, ${RATES.search} searches, a case flow (7 mutations) every ${1 / RATES.flow} s`);
  try {
    for (let k = 1; k <= intervals && !stopping; k++) {
      const due = t0 + k * intervalS * 1000;
      while (performance.now() < due && !stopping) await sleep(Math.min(1000, due - performance.now()));
      if (stopping) break;
      const b = bucket;
      bucket = fresh();
      const died = hub.exitReport();
      if (died) throw new Error(died);
      const text = await (await fetch(metricsUrl)).text();
      const cpu = cpuSecondsOf([hub.pid]);
      const now = performance.now();
      const rec = received();
      const pushes = webhookRequests(text);
      const kinds = Object.fromEntries(KINDS.map((kind) => {
        const sorted = b.ms[kind].sort((x, y) => x - y);
        return [kind, { n: sorted.length + b.errors[kind], errors: b.errors[kind], p50: round1(percentile(sorted, 50)), p99: round1(percentile(sorted, 99)) }];
      })) as IntervalSample['kinds'];
      const heap = metricValue(text, 'liandong_nodejs_heap_size_used_bytes');
      const lagP99 = metricValue(text, 'liandong_nodejs_eventloop_lag_p99_seconds');
      const lagMax = metricValue(text, 'liandong_nodejs_eventloop_lag_max_seconds');
      const conns = await dbConnections();
      const sample: IntervalSample = {
        t: Math.round((now - t0) / 1000),
        rssMiB: MiB(rssBytes(hub.pid)),
        heapMiB: heap === null ? null : MiB(heap),
        eventLoopP99Ms: lagP99 === null ? null : round1(lagP99 * 1000),
        eventLoopMaxMs: lagMax === null ? null : round1(lagMax * 1000),
        fds: fdCount(hub.pid),
        dbConnections: conns?.all ?? null,
        dbBackgroundConnections: conns?.background ?? null,
        liveSubscribers: metricValue(text, 'liandong_live_subscribers'),
        kinds,
        skipped: b.skipped,
        notedEvents: b.noted,
        expectedDeliveries: b.noted * caseEventSubs,
        deliveries: rec - prev.received,
        syncsDone: counters.syncsDone - prev.syncsDone,
        syncsFailed: counters.syncsFailed - prev.syncsFailed,
        pushes: pushes - prev.pushes,
        hubCpuPercent: Math.round(((cpu - prev.cpu) / ((now - prev.at) / 1000)) * 100),
        load1: loadAverage()[0] ?? 0,
      };
      prev = { received: rec, syncsDone: counters.syncsDone, syncsFailed: counters.syncsFailed, pushes, cpu, at: now };
      samples.push(sample);
      progress(`soak ${sample.t}s: RSS ${sample.rssMiB} MiB, heap ${sample.heapMiB ?? '–'} MiB, loop p99/max ${sample.eventLoopP99Ms ?? '–'}/${sample.eventLoopMaxMs ?? '–'} ms, fds ${sample.fds}, db conns ${sample.dbConnections ?? '–'} (background ${sample.dbBackgroundConnections ?? '–'}), `
        + `${KINDS.map((kd) => `${kd} ${kinds[kd].n} p50/p99 ${kinds[kd].p50}/${kinds[kd].p99}`).join(', ')}; errors ${totals.unexpectedErrors}; `
        + `deliveries ${sample.deliveries}/${sample.expectedDeliveries}; syncs ${sample.syncsDone}${sample.syncsFailed ? ` (+${sample.syncsFailed} failed)` : ''}, pushes ${sample.pushes}; hub CPU ${sample.hubCpuPercent}%, load ${sample.load1}`);
    }
  } finally {
    // Also when a sample throws (the hub died): no new requests while everything is cleaned up.
    stopping = true;
    offInterrupt();
  }
  await Promise.allSettled(tickers);
  await Promise.allSettled([...pending]);
  checkInterrupted();
  // The last events' deliveries may still be on their way.
  const expected = notedAcked * caseEventSubs;
  for (const until = Date.now() + 30_000; received() < expected && Date.now() < until;) await sleep(500);
  await sleep(1500);
  const closeReasons: Record<string, number> = {};
  for (const c of clients) for (const [k, v] of Object.entries(c.state.closeReasons)) closeReasons[k] = (closeReasons[k] ?? 0) + v;
  const deliveries = { expected, received: received(), closed: clients.reduce((s, c) => s + c.state.closed, 0), closeReasons };
  for (const c of clients) c.child.send({ stop: true });
  await sleep(300);
  for (const c of clients) c.child.kill('SIGKILL');
  totals.flows = flows;
  load.after = loadAverage();
  const statements = pgClient ? await longestStatements(pgClient, databaseName) : null;
  for (const list of Object.values(slowest)) {
    for (const r of list) {
      const [from, to] = r.span!;
      // A line logged during the request reaches the pipe a little after it.
      const during = hubLines.filter((l) => l.at >= from && l.at <= to + 50).map((l) => l.msg);
      const counted = new Map<string, number>();
      for (const m of during) counted.set(m, (counted.get(m) ?? 0) + 1);
      r.hubLog = [...counted].map(([m, n]) => (n > 1 ? `${m} ×${n}` : m)).join('; ') || 'nothing';
      delete r.span;
    }
  }
  await hub.stop();
  if (isInterrupted()) checkInterrupted();

  const result: SoakResult = {
    options: opts, intervalS, warmupS, syncIntervalS, samples, totals, deliveries,
    subscribers: { caseEvents: caseEventSubs, dashboard: opts.subscribers - caseEventSubs, joinSeconds },
    hubErrorLogLines: counters.errorLines, firstErrorLogLine: counters.firstErrorLine, firstSyncSeconds, people: people.length, postgres,
    slowest, statements, verdicts: [], load,
  };
  result.verdicts = judgeSoak(result);
  for (const v of result.verdicts) progress(`soak: ${v.pass ? 'PASS' : 'FAIL'} ${v.criterion}: ${v.detail}`);
  for (const k of KINDS) progress(`soak: slowest ${k}: ${slowest[k].map((x) => `${x.t} s ${x.ms} ms ${x.variables} [hub logged: ${x.hubLog}]`).join(' | ')}`);
  for (const x of statements ?? []) progress(`soak: statement max ${x.maxMs} ms, mean ${x.meanMs} ms, ${x.calls} calls: ${x.query}`);
  return result;
}

/** Keeps the SLOWEST_KEPT slowest, slowest first. */
function keepSlowest(list: SlowRequest[], r: SlowRequest): void {
  if (list.length === SLOWEST_KEPT && r.ms <= list[list.length - 1]!.ms) return;
  list.push(r);
  list.sort((a, b) => b.ms - a.ms);
  list.length = Math.min(list.length, SLOWEST_KEPT);
}

async function longestStatements(client: pg.Client, database: string | null): Promise<StatementStat[]> {
  const r = await client.query<{ query: string; calls: string; mean: number; max: number }>(
    `select query, calls::text, mean_exec_time as mean, max_exec_time as max from pg_stat_statements
      where dbid = (select oid from pg_database where datname = $1) and query not ilike '%pg_stat%'
      order by max_exec_time desc limit 8`, [database]);
  return r.rows.map((row) => ({ query: row.query.replace(/\s+/g, ' ').slice(0, 140), calls: Number(row.calls), meanMs: round1(row.mean), maxMs: round1(row.max) }));
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function judgeSoak(r: SoakResult): Verdict[] {
  const after = r.samples.filter((s) => s.t > r.warmupS);
  const verdicts: Verdict[] = [];
  if (after.length < 2) {
    return [{ criterion: 'enough samples', pass: false, detail: `${after.length} samples after the warm-up; at least 2 are needed to judge` }];
  }
  // 1. RSS flat after the warm-up.
  const xs = after.map((s) => s.t / 60);
  const rss = after.map((s) => s.rssMiB);
  const first = rss[0]!;
  const last = rss.at(-1)!;
  const perMin = slope(xs, rss);
  const span = xs.at(-1)! - xs[0]!;
  const trendPct = ((perMin * span) / first) * 100;
  const lastPct = ((last - first) / first) * 100;
  verdicts.push({
    criterion: 'resident memory flat after the warm-up (no rise beyond 10%: least-squares trend over the span, and last vs first)',
    pass: trendPct <= 10 && lastPct <= 10,
    detail: `RSS ${first} → ${last} MiB (${lastPct >= 0 ? '+' : ''}${lastPct.toFixed(1)}%); least-squares slope ${perMin >= 0 ? '+' : ''}${perMin.toFixed(2)} MiB/min, ${trendPct >= 0 ? '+' : ''}${trendPct.toFixed(1)}% over the ${span.toFixed(1)} min after the warm-up`,
  });
  // 2. No unexpected errors (requests, hub error log lines, subscribers dropped, deliveries missed).
  const errorList = Object.entries(r.totals.errors).map(([k, v]) => `${v.n} ${k}${v.first ? ` ("${v.first}")` : ''}`).join('; ');
  const missed = r.deliveries.expected - r.deliveries.received;
  verdicts.push({
    criterion: '0 errors not of the load\'s making',
    pass: r.totals.unexpectedErrors === 0 && r.deliveries.closed === 0 && missed <= 0,
    detail: `${r.totals.unexpectedErrors} unexpected request errors${errorList ? ` (${errorList})` : ''}, ${r.totals.expectedErrors} expected; `
      + `${r.deliveries.received} of ${r.deliveries.expected} subscriber deliveries of the noted case events; ${r.deliveries.closed} subscriber sockets closed; `
      + `${r.hubErrorLogLines} error lines in the hub's log${r.firstErrorLogLine ? ` (first: ${r.firstErrorLogLine.slice(0, 160)})` : ''}`,
  });
  // 3. p99 stable: per kind, the worst interval's p99 within 2× the median interval p99.
  const kindParts: string[] = [];
  let p99ok = true;
  for (const kind of KINDS) {
    const p99s = after.filter((s) => s.kinds[kind].n > 0).map((s) => s.kinds[kind].p99);
    if (!p99s.length) continue;
    const med = median(p99s);
    const max = Math.max(...p99s);
    // Below 20 ms a doubling is one scheduler hiccup on a shared machine, not instability.
    const ok = max <= Math.max(2 * med, 20);
    p99ok &&= ok;
    kindParts.push(`${kind} median ${med.toFixed(1)} ms, max ${max.toFixed(1)} ms (${(max / Math.max(med, 0.1)).toFixed(2)}×)${ok ? '' : ' ✗'}`);
  }
  verdicts.push({ criterion: 'p99 stable: every interval\'s p99 ≤ 2× the median interval p99 (or ≤ 20 ms), per kind', pass: p99ok, detail: kindParts.join('; ') });
  // 4. Descriptors and database connections flat.
  const fds = after.map((s) => s.fds);
  const fdBand = Math.max(20, Math.round(0.02 * median(fds)));
  const fdSpread = Math.max(...fds) - Math.min(...fds);
  const conns = after.map((s) => s.dbConnections).filter((c): c is number => c !== null);
  const connSpread = conns.length ? Math.max(...conns) - Math.min(...conns) : 0;
  // The ceiling is both pools' max, the most the hub may open, plus the same margin as before.
  const connOk = !conns.length || (Math.max(...conns) <= POOL_MAX + BACKGROUND_POOL_MAX + 5 && connSpread <= 5);
  verdicts.push({
    criterion: `file descriptors (max − min ≤ ${fdBand}) and database connections of both pools (max − min ≤ 5, never above the pools' ${POOL_MAX} + ${BACKGROUND_POOL_MAX}, + 5) flat`,
    pass: fdSpread <= fdBand && connOk,
    detail: `fds ${Math.min(...fds)}–${Math.max(...fds)} (spread ${fdSpread}); ${conns.length ? `connections ${Math.min(...conns)}–${Math.max(...conns)} (spread ${connSpread})` : 'connections: not applicable on PGlite (embedded, no server connections)'}`,
  });
  return verdicts;
}

const fmt = (v: number | null) => (v === null ? '–' : String(v));

/**
 * Where the scheduled syncs fell, after the warm-up, and the intervals with syncs against those
 * without. Every connector has the same intervalSeconds; the scheduler spreads their phases
 * over it (firstRunOffsets in src/sync), so with samples shorter than the interval most of them
 * hold a sync or two rather than half of them all seven.
 */
function syncContrast(r: SoakResult): string[] {
  const after = r.samples.filter((s) => s.t > r.warmupS);
  const runs = (s: IntervalSample) => s.syncsDone + s.syncsFailed;
  const withSyncs = after.filter((s) => runs(s) > 0);
  const without = after.filter((s) => runs(s) === 0);
  if (!after.length) return [];
  const p99 = (group: IntervalSample[], kind: Kind) => median(group.filter((s) => s.kinds[kind].n > 0).map((s) => s.kinds[kind].p99)).toFixed(0);
  const range = (values: number[]) => (values.length ? `${Math.min(...values)}–${Math.max(...values)}` : '–');
  const conns = (group: IntervalSample[]) => range(group.map((s) => s.dbConnections).filter((c): c is number => c !== null));
  const background = range(after.map((s) => s.dbBackgroundConnections).filter((c): c is number => c !== null));
  const where = `Scheduled syncs: every connector has intervalSeconds ${r.syncIntervalS}, their first runs spread over it by the scheduler; `
    + `syncs finished in ${withSyncs.length} of the ${after.length} intervals after the warm-up (${range(after.map(runs))} per interval)`
    + `${r.options.store === 'postgres' ? `; background pool connections ${background}` : ''}.`;
  if (!withSyncs.length || !without.length) return [where];
  return [
    `${where} Median interval p99 with syncs / without, ms: ${KINDS.map((k) => `${k} ${p99(withSyncs, k)} / ${p99(without, k)}`).join(', ')}; `
      + `hub event-loop p99 ${range(withSyncs.map((s) => s.eventLoopP99Ms ?? 0))} / ${range(without.map((s) => s.eventLoopP99Ms ?? 0))} ms`
      + `${r.options.store === 'postgres' ? `; database connections ${conns(withSyncs)} / ${conns(without)}` : ''}.`,
  ];
}

export function renderSoakSection(r: SoakResult, machine: Machine, date: string, command: string): string {
  const o = r.options;
  const minutes = (s: number) => (s % 60 === 0 ? `${s / 60} min` : `${s} s`);
  const allPass = r.verdicts.every((v) => v.pass);
  const lines = [
    '<!-- bench:soak:start -->',
    '## Soak: steady mixed load (issue 13, part 3)',
    '',
    `${minutes(o.durationS)} of steady mixed load on one hub: \`liandong start\` in its own process (NODE_ENV=production, LOG_LEVEL=info) on ${o.store === 'postgres' ? `a throwaway PostgreSQL server (${r.postgres ?? 'PostgreSQL'}, fsync off), request pool max ${POOL_MAX} and background pool max ${BACKGROUND_POOL_MAX}` : 'embedded PGlite (DATA_DIR in a temp directory)'}, over the generated \`${o.scale}\` district (seed ${o.seed}, ${r.people.toLocaleString('en-US')} people) served by the seven simulated department systems. The simulators run in a process of their own and are named in a CONNECTORS_FILE, as real departments are, so that each connector's \`intervalSeconds\` can be set to ${r.syncIntervalS} s (the built-in defaults are 10–60 min); they change ${CHANGE_COUNT} records in every department every ${CHANGE_EVERY_MS / 1000} s, and the police simulator pushes a live 110 call to \`/webhooks/police\` every ${INCIDENT_INTERVAL_MS / 1000} s. The first sync (${r.firstSyncSeconds} s to serving) is before the measured run.`,
    '',
    `- Load, open loop at fixed rates (not max throughput): ${RATES.profile} person profiles/s (the person-profile query, a different person each), ${RATES.people} people page/s (\`people(first: 50, after:)\`), ${RATES.search} searches/s (50 mixed queries), and a case flow every ${1 / RATES.flow} s: \`reportCase\` with an idempotency key, \`dispatchCase\` to environment, then as the department's staff \`acceptDispatch\`, \`startDispatch\`, \`completeDispatch\`, and \`recordFeedback\`, \`closeCase\` (7 mutations, so open cases stay level). At most ${MAX_IN_FLIGHT} requests of a kind in flight (${r.totals.skipped} due requests were skipped for it). Requests carry \`x-purpose\`, so person reads are audited.`,
    `- ${o.subscribers.toLocaleString('en-US')} WebSocket subscribers in 2 client processes (bench/lib/subscriberClients.ts): ${r.subscribers.caseEvents} on \`caseEvents(filter: { category: "${CATEGORY}" })\`, ${r.subscribers.dashboard} on \`dashboard\`; joined in ${r.subscribers.joinSeconds} s. Deliveries are counted for the dispatch and accept events (they carry a note the clients match); "expected" is those acknowledged × ${r.subscribers.caseEvents}.`,
    `- Sampled every ${r.intervalS} s: the hub's RSS (/proc/<pid>/status VmRSS), V8 heap used and event-loop lag p99 (prom-client's metrics on /metrics; the lag is over the interval), open descriptors (/proc/<pid>/fd), ${o.store === 'postgres' ? `the hub's connections of both pools (pg_stat_activity, application_name '${APPLICATION_NAME.requests}' and, in brackets, '${APPLICATION_NAME.background}')` : 'no database connections (embedded)'}, latencies per kind over the interval. Warm-up: the first ${r.warmupS} s (20%); the verdicts judge the samples after it.`,
    `- Date: ${date}`,
    `- Command: \`${command}\``,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; Node ${machine.node}; ${machine.os}`,
    // Judged by the load during the measured run: the soak's own processes keep the 1-min load
    // near 0.2 on 2 cores, so a median of 1 or more is other work's. The load at the start can
    // still be the decay of what ran just before (a CI run), gone a minute later.
    sharedLoad(r) >= 1
      ? `- **Shared machine:** other work ran on the same ${machine.cores} cores (median 1-min load ${sharedLoad(r)} after the warm-up; load average ${r.load.before.join(', ')} before the soak started anything, ${r.load.after.join(', ')} at the end; the table's last column is the 1-min load at each sample). Latencies include that contention.`
      : `- The machine was otherwise quiet: median 1-min load ${sharedLoad(r)} after the warm-up, the soak's own processes included (load average ${r.load.before.join(', ')} before the soak started anything, ${r.load.after.join(', ')} at the end).`,
    '',
    `**Verdicts (${allPass ? 'all PASS' : 'not all PASS'}):**`,
    '',
    ...r.verdicts.map((v) => `- **${v.pass ? 'PASS' : 'FAIL'}** ${v.criterion}: ${v.detail}.`),
    '',
    '| t s | RSS MiB | heap MiB | loop p99 ms | fds | db conns | subs | profile n, p50 / p99 ms | people n, p50 / p99 | search n, p50 / p99 | mutations n, p50 / p99 | errors | deliveries / expected | syncs | pushes | hub CPU % | load |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---:|---|---:|---:|---:|---:|',
  ];
  for (const s of r.samples) {
    const k = (kind: Kind) => `${s.kinds[kind].n}, ${s.kinds[kind].p50} / ${s.kinds[kind].p99}`;
    const errors = KINDS.reduce((a, kind) => a + s.kinds[kind].errors, 0);
    lines.push(`| ${s.t}${s.t <= r.warmupS ? ' (warm-up)' : ''} | ${s.rssMiB} | ${fmt(s.heapMiB)} | ${fmt(s.eventLoopP99Ms)} | ${s.fds} | ${fmt(s.dbConnections)}${s.dbBackgroundConnections === null ? '' : ` (${s.dbBackgroundConnections})`} | ${fmt(s.liveSubscribers)} | ${k('profile')} | ${k('people')} | ${k('search')} | ${k('mutation')} | ${errors} | ${s.deliveries} / ${s.expectedDeliveries} | ${s.syncsDone}${s.syncsFailed ? ` (+${s.syncsFailed} failed)` : ''} | ${s.pushes} | ${s.hubCpuPercent} | ${s.load1} |`);
  }
  const t = r.totals.requests;
  lines.push('', ...syncContrast(r));
  lines.push(
    '',
    `Slowest requests after the warm-up (t s: ms): ${KINDS.map((k) => `${k} ${r.slowest[k].map((x) => `${x.t}: ${x.ms}`).join(', ') || '–'}`).join('; ')}.`,
    ...(r.statements?.length ? ['', 'Longest single executions over the run (pg_stat_statements, this database): ' + r.statements.map((x) => `${x.maxMs} ms max, ${x.meanMs} ms mean, ${x.calls} calls: \`${x.query.replace(/`/g, "'")}\``).join('; ') + '.'] : []),
    '',
    `Totals: ${t.profile} profiles, ${t.people} people pages, ${t.search} searches, ${t.mutation} mutations (${r.totals.flows} whole case flows); ${r.deliveries.received} of ${r.deliveries.expected} expected deliveries after a drain of up to 30 s (a delivery that lands just after a sample counts in the next interval); subscriber sockets closed: ${r.deliveries.closed}${Object.keys(r.deliveries.closeReasons).length ? ` (${JSON.stringify(r.deliveries.closeReasons)})` : ''}.`,
    '',
    'The judging (bench/soak.ts, `judgeSoak`): RSS after the warm-up, least-squares slope × the span and last − first, each at most +10% of the first sample after the warm-up; errors: every request error (the load provokes none), any subscriber socket closed and any expected delivery missing; p99 per kind: the largest interval p99 (nearest rank, over the 200–240 requests of that kind in the interval, so not merely its slowest request) at most twice the median interval p99 (or at most 20 ms); descriptors: max − min within max(20, 2% of the median); connections (both pools): max − min ≤ 5 and never above the two pools’ max plus 5. A report, not a test: it prints the verdicts and writes them here.',
    '<!-- bench:soak:end -->',
  );
  return lines.join('\n');
}
