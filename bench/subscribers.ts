/**
 * Live subscribers at scale (issue 5): one hub instance (bench/lib/liveHub.ts, its own process,
 * on the throwaway PostgreSQL server with the LISTEN/NOTIFY bus) holding N WebSocket
 * subscribers of `caseEvents`, held by client processes (bench/lib/subscriberClients.ts); a
 * stream of case events written through the hub; latency from the start of each write to its
 * delivery at every subscriber, and the hub's resident memory per subscriber. Run twice: with
 * the engine's shared execution (one execution and one serialization per distinct
 * subscription) and with execution per subscriber, as a plain graphql-ws server does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localKeys } from '../src/auth/tokens.js';
import { loadServedWorld } from './lib/world.js';
import { migrateToLatest, openDatabase } from '../src/store/db.js';
import { createTestDatabase } from '../tools/servers/postgres.js';
import { track } from './lib/cleanup.js';
import { LIVE_HUB_ISSUER, nodeCommand, startLiveHub } from './lib/liveHubProcess.js';
import type { Machine } from './lib/report.js';
import { cpuSecondsOf, measureCpu, type CpuShare } from './lib/cpu.js';
import type { BenchContext } from './lib/targets.js';
import { progress, projectRoot } from './lib/util.js';

export interface SubscribersBenchOptions {
  subscribers: number;
  events: number;
  /** Events per second. */
  rate: number;
  /** Distinct subscription documents the subscribers rotate over. */
  distinct: number;
  /** Client processes holding the sockets. */
  clientProcesses: number;
  /**
   * Subscriptions each socket carries (graphql-ws multiplexes them): beyond one, how a hub
   * whose process may not open a socket per subscriber still serves that many subscriptions.
   */
  perSocket: number;
  /** Events for the per-subscriber baseline (it is slow; fewer keep the run short). */
  baselineEvents: number;
  /**
   * Processors for the hub and for the client processes (taskset lists), or null to let them
   * share every core. On two cores: the hub on one, the clients on the other.
   */
  pin: { hub: string; clients: string } | null;
  /** A built checkout (its dist/) whose hub is measured first, in the same run, as "before". */
  before: string | null;
  /** With `before`: this many rounds of before then shared (default 1). */
  rounds?: number;
  /** A built checkout whose hub stands in for this one's (for A/B runs of the whole bench). */
  hub?: string | null;
}

export interface VariantResult {
  /** shared, per-subscriber, or before (the hub of opts.before, shared). */
  label: string;
  execution: 'shared' | 'per-subscriber';
  subscribers: number;
  events: number;
  deliveries: number;
  expected: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * The hub's CPU time while events flowed, per delivery (µs): what one subscriber costs per
   * event, keep-alive pings included. Steadier than latency on a loaded machine.
   */
  hubCpuUsPerDelivery: number;
  /** The client processes' CPU per delivery (µs). */
  clientCpuUsPerDelivery: number;
  /** Median over events of the first delivery's latency: the mutation, NOTIFY, the log read and one execution. */
  firstMs: number;
  /** Median over events of last delivery minus first: the fan-out to every socket. */
  spreadMs: number;
  /** The latest delivery of the slowest event. */
  slowestEventMs: number;
  connectSeconds: number;
  rssBeforeMiB: number;
  rssSubscribedMiB: number;
  rssAfterMiB: number;
  kibPerSubscriber: number;
  closeReasons: Record<string, number>;
  /** Mutations that failed (their events are not expected). */
  failedWrites: string[];
  /** CPU while events were written and delivered, percent of one core. */
  cpu: CpuShare[];
}

