/**
 * The search benchmark (issue 4): a canonical store at the chosen scale (the sync bench's
 * database, or one given with --search-database), a full rebuild through SearchIndexer.rebuild
 * into a real Elasticsearch node and into the PostgreSQL backend (schema `search` in the same
 * database), then on each backend:
 *
 * - recall@10 and MRR of the generated relevance set (bench/lib/relevance.ts),
 * - search latency p50/p99 and searches/s at 16 concurrent clients over the relevance queries,
 *   with facets as the hub asks them (a district admin, and a street operator in one street) and
 *   without facets, to show what they cost.
 *
 * The load generator runs in this Node process: the latency is what a hub process sees, client
 * included. For Elasticsearch the server's own `took` is reported beside it.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from '@elastic/elasticsearch';
import { openDatabase, type Database } from '../src/store/db.js';
import {
  ElasticsearchSearchBackend, loadSearchContext, PostgresSearchBackend, SEARCH_TYPES, SearchIndexer, type RebuildProgress, type RebuildResult,
  type SearchBackend, type SearchContext, type SearchRequest, type SearchType,
} from '../src/search/index.js';
import { evaluateRelevance, generateRelevanceSet, RELEVANCE_KINDS, type LabelledQuery, type RelevanceReport } from './lib/relevance.js';
import { countEntities } from '../src/search/documents.js';
import { raw } from '../src/search/sql.js';
import { findJava, startElasticsearch } from '../tools/servers/elasticsearch.js';
import { checkInterrupted, track } from './lib/cleanup.js';
import type { Machine } from './lib/report.js';
import { errorMessage, progress } from './lib/util.js';

export type SearchBackendName = 'elasticsearch' | 'postgres';

export interface SearchBenchOptions {
  /** The canonical store to index (a PostgreSQL url). */
  databaseUrl: string;
  /** The world scale the store was synced at (as told, when the store is given). */
  scale: string;
  /** The store came from --search-database, synced earlier. */
  givenStore: boolean;
  backends: SearchBackendName[];
  clients: number;
  /** Searches per latency run, and the most seconds one may take (whichever ends first). */
  searches: number;
  maxSeconds: number;
  /** Queries per relevance kind (24: ~480 queries). */
  perKind: number;
  /** Heap of the Elasticsearch JVM (-Xms/-Xmx). */
  esHeap: string;
}

export interface LatencyRun {
  label: string;
  clients: number;
  searches: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  qps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Elasticsearch's own `took` (ms), when the backend is Elasticsearch. */
  took: { p50: number; p99: number } | null;
}

export interface BackendBench {
  backend: SearchBackendName;
  failed?: string;
  rebuild?: RebuildResult & { perType: Array<{ type: SearchType; documents: number; seconds: number }> };
  /** ES: heap, RSS and index size after the rebuild; PG: the size of search.doc. */
  memory?: Record<string, number>;
  relevance?: RelevanceReport;
  latency: LatencyRun[];
  notes: string[];
}

export interface SearchBenchResult {
  scale: string;
  givenStore: boolean;
  entities: Record<SearchType, number>;
  contextMs: number;
  relevanceSetMs: number;
  queries: number;
  queriesByKind: Record<string, number>;
  backends: BackendBench[];
  /** Queries whose top 10 (keys, in order) and total are the same on both backends. */
  agreement: { same: number; of: number; examples: string[] } | null;
  load: { before: number[]; after: number[] };
  /** Said under the header (e.g. when the section joins runs), and after the targets (what the numbers mean). */
  notes?: string[];
  analysis?: string[];
  esHeap: string;
  options: Pick<SearchBenchOptions, 'clients' | 'searches' | 'maxSeconds' | 'perKind'>;
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number);

/** The departments whose records a street operator sees (src/store/policy.ts). */
const STREET_OPERATOR_RECORDS = ['population', 'housing', 'enterprise', 'police', 'court', 'fire'];

/** The requests a latency run cycles through: one per relevance query, shaped as the hub sends them. */
type Shape = (q: LabelledQuery, i: number) => SearchRequest;

