/**
 * Throughput and latency, printed for docs/search.md (the bench adds the district-scale run):
 * - documents built from the canonical store per second (PGlite),
 * - a full rebuild into Elasticsearch, end to end, and raw bulk indexing of ~100,000 documents,
 * - search latency p50/p99 with 16 clients at once on Elasticsearch and PostgreSQL.
 * The floors are loose (shared CI machines); the numbers are the point.
 */
import { describeEachDatabase, openTestDatabase } from '../support/databases.js';
import { findJava, startElasticsearch, type ElasticsearchNode } from '../support/elasticsearch.js';
import type { Database } from '../../src/store/db.js';
import {
  allDocuments, ElasticsearchSearchBackend, loadSearchContext, PostgresSearchBackend, SEARCH_TYPES, SearchIndexer, type SearchBackend,
  type SearchContext, type SearchDocument,
} from '../../src/search/index.js';
import { generateRelevanceSet, type LabelledQuery } from '../../src/search/relevance.js';
import { loadSearchDistrict } from './fixtures.js';

const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};

/** `clients` loops issuing the queries round-robin until `total` searches are done. */
async function latency(backend: SearchBackend, queries: LabelledQuery[], clients = 16, total = 1600, facets = true): Promise<{ p50: number; p99: number; qps: number }> {
  const times: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const q = queries[i % queries.length] as LabelledQuery;
      const t0 = process.hrtime.bigint();
      await backend.search({ query: q.query, scope: 'district', first: 20, facets, ...(q.types ? { types: q.types } : {}) });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { p50: percentile(times, 50), p99: percentile(times, 99), qps: total / seconds };
}

async function setup(db: Database): Promise<{ context: SearchContext; queries: LabelledQuery[] }> {
  await loadSearchDistrict(db.knex, { extraSeeds: 3 });
  const context = await loadSearchContext(db.knex);
  return { context, queries: await generateRelevanceSet(db.knex) };
}

describeEachDatabase('search performance: PostgreSQL backend', ({ kind, open }) => {
  test('rebuild throughput and latency at 16 clients', async () => {
    const db = await open();
    const { context, queries } = await setup(db);
    const backend = new PostgresSearchBackend({ knex: db.knex, context });
    const { rebuilt } = await new SearchIndexer({ knex: db.knex, backend, context }).prepare();
    await latency(backend, queries, 4, 100);
    const l = await latency(backend, queries, 16, 800);
    say(`[search perf] postgres (${kind}): rebuild ${rebuilt?.documents} docs at ${rebuilt?.documentsPerSecond} docs/s; ` +
      `16 clients: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, ${l.qps.toFixed(0)} searches/s`);
    expect(rebuilt?.documentsPerSecond).toBeGreaterThan(200);
    expect(l.p99).toBeLessThan(5_000);
  }, 600_000);
});

const runnable = findJava() !== null || process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1';

(runnable ? describe : describe.skip)('search performance: Elasticsearch backend [elasticsearch]', () => {
  let node: ElasticsearchNode;
  let db: Database;

  beforeAll(async () => {
    node = await startElasticsearch();
  }, 600_000);

  afterAll(async () => {
    await db?.close();
    await node?.stop();
  }, 60_000);

  test('document building, rebuild and bulk throughput; latency at 16 clients', async () => {
    db = await openTestDatabase('pglite');
    const { context, queries } = await setup(db);

    // Documents from the canonical store, nothing else.
    let t0 = process.hrtime.bigint();
    const docs: SearchDocument[] = [];
    for (const type of SEARCH_TYPES) for await (const page of allDocuments(db.knex, context, type, 500)) docs.push(...page);
    const buildRate = docs.length / (Number(process.hrtime.bigint() - t0) / 1e9);

    const es = new ElasticsearchSearchBackend({ node: node.url, context, indexPrefix: 'perf' });
    const indexer = new SearchIndexer({ knex: db.knex, backend: es, context });
    const { rebuilt } = await indexer.prepare();
    await latency(es, queries, 4, 200);
    const small = await latency(es, queries);
    const smallBare = await latency(es, queries, 16, 1600, false);

    // Raw bulk: the district's documents eleven times over, under new ids, into a fresh generation.
    const copies = Math.ceil(100_000 / docs.length);
    const target = await es.beginRebuild();
    t0 = process.hrtime.bigint();
    let written = 0;
    for (let c = 0; c < copies; c++) {
      const batch = docs.map((d) => ({ ...d, id: `${d.id}x${c}`, key: `${d.type}:${d.id}x${c}` }));
      for (let i = 0; i < batch.length; i += 2000) {
        await target.index(batch.slice(i, i + 2000));
        written += Math.min(2000, batch.length - i);
      }
    }
    const bulkSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await target.commit(await es.readState());
    const status = await es.status();
    expect(status.documents).toBe(written);

    await latency(es, queries, 4, 200);
    const l = await latency(es, queries);
    const bare = await latency(es, queries, 16, 1600, false);
    const line = (label: string, x: { p50: number; p99: number; qps: number }) =>
      say(`[search perf] elasticsearch, ${label}, 16 clients: p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms, ${x.qps.toFixed(0)} searches/s`);
    line(`${docs.length} docs with facets`, small);
    line(`${docs.length} docs without facets`, smallBare);
    line(`${written} docs with facets`, l);
    line(`${written} docs without facets`, bare);
    say(`[search perf] documents built from PGlite: ${docs.length} at ${Math.round(buildRate)} docs/s`);
    say(`[search perf] elasticsearch rebuild (build + bulk, end to end): ${rebuilt?.documents} docs at ${rebuilt?.documentsPerSecond} docs/s`);
    say(`[search perf] elasticsearch bulk: ${written} docs in ${bulkSeconds.toFixed(1)} s = ${Math.round(written / bulkSeconds)} docs/s (2,000 per request, one at a time)`);
    expect(written / bulkSeconds).toBeGreaterThan(500);
    expect(l.p99).toBeLessThan(2_000);
    await es.close();
  }, 900_000);
});