export interface SubscribersBenchResult {
  options: SubscribersBenchOptions;
  variants: VariantResult[];
  document: string;
  postgres: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const MiB = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

/** The subscription every client runs, in `distinct` variants (only the operation name differs). */
export function benchDocument(k: number): string {
  return `subscription Bench${k} { caseEvents(filter: { category: "city.construction_waste" }) { cursor event { type actor at note } } }`;
}

interface ClientState { connected: number; subscribed: number; received: number; closed: number; closeReasons: Record<string, number> }

/** Descriptors a process holding `sockets` needs (and some for files, the database, the IPC). */
const openFilesFor = (sockets: number) => sockets + 512;

/** The open-file limits of processes started from here: [soft, hard]. */
function openFileLimits(): [number, number] {
  const read = (flag: string) => Number(execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim()) || Infinity;
  return [read('-Sn'), read('-Hn')];
}

/** The limit to raise a process to for `sockets`, or undefined when the soft one will do; fails when the hard one will not. */
function raisedOpenFiles(sockets: number, who: string): number | undefined {
  const [soft, hard] = openFileLimits();
  const needed = openFilesFor(sockets);
  if (needed <= soft) return undefined;
  if (needed > hard) {
    throw new Error(`${who} would hold ${sockets} sockets, but a process here may open at most ${hard} files (hard limit): use --subscriptions-per-socket or more client processes`);
  }
  return needed;
}

/**
 * Source addresses for the clients' sockets: one per 10,000, from 127.0.0.2, well below the
 * ~28,000 ephemeral ports of one, and leaving 127.0.0.1's to the database and the mutations.
 */
const localAddresses = (sockets: number) => Array.from({ length: Math.max(1, Math.ceil(sockets / 10_000)) }, (_, i) => `127.0.0.${i + 2}`);

let nextSeq = 0;

interface Variant { label: string; execution: VariantResult['execution']; entry?: string }

async function runVariant(databaseUrl: string, gridId: string, variant: Variant, events: number, opts: SubscribersBenchOptions): Promise<VariantResult> {
  const { label, execution } = variant;
  // Numbers no earlier run used: a hub's tailer starts at the log's settled head, so a new hub
  // may still deliver the last events of the run before it, and those must not count.
  const firstSeq = nextSeq;
  nextSeq += events;
  const sockets = opts.subscribers / opts.perSocket;
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : { [key]: value } as Record<K, V>);
  const secret = randomBytes(32).toString('hex');
  const token = await localKeys(new TextEncoder().encode(secret), LIVE_HUB_ISSUER).sign({ subject: 'bench', role: 'district-admin' });
  const hub = await startLiveHub({
    databaseUrl, jwtSecret: secret, env: { LIVE_EXECUTION: execution, LOG_LEVEL: 'error' },
    // Node's flags for the hub, e.g. --cpu-prof or --heapsnapshot-signal=SIGUSR2 (NODE_OPTIONS refuses the first).
    nodeArgs: process.env.LIVE_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    ...optional('maxOpenFiles', raisedOpenFiles(sockets, 'the hub')),
    ...(opts.pin ? { cpus: opts.pin.hub } : {}),
    ...(variant.entry ? { entry: variant.entry } : {}),
  });
  const stopHub = track(`live hub (${label})`, () => hub.stop());
  const clients: Array<{ child: ChildProcess; state: ClientState }> = [];
  try {
    await sleep(1000);
    const rssBefore = rssBytes(hub.pid);
    const entry = join(projectRoot(), 'dist', 'bench', 'lib', 'subscriberClients.js');
    const per = Math.ceil(sockets / opts.clientProcesses);
    const started = Date.now();
    for (let p = 0; p < opts.clientProcesses; p++) {
      const count = Math.min(per, sockets - p * per);
      const [command, ...args] = nodeCommand([entry], { ...optional('maxOpenFiles', raisedOpenFiles(count, `client process ${p}`)), ...(opts.pin ? { cpus: opts.pin.clients } : {}) });
      const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      track(`subscriber clients ${p}`, async () => { child.kill('SIGKILL'); }, () => child.kill('SIGKILL'));
      const client = { child, state: { connected: 0, subscribed: 0, received: 0, closed: 0, closeReasons: {} } };
      child.on('message', (m: Partial<ClientState>) => { if (m.connected !== undefined) client.state = { ...client.state, ...m }; });
      child.send({ config: { url: hub.url, token, queries: Array.from({ length: opts.distinct }, (_, k) => benchDocument(k)), count, offset: p * per, wave: 250, localAddresses: localAddresses(sockets), perSocket: opts.perSocket, firstSeq } });
      clients.push(client);
    }
    const metric = async (name: string) => Number(new RegExp(`${name} (\\d+)`).exec(await (await fetch(hub.url.replace('/graphql', '/metrics'))).text())?.[1] ?? 0);
    for (let last = -1; ;) {
      const joined = await metric('liandong_live_subscribers');
      if (joined >= opts.subscribers) break;
      if (joined !== last) progress(`${label}: ${joined} of ${opts.subscribers} subscribers joined`);
      last = joined;
      const limitMs = Math.max(300_000, opts.subscribers * 10);
      if (Date.now() - started > limitMs) throw new Error(`only ${joined} of ${opts.subscribers} subscribers joined in ${Math.round(limitMs / 1000)} s`);
      await sleep(1000);
    }
    const connectSeconds = (Date.now() - started) / 1000;
    await sleep(2000);
    const rssSubscribed = rssBytes(hub.pid);
    progress(`${label}: ${opts.subscribers} subscribers in ${connectSeconds.toFixed(1)} s (${await metric('liandong_live_groups')} groups); hub RSS ${MiB(rssBefore)} → ${MiB(rssSubscribed)} MiB; writing ${events} case events at ${opts.rate}/s`);

    const cpuDone = measureCpu([
      { label: 'hub', pids: () => [hub.pid] },
      { label: 'subscriber clients', pids: () => clients.map((c) => c.child.pid ?? -1) },
    ], 'PostgreSQL and other processes');
    const clientPids = () => clients.map((c) => c.child.pid ?? -1);
    const cpuAtStart = { hub: cpuSecondsOf([hub.pid]), clients: cpuSecondsOf(clientPids()) };
    const startedAt: Record<string, number> = {};
    const failedWrites: string[] = [];

    const writes: Array<Promise<void>> = [];
    const t0 = Date.now();
    for (let i = 0; i < events; i++) {
      const due = t0 + (i * 1000) / opts.rate;
      if (due > Date.now()) await sleep(due - Date.now());
      // Handled at once: a rejection left for later would end the whole bench, and leave the hub running.
      const seq = firstSeq + i;
      writes.push(hub.report({ gridId, category: 'city.construction_waste', title: `bench ${seq}`, note: `bench-${seq}` }).then(
        (r) => { startedAt[String(seq)] = r.startedAt; },
        (err: unknown) => { failedWrites.push(`event ${i}: ${(err as Error).message}`); },
      ));
    }
    await Promise.all(writes);
    if (failedWrites.length) progress(`${label}: ${failedWrites.length} of ${events} mutations failed (${failedWrites.slice(0, 3).join('; ')})`);
    const expected = (events - failedWrites.length) * opts.subscribers;
    const deadline = Date.now() + 120_000;
    while (clients.reduce((s, c) => s + c.state.received, 0) < expected && Date.now() < deadline) {
      if (clients.every((c) => c.state.closed >= c.state.connected && c.state.connected > 0)) break;
      await sleep(500);
    }
    const cpu = cpuDone().filter((c) => c.label !== 'load generator');
    const cpuUsed = { hub: cpuSecondsOf([hub.pid]) - cpuAtStart.hub, clients: cpuSecondsOf(clientPids()) - cpuAtStart.clients };
    await sleep(1000);
    const rssAfter = rssBytes(hub.pid);
    let latencies: number[] = [];
    const perEvent = new Map<string, [number, number]>();
    for (const c of clients) {
      const answer = await new Promise<{ latencies: number[]; events: Record<string, [number, number]> }>((resolve) => {
        c.child.on('message', (m: { latencies?: number[]; events?: Record<string, [number, number]> }) => {
          if (m.latencies) resolve({ latencies: m.latencies, events: m.events ?? {} });
        });
        c.child.send({ startedAt });
      });
      // concat, not push(...): half a million arguments overflow the stack.
      latencies = latencies.concat(answer.latencies);
      for (const [seq, [first, last]] of Object.entries(answer.events)) {
        const seen = perEvent.get(seq);
        perEvent.set(seq, seen ? [Math.min(seen[0], first), Math.max(seen[1], last)] : [first, last]);
      }
    }
    latencies.sort((a, b) => a - b);
    const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
    const median = (values: number[]) => Math.round(values.sort((a, b) => a - b)[values.length >> 1] ?? NaN);
    const firsts = [...perEvent.values()].map(([first]) => first);
    const spreads = [...perEvent.values()].map(([first, last]) => last - first);
    const closeReasons: Record<string, number> = {};
    for (const c of clients) for (const [k, v] of Object.entries(c.state.closeReasons)) closeReasons[k] = (closeReasons[k] ?? 0) + v;
    const result: VariantResult = {
      label, execution, subscribers: opts.subscribers, events, deliveries: latencies.length, expected, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: Math.round(latencies.at(-1) ?? NaN),
      hubCpuUsPerDelivery: Math.round((cpuUsed.hub * 1e6 * 10) / Math.max(1, latencies.length)) / 10,
      clientCpuUsPerDelivery: Math.round((cpuUsed.clients * 1e6 * 10) / Math.max(1, latencies.length)) / 10,
      firstMs: median(firsts), spreadMs: median(spreads), slowestEventMs: Math.round(Math.max(...[...perEvent.values()].map(([, last]) => last))),
      connectSeconds, rssBeforeMiB: MiB(rssBefore), rssSubscribedMiB: MiB(rssSubscribed), rssAfterMiB: MiB(rssAfter),
      kibPerSubscriber: Math.round(((rssSubscribed - rssBefore) / opts.subscribers / 1024) * 10) / 10, closeReasons, failedWrites, cpu,
    };
    progress(`${label}: ${result.deliveries}/${expected} deliveries, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms (per event, median: first delivery ${result.firstMs} ms, fan-out ${result.spreadMs} ms); hub CPU ${result.hubCpuUsPerDelivery} µs per delivery; ${result.kibPerSubscriber} KiB per subscriber`);
    return result;
  } finally {
    for (const c of clients) {
      c.child.send({ stop: true });
    }
    await sleep(500);
    for (const c of clients) c.child.kill('SIGKILL');
    await stopHub();
  }
}