function shapes(streetIds: string[]): Array<{ label: string; shape: Shape }> {
  const base = (q: LabelledQuery): SearchRequest => ({ query: q.query, scope: 'district', first: 20, types: q.types ?? [...SEARCH_TYPES] });
  return [
    {
      label: 'district admin, facets',
      shape: (q) => ({ ...base(q), facets: true, tagsVisible: true, departmentsVisible: 'all' }),
    },
    {
      label: 'street operator (one street), facets',
      shape: (q, i) => ({
        ...base(q), scope: { streetIds: [streetIds[i % Math.max(1, streetIds.length)] ?? '0'] }, facets: true, tagsVisible: true,
        departmentsVisible: STREET_OPERATOR_RECORDS,
      }),
    },
    { label: 'district admin, no facets', shape: (q) => ({ ...base(q), facets: false }) },
  ];
}

/** `clients` loops issuing the requests round-robin until `total` are done or `maxSeconds` passed. */
async function latency(
  backend: SearchBackend, label: string, queries: readonly LabelledQuery[], shape: Shape,
  opts: { clients: number; total: number; maxSeconds: number; tookSink?: number[] },
): Promise<LatencyRun> {
  const times: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  if (opts.tookSink) opts.tookSink.length = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + opts.maxSeconds * 1000;
  await Promise.all(Array.from({ length: opts.clients }, async () => {
    for (;;) {
      if (Date.now() > deadline) return;
      const i = next++;
      if (i >= opts.total) return;
      const request = shape(queries[i % queries.length] as LabelledQuery, i);
      const t0 = process.hrtime.bigint();
      try {
        await backend.search(request);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (error) {
        errors++;
        firstError ??= errorMessage(error);
      }
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort((a, b) => a - b);
  const took = opts.tookSink && opts.tookSink.length > 0 ? [...opts.tookSink].sort((a, b) => a - b) : null;
  return {
    label, clients: opts.clients, searches: times.length, errors, firstError, seconds, qps: times.length / seconds,
    p50: percentile(times, 50), p90: percentile(times, 90), p99: percentile(times, 99), max: times.at(-1) ?? 0,
    took: took ? { p50: percentile(took, 50), p99: percentile(took, 99) } : null,
  };
}

/** A rebuild with a progress line every 15 s and the seconds each type took. */
async function rebuild(indexer: SearchIndexer, name: string): Promise<NonNullable<BackendBench['rebuild']>> {
  let lastLine = 0;
  const ends = new Map<SearchType, { documents: number; elapsedMs: number }>();
  const onProgress = (p: RebuildProgress) => {
    ends.set(p.type, { documents: p.done, elapsedMs: p.elapsedMs });
    if (p.elapsedMs - lastLine >= 15_000) {
      lastLine = p.elapsedMs;
      progress(`search: ${name} rebuild: ${p.type} ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}, ` +
        `${p.documents.toLocaleString('en-US')}/${p.totalDocuments.toLocaleString('en-US')} documents, ` +
        `${Math.round(p.documents / (p.elapsedMs / 1000))} docs/s`);
    }
  };
  const result = await indexer.rebuild({ onProgress });
  let before = 0;
  const perType = SEARCH_TYPES.filter((t) => ends.has(t)).map((type) => {
    const end = ends.get(type)!;
    const seconds = (end.elapsedMs - before) / 1000;
    before = end.elapsedMs;
    return { type, documents: end.documents, seconds };
  });
  progress(`search: ${name} rebuild: ${result.documents.toLocaleString('en-US')} documents in ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.documentsPerSecond} docs/s`);
  return { ...result, perType };
}

async function topTens(backend: SearchBackend, queries: readonly LabelledQuery[]): Promise<string[]> {
  const out: string[] = [];
  for (const q of queries) {
    const r = await backend.search({ query: q.query, scope: 'district', first: 10, facets: false, ...(q.types ? { types: q.types } : {}) });
    out.push(`${r.totalCount}|${r.hits.map((h) => `${h.type}:${h.id}`).join(',')}`);
  }
  return out;
}

async function measureBackend(
  backend: SearchBackend, indexer: SearchIndexer, bench: BackendBench, queries: LabelledQuery[], streetIds: string[], opts: SearchBenchOptions,
  tookSink?: number[],
): Promise<string[]> {
  const name = bench.backend;
  progress(`search: ${name}: full rebuild from the canonical store`);
  bench.rebuild = await rebuild(indexer, name);
  checkInterrupted();
  progress(`search: ${name}: relevance (${queries.length} queries, one at a time)`);
  bench.relevance = await evaluateRelevance(backend, queries);
  progress(`search: ${name}: recall@10 ${bench.relevance.overall.recallAt10.toFixed(3)}, MRR ${bench.relevance.overall.mrr.toFixed(3)}, ` +
    `one client p50 ${bench.relevance.latency.p50.toFixed(1)} ms p99 ${bench.relevance.latency.p99.toFixed(1)} ms`);
  const tops = await topTens(backend, queries);
  checkInterrupted();
  const all = shapes(streetIds);
  progress(`search: ${name}: warming up (4 clients, ${Math.min(400, opts.searches)} searches of each shape)`);
  for (const s of all) await latency(backend, s.label, queries, s.shape, { clients: 4, total: Math.min(400, opts.searches), maxSeconds: opts.maxSeconds });
  for (const s of all) {
    checkInterrupted();
    progress(`search: ${name}: ${s.label}: ${opts.clients} clients, ${opts.searches} searches (at most ${opts.maxSeconds} s)`);
    const run = await latency(backend, s.label, queries, s.shape, { clients: opts.clients, total: opts.searches, maxSeconds: opts.maxSeconds, ...(tookSink ? { tookSink } : {}) });
    bench.latency.push(run);
    progress(`search: ${name}: ${s.label}: p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ${run.qps.toFixed(0)} searches/s` +
      (run.took ? ` (server took p50 ${run.took.p50} ms, p99 ${run.took.p99} ms)` : '') + (run.errors ? `, ${run.errors} errors (${run.firstError})` : ''));
  }
  return tops;
}

function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The JVM's pid as the node reports it (also for a node given with LIANDONG_TEST_ELASTICSEARCH_URL, when it runs here). */
async function elasticsearchPid(client: Client): Promise<number | null> {
  const info = await client.nodes.info({ metric: ['process'] });
  const id = Object.values(info.nodes)[0]?.process?.id;
  return typeof id === 'number' && procStatusBytes(id, 'VmRSS') !== null ? id : null;
}

/** The node's version, heap and GC/JIT options, for the report. */
async function elasticsearchJvm(client: Client): Promise<string> {
  const info = await client.nodes.info({ metric: ['jvm'] });
  const node = Object.values(info.nodes)[0];
  const args = (node?.jvm?.input_arguments ?? []).filter((a) => /^-Xm[sx]|GC|TieredStopAtLevel/.test(a));
  return `Elasticsearch ${node?.version ?? '?'} on ${node?.jvm?.vm_name ?? 'a JVM'} ${node?.jvm?.version ?? ''}, ${args.join(' ') || 'default options'}, GC ${(node?.jvm?.gc_collectors ?? []).join('/')}`;
}

async function elasticsearchMemory(client: Client, alias: string, pid: number | null): Promise<Record<string, number>> {
  const stats = await client.nodes.stats({ metric: ['jvm', 'indices'] });
  const node = Object.values(stats.nodes)[0];
  const index = await client.indices.stats({ index: alias, metric: ['store', 'segments', 'docs'] });
  const primaries = index._all.primaries;
  const out: Record<string, number> = {
    heapUsedBytes: node?.jvm?.mem?.heap_used_in_bytes ?? 0,
    heapMaxBytes: node?.jvm?.mem?.heap_max_in_bytes ?? 0,
    nonHeapUsedBytes: node?.jvm?.mem?.non_heap_used_in_bytes ?? 0,
    indexBytes: primaries?.store?.size_in_bytes ?? 0,
    segments: primaries?.segments?.count ?? 0,
    segmentMemoryBytes: primaries?.segments?.memory_in_bytes ?? 0,
    documents: primaries?.docs?.count ?? 0,
  };
  if (pid !== null) {
    out.rssBytes = procStatusBytes(pid, 'VmRSS') ?? 0;
    out.peakRssBytes = procStatusBytes(pid, 'VmHWM') ?? 0;
  }
  return out;
}

export async function benchSearch(opts: SearchBenchOptions): Promise<SearchBenchResult> {
  const loadBefore = loadAverage();
  const db: Database = await openDatabase({ kind: 'postgres', url: opts.databaseUrl, poolMax: 24 });
  track('search bench database connection', () => db.close());
  const entities = {} as Record<SearchType, number>;
  for (const type of SEARCH_TYPES) entities[type] = await countEntities(db.knex, type);
  progress(`search: the store holds ${SEARCH_TYPES.map((t) => `${entities[t].toLocaleString('en-US')} ${t}`).join(', ')}`);

  let t0 = Date.now();
  let context: SearchContext = await loadSearchContext(db.knex);
  const contextMs = Date.now() - t0;
  progress(`search: context (area tree, address normaliser) loaded in ${(contextMs / 1000).toFixed(1)} s`);
  t0 = Date.now();
  const queries = await generateRelevanceSet(db.knex, { perKind: opts.perKind });
  const relevanceSetMs = Date.now() - t0;
  const queriesByKind: Record<string, number> = {};
  for (const kind of RELEVANCE_KINDS) queriesByKind[kind] = queries.filter((q) => q.kind === kind).length;
  progress(`search: ${queries.length} labelled queries generated in ${(relevanceSetMs / 1000).toFixed(1)} s`);
  const streetIds = context.allAreas().filter((a) => a.level === 'street').map((a) => a.id).sort();
  const refreshContext = async (backend: SearchBackend) => {
    context = await loadSearchContext(db.knex);
    backend.setContext(context);
  };

  const benches: BackendBench[] = [];
  const tops = new Map<SearchBackendName, string[]>();
  for (const name of opts.backends) {
    checkInterrupted();
    const bench: BackendBench = { backend: name, latency: [], notes: [] };
    benches.push(bench);
    try {
      if (name === 'elasticsearch') {
        if (!findJava() && !process.env.LIANDONG_TEST_ELASTICSEARCH_URL) throw new Error('no Java 17+ here to run the Elasticsearch node (tools/elasticsearch)');
        process.env.LIANDONG_ES_HEAP ??= opts.esHeap;
        // The bench measures a serving node: the JVM's default GC and JIT, not the tests' quick-start tuning.
        process.env.LIANDONG_ES_JVM_TUNING ??= '';
        progress(`search: starting an Elasticsearch node (heap ${process.env.LIANDONG_ES_HEAP}, JVM tuning "${process.env.LIANDONG_ES_JVM_TUNING}")`);
        const node = await startElasticsearch();
        const stopNode = track('Elasticsearch node', () => node.stop());
        const took: number[] = [];
        const client = new Client({ node: node.url, requestTimeout: 60_000, maxRetries: 2 });
        client.diagnostic.on('response', (_err, result) => {
          const body = result?.body as { took?: unknown; hits?: unknown } | undefined;
          if (body && typeof body.took === 'number' && body.hits !== undefined) took.push(body.took);
        });
        const es = new ElasticsearchSearchBackend({ client, context, indexPrefix: 'bench-search' });
        try {
          await es.ensureSchema();
          const indexer = new SearchIndexer({ knex: db.knex, backend: es, context: () => context, refreshContext: () => refreshContext(es) });
          const pid = await elasticsearchPid(client);
          bench.notes.push(`${await elasticsearchJvm(client)}; one index, 1 shard, 0 replicas`);
          const pre = await elasticsearchMemory(client, es.alias, pid);
          tops.set(name, await measureBackend(es, indexer, bench, queries, streetIds, opts, took));
          bench.memory = { ...(await elasticsearchMemory(client, es.alias, pid)), startRssBytes: pre.rssBytes ?? 0 };
        } finally {
          await es.close();
          await client.close();
          await stopNode();
        }
      } else {
        const pg = new PostgresSearchBackend({ knex: db.knex, context });
        await pg.ensureSchema();
        const indexer = new SearchIndexer({ knex: db.knex, backend: pg, context: () => context, refreshContext: () => refreshContext(pg) });
        tops.set(name, await measureBackend(pg, indexer, bench, queries, streetIds, opts));
        const size = (await raw(db.knex, `select pg_total_relation_size('search.doc') as total, pg_relation_size('search.doc') as heap`)).rows[0];
        bench.memory = { tableBytes: Number(size?.total ?? 0), heapBytes: Number(size?.heap ?? 0) };
        bench.notes.push('schema `search` in the store\'s own database, on the bench\'s PostgreSQL server (fsync off)');
      }
    } catch (error) {
      if (checkInterruptedSafe()) throw error;
      bench.failed = errorMessage(error);
      progress(`search: ${name}: FAILED: ${bench.failed}`);
    }
  }

  let agreement: SearchBenchResult['agreement'] = null;
  const a = tops.get('elasticsearch');
  const b = tops.get('postgres');
  if (a && b) {
    const differ = queries.map((q, i) => ({ q, i })).filter(({ i }) => a[i] !== b[i]);
    agreement = {
      same: queries.length - differ.length, of: queries.length,
      examples: differ.slice(0, 5).map(({ q, i }) => `${q.kind} "${q.query}": ES ${a[i]?.slice(0, 120)} / PG ${b[i]?.slice(0, 120)}`),
    };
  }
  return {
    scale: opts.scale, givenStore: opts.givenStore, entities, contextMs, relevanceSetMs, queries: queries.length, queriesByKind, backends: benches, agreement,
    load: { before: loadBefore, after: loadAverage() }, esHeap: opts.esHeap,
    options: { clients: opts.clients, searches: opts.searches, maxSeconds: opts.maxSeconds, perKind: opts.perKind },
  };
}

function checkInterruptedSafe(): boolean {
  try {
    checkInterrupted();
    return false;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// The report

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const gib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 30).toFixed(2)} GiB`);
const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${fmt(bytes / 2 ** 20)} MiB`);

/** The Elasticsearch targets of issue 4. */
export const SEARCH_TARGETS = { esP99Ms: 50, recallAt10: 0.95 };

export function renderSearchSection(r: SearchBenchResult, machine: Machine, date: string, command: string): string {
  const docs = SEARCH_TYPES.reduce((s, t) => s + r.entities[t], 0);
  const lines: string[] = [
    '<!-- bench:search:start -->',
    '## Search (issue 4)',
    '',
    `${date} · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB · ${machine.os} · Node ${machine.node} · \`${command}\``,
    '',
    ...(r.notes?.length ? r.notes.flatMap((n, i) => (i === 0 ? [n] : ['', n])) : [
      `Load average (1, 5, 15 min) ${r.load.before.join(', ')} at the start and ${r.load.after.join(', ')} at the end: other sessions shared the machine's ${machine.cores} cores during the run, so the figures are lower bounds for a machine of this size.`,
    ]),
    '',
    `The store: the \`${r.scale}\` district synced through the seven simulated department systems into PostgreSQL${r.givenStore ? ' (by bench/sync.ts, earlier; given with --search-database)' : ''}: ` +
      `${SEARCH_TYPES.map((t) => `${fmt(r.entities[t])} ${t === 'person' ? 'people' : `${t}s`}`).join(', ')} (${fmt(docs)} documents). ` +
      `Context (area tree and address normaliser) loaded in ${(r.contextMs / 1000).toFixed(1)} s; ${r.queries} labelled queries generated in ${(r.relevanceSetMs / 1000).toFixed(1)} s.`,
    '',
    '### Full rebuild (`SearchIndexer.rebuild`: documents built from the canonical tables, bulk-written, committed)',
    '',
    '| backend | documents | seconds | documents/s | person | building | enterprise | case |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const b of r.backends) {
    if (!b.rebuild) continue;
    const per = (t: SearchType) => {
      const x = b.rebuild!.perType.find((p) => p.type === t);
      return x ? `${fmt(x.documents / Math.max(0.001, x.seconds))}/s (${x.seconds.toFixed(0)} s)` : 'n/a';
    };
    lines.push(`| ${b.backend} | ${fmt(b.rebuild.documents)} | ${(b.rebuild.elapsedMs / 1000).toFixed(1)} | **${fmt(b.rebuild.documentsPerSecond)}** | ${per('person')} | ${per('building')} | ${per('enterprise')} | ${per('case')} |`);
  }
  const es = r.backends.find((b) => b.backend === 'elasticsearch');
  if (es?.memory) {
    const m = es.memory;
    lines.push('', `Elasticsearch after the runs: heap ${gib(m.heapUsedBytes)} used of ${gib(m.heapMaxBytes)}, non-heap ${mib(m.nonHeapUsedBytes)}, ` +
      `JVM RSS ${gib(m.rssBytes)} (peak ${gib(m.peakRssBytes)}, ${gib(m.startRssBytes)} before the rebuild); the index holds ${fmt(m.documents ?? 0)} documents in ` +
      `${gib(m.indexBytes)} on disk, ${fmt(m.segments ?? 0)} segments.`);
  }
  const pg = r.backends.find((b) => b.backend === 'postgres');
  if (pg?.memory) lines.push('', `PostgreSQL: \`search.doc\` takes ${gib(pg.memory.tableBytes)} with its indexes (${gib(pg.memory.heapBytes)} of table).`);

  lines.push('', `### Latency at ${r.options.clients} concurrent clients`, '',
    `Each run cycles through the ${r.queries} relevance queries as the hub sends them (every type the role reads, 20 hits); ${fmt(r.options.searches)} searches or ${r.options.maxSeconds} s, whichever ends first, after a warm-up. ` +
    'The clients run in the bench\'s Node process, so the latency includes the client and the result mapping (highlights, cursors); for Elasticsearch the server\'s own `took` is given too.',
    '', '| backend | request | searches | searches/s | p50 ms | p90 ms | p99 ms | max ms | ES took p50 / p99 ms | errors |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const b of r.backends) {
    for (const l of b.latency) {
      lines.push(`| ${b.backend} | ${l.label} | ${fmt(l.searches)} | ${fmt(l.qps)} | ${ms(l.p50)} | ${ms(l.p90)} | **${ms(l.p99)}** | ${ms(l.max)} | ${l.took ? `${l.took.p50} / ${l.took.p99}` : '–'} | ${l.errors} |`);
    }
  }

  lines.push('', 'Reading these:', '');
  for (const b of r.backends) {
    const withF = b.latency.find((l) => l.label.startsWith('district admin, facets'));
    const without = b.latency.find((l) => l.label.startsWith('district admin, no facets'));
    if (withF && without) {
      lines.push(`- ${b.backend}: facets (six terms aggregations over every hit) take the throughput from ${fmt(without.qps)} to ${fmt(withF.qps)} searches/s ` +
        `and p50 from ${ms(without.p50)} to ${ms(withF.p50)} ms.`);
    }
    const took = b.latency.filter((x) => x.took);
    if (took.length > 0) {
      lines.push(`- ${b.backend}: the node's own \`took\` p50 is ${took.map((l) => l.took!.p50).join(' / ')} ms of the ${took.map((l) => ms(l.p50)).join(' / ')} ms ` +
        `the client sees (${took.map((l) => l.label).join(' / ')}); the rest is the HTTP round trip, the client (JSON, highlights, cursors) and waiting for the shared CPU.`);
    }
  }
  lines.push(`- The clients run in a closed loop, so the mean latency is about ${r.options.clients} / throughput: when the ${machine.cores} cores are saturated the latency is a queue, and p99 follows the slowest queries and GC pauses.`);
  lines.push('', `### Relevance (${r.queries} queries, ${r.options.perKind} per kind)`, '', `| kind | n | ${r.backends.filter((b) => b.relevance).map((b) => `${b.backend} recall@10 | ${b.backend} MRR`).join(' | ')} |`,
    `|---|---:|${r.backends.filter((b) => b.relevance).map(() => '---:|---:').join('|')}|`);
  for (const kind of RELEVANCE_KINDS) {
    const cells = r.backends.filter((b) => b.relevance).map((b) => {
      const s = b.relevance!.byKind[kind];
      return s ? `${s.recallAt10.toFixed(3)} | ${s.mrr.toFixed(3)}` : '– | –';
    });
    lines.push(`| ${kind} | ${r.queriesByKind[kind] ?? 0} | ${cells.join(' | ')} |`);
  }
  lines.push(`| **all** | **${r.queries}** | ${r.backends.filter((b) => b.relevance).map((b) => `**${b.relevance!.overall.recallAt10.toFixed(3)}** | **${b.relevance!.overall.mrr.toFixed(3)}**`).join(' | ')} |`);
  if (r.agreement) {
    lines.push('', `${r.agreement.same} of ${r.agreement.of} queries have the same top 10 (in order) and the same total on both backends.` +
      (r.agreement.examples.length ? ` Differences, first ${r.agreement.examples.length}: ${r.agreement.examples.map((e) => `\`${e}\``).join('; ')}` : ''));
  }

  lines.push('', '### Against the targets', '');
  if (es?.relevance) {
    const recall = es.relevance.overall.recallAt10;
    lines.push(`- recall@10 ≥ ${SEARCH_TARGETS.recallAt10}: Elasticsearch ${recall.toFixed(3)} (${recall >= SEARCH_TARGETS.recallAt10 ? 'met' : 'missed'})` +
      (pg?.relevance ? `, PostgreSQL ${pg.relevance.overall.recallAt10.toFixed(3)}` : '') + '.');
  }
  for (const l of es?.latency ?? []) {
    lines.push(`- p99 < ${SEARCH_TARGETS.esP99Ms} ms on Elasticsearch, ${l.label}: ${ms(l.p99)} ms (${l.p99 < SEARCH_TARGETS.esP99Ms ? 'met' : 'missed'}).`);
  }
  for (const b of r.backends) {
    if (b.failed) lines.push(`- ${b.backend} FAILED: ${b.failed}`);
    for (const n of b.notes) lines.push(`- ${b.backend}: ${n}`);
  }
  if (r.analysis?.length) lines.push('', '### What the numbers mean', '', ...r.analysis);
  lines.push('<!-- bench:search:end -->');
  return lines.join('\n');
}
