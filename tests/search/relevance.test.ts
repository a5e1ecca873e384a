/**
 * The relevance set (bench/lib/relevance.ts) scored on each backend: labelled queries over the
 * synced `small` world (10,000 people: many sharing a name, an ID suffix, a phone suffix), as
 * `npm start` would hold it at that scale.
 *
 * The bars are what was measured (docs/search.md) less a small margin; a change that makes
 * search find less fails here. Name typos are the hardest kind by nature: one character off
 * 张子轩 is as close to 张子墨 as to 张子轩, so the right family ties with others.
 */
import type { Knex } from 'knex';
import { describeEachDatabase, openTestWorld, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import type { WorldChoice } from '../support/worldTemplate.js';
import { findJava, type ElasticsearchNode } from '../../tools/servers/elasticsearch.js';
import { sharedElasticsearch } from '../support/elasticsearch.js';
import type { Database } from '../../src/store/db.js';
import {
  ElasticsearchSearchBackend, loadSearchContext, PostgresSearchBackend, SearchIndexer, type SearchBackend, type SearchContext,
} from '../../src/search/index.js';
import { evaluateRelevance, formatRelevance, generateRelevanceSet, RELEVANCE_KINDS, type LabelledQuery, type RelevanceReport } from '../../bench/lib/relevance.js';

/** Measured: see docs/search.md ("Relevance"); the bars are a little below. */
const BAR = { recall: 0.98, mrr: 0.95 };
const KIND_BAR: Partial<Record<(typeof RELEVANCE_KINDS)[number], number>> = { name_typo: 0.91 };
const DEFAULT_KIND_BAR = 0.97;
const WORLD: WorldChoice = { scale: 'small', seed: 7 };

const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

async function prepareStore(knex: Knex): Promise<{ context: SearchContext; queries: LabelledQuery[] }> {
  const context = await loadSearchContext(knex);
  return { context, queries: await generateRelevanceSet(knex) };
}

function expectBars(report: RelevanceReport): void {
  expect(report.overall.queries).toBeGreaterThanOrEqual(300);
  expect(report.overall.recallAt10).toBeGreaterThanOrEqual(BAR.recall);
  expect(report.overall.recallAt10).toBeGreaterThanOrEqual(0.95); // the issue's aim
  expect(report.overall.mrr).toBeGreaterThanOrEqual(BAR.mrr);
  for (const kind of RELEVANCE_KINDS) {
    const score = report.byKind[kind];
    expect([kind, (score?.queries ?? 0) > 0]).toEqual([kind, true]);
    expect([kind, (score?.recallAt10 ?? 0) >= (KIND_BAR[kind] ?? DEFAULT_KIND_BAR)]).toEqual([kind, true]);
  }
}

async function score(label: string, backend: SearchBackend, queries: LabelledQuery[]): Promise<RelevanceReport> {
  await evaluateRelevance(backend, queries.slice(0, 40)); // warm-up
  const report = await evaluateRelevance(backend, queries);
  say(formatRelevance(label, report));
  if (report.misses.length > 0) say(`  misses: ${report.misses.slice(0, 8).map((m) => `${m.kind} "${m.query}" recall ${m.recall.toFixed(2)}`).join('; ')}`);
  return report;
}

describe('search relevance: the labelled set', () => {
  let db: Database;
  afterAll(() => db?.close());

  test('has every kind, at least 300 queries, labels that exist, and is the same every time', async () => {
    ({ db } = await openTestWorld('pglite', WORLD));
    const a = await generateRelevanceSet(db.knex);
    const b = await generateRelevanceSet(db.knex);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThanOrEqual(300);
    expect(new Set(a.map((q) => q.kind))).toEqual(new Set(RELEVANCE_KINDS));
    const keys = new Set((await db.knex.raw(`select 'person:' || id as k from person union all select 'building:' || id from building
      union all select 'enterprise:' || id from enterprise union all select 'case:' || id from "case"`)).rows.map((r: any) => r.k));
    for (const q of a) {
      expect(q.relevant.length).toBeGreaterThan(0);
      for (const k of q.relevant) expect(keys.has(k)).toBe(true);
    }
  }, WORLD_SETUP_TIMEOUT_MS);
});

describeEachDatabase('search relevance: PostgreSQL backend', ({ kind, openWorld }) => {
  test('recall@10 and MRR over the labelled set stay above the bars', async () => {
    const { db } = await openWorld(WORLD);
    const { context, queries } = await prepareStore(db.knex);
    const backend = new PostgresSearchBackend({ knex: db.knex, context });
    await new SearchIndexer({ knex: db.knex, backend, context }).prepare();
    expectBars(await score(`relevance postgres (${kind})`, backend, queries));
  }, 600_000);
});

const runnable = findJava() !== null || process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1';

(runnable ? describe : describe.skip)('search relevance: Elasticsearch backend [elasticsearch]', () => {
  let node: ElasticsearchNode;
  let db: Database;

  beforeAll(async () => {
    node = await sharedElasticsearch();
  }, 600_000);

  afterAll(async () => {
    await db?.close();
    await node?.stop();
  }, 60_000);

  test('recall@10 and MRR over the labelled set stay above the bars, and rank as PostgreSQL does', async () => {
    ({ db } = await openTestWorld('pglite', WORLD));
    const { context, queries } = await prepareStore(db.knex);
    const es = new ElasticsearchSearchBackend({ node: node.url, context, indexPrefix: 'relevance' });
    await new SearchIndexer({ knex: db.knex, backend: es, context }).prepare();
    const report = await score('relevance elasticsearch', es, queries);
    expectBars(report);

    // The same plan, the same weights: both engines give the same top 10 (ties aside).
    const pg = new PostgresSearchBackend({ knex: db.knex, context });
    await new SearchIndexer({ knex: db.knex, backend: pg, context }).prepare();
    let same = 0;
    for (const q of queries) {
      const request = { query: q.query, scope: 'district' as const, first: 10, facets: false, ...(q.types ? { types: q.types } : {}) };
      const [a, b] = await Promise.all([es.search(request), pg.search(request)]);
      const set = (hits: typeof a.hits) => hits.map((h) => `${h.type}:${h.id}:${h.score.toFixed(3)}`).sort().join(',');
      if (set(a.hits) === set(b.hits) && a.totalCount === b.totalCount) same++;
    }
    say(`relevance parity: ${same} of ${queries.length} queries give Elasticsearch and PostgreSQL the same top 10 and total`);
    expect(same / queries.length).toBeGreaterThanOrEqual(0.98);
    await es.close();
  }, 600_000);
});