export async function benchSubscribers(ctx: BenchContext, opts: SubscribersBenchOptions): Promise<SubscribersBenchResult> {
  if (opts.subscribers % opts.perSocket !== 0) throw new Error(`--subscribers (${opts.subscribers}) must be a multiple of --subscriptions-per-socket (${opts.perSocket})`);
  const server = await ctx.postgresServer();
  const testDb = await createTestDatabase(server.url);
  track(`database ${testDb.name}`, () => testDb.drop());
  const db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 2 });
  let gridId: string;
  let postgres: string;
  try {
    await migrateToLatest(db.knex);
    await loadServedWorld('subscribers', db);
    const grid: { id: string } = await db.knex('grid').orderBy('id').first('id');
    gridId = String(grid.id);
    const version: { rows: Array<{ v: string }> } = await db.knex.raw('select version() as v');
    postgres = version.rows[0]?.v.split(' on ')[0] ?? 'PostgreSQL';
  } finally {
    await db.close();
  }
  const variants: VariantResult[] = [];
  const hubEntry = (checkout: string) => join(checkout, 'dist', 'bench', 'lib', 'liveHub.js');
  const rounds = opts.before ? opts.rounds ?? 1 : 1;
  for (let round = 1; round <= rounds; round++) {
    // Before and after in turn, round by round: the other work on the machine drifts, and a
    // ratio of neighbours is fairer than one of two distant runs.
    const suffix = rounds > 1 ? ` #${round}` : '';
    if (opts.before) variants.push(await runVariant(testDb.url, gridId, { label: `before${suffix}`, execution: 'shared', entry: hubEntry(opts.before) }, opts.events, opts));
    variants.push(await runVariant(testDb.url, gridId, { label: `shared${suffix}`, execution: 'shared', ...(opts.hub ? { entry: hubEntry(opts.hub) } : {}) }, opts.events, opts));
  }
  if (opts.baselineEvents > 0) variants.push(await runVariant(testDb.url, gridId, { label: 'per-subscriber', execution: 'per-subscriber' }, opts.baselineEvents, opts));
  return { options: opts, variants, document: benchDocument(0), postgres };
}

/** The machine is shared with whatever else runs; say so when that was a lot. */
function busyCaveat(variants: VariantResult[]): string[] {
  const busy = variants.map((v) => ({ v, others: v.cpu.find((c) => c.label.includes('other processes'))?.percent ?? 0 })).filter((b) => b.others >= 50);
  if (!busy.length) return [];
  return [`- **Not an idle machine:** other processes (PostgreSQL's share is small: one insert per event; the rest is other engineers' work on this machine) used ${busy.map((b) => `${fmt(b.others)}% of a core during ${b.v.label}`).join(', ')}; the hub waited for CPU, and these latencies are higher than the hub alone gives.`];
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The BENCHMARKS.md section of a run: the default 10,000 pinned apart, and one of its own for
 * every other count and for shared cores, so that a 50,000 run does not replace the 10,000 one.
 */
export function subscribersSectionName(o: SubscribersBenchOptions): string {
  return `live-subscribers${o.subscribers === 10_000 ? '' : `-${o.subscribers}`}${o.pin ? '' : '-shared-cores'}`;
}

export function renderSubscribersSection(result: SubscribersBenchResult, machine: Machine, date: string): string {
  const o = result.options;
  const rows = result.variants.map((v) => `| ${v.label} | ${fmt(v.subscribers)} | ${v.events} | ${fmt(v.deliveries)} / ${fmt(v.expected)} | ${fmt(v.p50Ms)} | ${fmt(v.p99Ms)} | ${fmt(v.maxMs)} | ${fmt(v.firstMs)} | ${fmt(v.spreadMs)} | ${fmt(v.hubCpuUsPerDelivery, 1)} | ${v.rssBeforeMiB} → ${v.rssSubscribedMiB} (${v.rssAfterMiB} after) | ${v.kibPerSubscriber} | ${Object.entries(v.closeReasons).map(([k, n]) => `${n}× ${k}`).join(', ') || 'none'} |`);
  const shared = result.variants.find((v) => v.label.startsWith('shared'));
  const baseline = result.variants.find((v) => v.label === 'per-subscriber');
  const before = result.variants.find((v) => v.label.startsWith('before'));
  const pairs = result.variants.flatMap((v, i) => (v.label.startsWith('before') && result.variants[i + 1]?.label.startsWith('shared') ? [[v, result.variants[i + 1]!] as const] : []));
  const medianOf = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1] ?? NaN;
  const pairRatio = (f: (v: VariantResult) => number) => {
    const each = pairs.map(([b, a]) => f(b) / Math.max(1e-9, f(a)));
    return `${fmt(medianOf([...each]), 1)}×${each.length > 1 ? ` (${each.map((r) => fmt(r, 1)).join(', ')})` : ''}`;
  };
  const ratio = (a: number, b: number) => fmt(a / Math.max(1, b), 1);
  const placement = o.pin
    ? `The hub runs on processor ${o.pin.hub} and the client processes on ${o.pin.clients} (taskset); PostgreSQL and the bench's own process are not pinned.`
    : `Hub, PostgreSQL and clients share the ${machine.cores} cores (not pinned): the clients' own reading of ${fmt(o.subscribers)} messages per event competes with the hub.`;
  return [
    `<!-- bench:${subscribersSectionName(o)}:start -->`,
    `## Live subscribers${o.subscribers === 10_000 ? '' : `: ${fmt(o.subscribers)}`}${o.pin ? '' : ', clients sharing the hub\'s cores'} (issues 5 and 14)`,
    '',
    `${fmt(o.subscribers)} ${o.perSocket > 1 ? `subscriptions of \`caseEvents\` over ${fmt(Math.ceil(o.subscribers / o.perSocket))} WebSocket connections (${o.perSocket} each, as graphql-ws multiplexes them: a process here may open at most ${fmt(openFileLimits()[1])} files, so one hub process cannot hold a socket per subscriber)` : 'WebSocket subscribers of `caseEvents`'} on one hub instance, spread over ${o.distinct} distinct subscription documents (all as a district administrator, so every subscriber receives every event); ${o.events} cases reported through the hub at ${o.rate} per second. Latency runs from the moment the \`reportCase\` mutation is sent to the hub over HTTP (triage, the case, its event and outbox rows in one transaction, then NOTIFY) to the arrival of the message at each subscriber, over every delivery. Memory is the hub process's resident set before the subscribers connected and once all had subscribed.`,
    '',
    `- Date: ${date}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; Node ${machine.node}; ${machine.os}`,
    `- Setup: the hub is \`dist/bench/lib/liveHub.js\` (startHub with the LISTEN/NOTIFY bus) on ${result.postgres} (throwaway server, fsync off); subscribers are graphql-transport-ws over plain TCP sockets (bench/lib/subscriberClients.ts, a minimal WebSocket client, so that the load generator costs little per message) in ${o.clientProcesses} client processes. ${placement}`,
    ...busyCaveat(result.variants),
    `- shared: the live engine as it is: each event executed once per distinct subscription, its frame built once and written to every socket. ${before ? `before: the hub of an earlier build (${before.events} events, the same clients and database, in the same run). ` : ''}per-subscriber: the same engine executing and serializing for every subscriber, as a plain graphql-ws server does (the baseline).`,
    '',
    '| hub | subscribers | events | deliveries | p50 ms | p99 ms | max ms | first delivery ms | fan-out ms | hub CPU µs per delivery | hub RSS MiB | KiB per subscriber | closed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'First delivery and fan-out are medians over the events: the first is the latency of the earliest subscriber to get an event (the mutation, NOTIFY, reading the log, one execution), the fan-out is from that one to the last. Hub CPU per delivery is the hub process\'s CPU time while events flowed (keep-alive pings included) over the deliveries: the steadiest figure when other work shares the machine.',
    '',
    ...result.variants.map((v) => `- ${v.label}: CPU while events flowed (100% = one core): ${v.cpu.map((c) => `${c.label} ${fmt(c.percent)}%`).join(', ')}; clients ${fmt(v.clientCpuUsPerDelivery, 1)} µs per delivery; subscribers connected in ${fmt(v.connectSeconds, 1)} s.`),
    ...result.variants.filter((v) => v.failedWrites.length).map((v) => `- ${v.label}: ${v.failedWrites.length} of ${v.events} mutations failed (their deliveries are not expected): ${v.failedWrites.slice(0, 3).join('; ')}.`),
    ...(pairs.length ? ['', `Against before, in this run (before ÷ shared, the median over the ${pairs.length} pair${pairs.length > 1 ? 's, then each pair' : ''}): p50 ${pairRatio((v) => v.p50Ms)}, p99 ${pairRatio((v) => v.p99Ms)}, hub CPU per delivery ${pairRatio((v) => v.hubCpuUsPerDelivery)}, memory per subscriber ${pairRatio((v) => v.kibPerSubscriber)}.`] : []),
    ...(shared && baseline ? ['', `Sharing: p50 ${ratio(baseline.p50Ms, shared.p50Ms)}× and p99 ${ratio(baseline.p99Ms, shared.p99Ms)}× lower than per-subscriber execution.`] : []),
    '',
    'The subscription:',
    '',
    '```graphql',
    result.document,
    '```',
    `<!-- bench:${subscribersSectionName(o)}:end -->`,
  ].join('\n');
}
