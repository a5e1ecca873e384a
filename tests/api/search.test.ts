/**
 * `search` through GraphQL: the union of hits with reasons, highlights, facets and cursors, and
 * the viewer's policy applied (scope, purpose, tags, departments, masking), on each store with
 * its built-in PostgreSQL backend, and on a real Elasticsearch node.
 */
import { createSearchBackend, loadSearchContext, type SearchBackend } from '../../src/search/index.js';
import { searchEngine } from '../../src/search/service.js';
import { toGlobalId } from '../../src/resolvers/globalId.js';
import type { Database } from '../../src/store/db.js';
import { describeEachDatabase, openTestDatabase, openTestWorld, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import { findJava, type ElasticsearchNode } from '../../tools/servers/elasticsearch.js';
import { sharedElasticsearch } from '../support/elasticsearch.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const SEARCH = `query($q: String!, $types: [SearchType!], $filter: SearchFilter, $first: Int, $after: String) {
  search(query: $q, types: $types, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges {
      cursor score reasons highlights { field fragment }
      node {
        __typename
        ... on Person { id name idNumber grid { id } }
        ... on Building { id name grid { id } }
        ... on Enterprise { id name creditCode }
        ... on Case { id number title }
      }
    }
  }
}`;

const FACETS = `query($q: String!, $filter: SearchFilter) {
  search(query: $q, filter: $filter, first: 1) {
    totalCount
    facets {
      street { area { id name level } count }
      grid { grid { id } count }
      type { type count }
      tag { tag count }
      department { department count }
    }
  }
}`;

type Edge = { reasons: string[]; highlights: Array<{ field: string; fragment: string }>; node: Record<string, any> };

/** The suite, for one store and one backend built over it. */
function graphqlSearchSuite(fx: { db: Database; t: TestHub }) {
  /** The world's estates (小区, village groups) with the most buildings, most first: searches with many hits. */
  const estates = async (): Promise<string[]> => (await fx.db.knex('building').join('address', 'address.id', 'building.address_id')
    .whereNotNull('address.estate').groupBy('address.estate').orderByRaw('count(*) desc, address.estate').limit(2).pluck('address.estate')) as string[];
  const person = async () => fx.db.knex('person').whereNotNull('id_number').whereNotNull('grid_id').orderBy('id').offset(7).first();

  test('a name finds the person first, with why it matched and where', async () => {
    const p = await person();
    const res = await fx.t.gql(SEARCH, { q: p.name, types: ['PERSON'] });
    expect(res.errors).toBeUndefined();
    const edges = res.data!.search.edges as Edge[];
    const hit = edges.find((e) => e.node.id === toGlobalId('Person', String(p.id)));
    expect(hit).toBeDefined();
    expect(edges[0]!.node.name).toBe(p.name);
    expect(hit!.node.__typename).toBe('Person');
    expect(hit!.reasons[0]).toBe('NAME');
    expect(hit!.highlights.find((h) => h.field === 'NAME')?.fragment).toBe(`<em>${p.name}</em>`);
    expect(res.data!.search.totalCount).toBeGreaterThanOrEqual(1);
  });

  test('the last six characters of an ID number find the person, masked for a grid worker', async () => {
    const p = await person();
    const suffix = String(p.id_number).slice(-6);
    const admin = await fx.t.gql(SEARCH, { q: suffix, types: ['PERSON'] });
    const adminHit = (admin.data!.search.edges as Edge[]).find((e) => e.node.id === toGlobalId('Person', String(p.id)));
    expect(adminHit?.reasons).toContain('ID_SUFFIX');
    expect(adminHit?.node.idNumber).toBe(p.id_number);

    const worker = await fx.t.token({ role: 'grid-worker', gridIds: [String(p.grid_id)] });
    const res = await fx.t.gql(SEARCH, { q: suffix, types: ['PERSON'] }, worker);
    expect(res.errors).toBeUndefined();
    const hit = (res.data!.search.edges as Edge[]).find((e) => e.node.id === toGlobalId('Person', String(p.id)));
    expect(hit?.node.idNumber).toBe(`${String(p.id_number).slice(0, 6)}********${String(p.id_number).slice(-4)}`);
  });

  test('a grid worker finds only what is in their grid, in hits and in totals', async () => {
    const p = await person();
    const worker = await fx.t.token({ role: 'grid-worker', gridIds: [String(p.grid_id)] });
    const everywhere = await fx.t.gql(SEARCH, { q: '', types: ['PERSON', 'BUILDING'], first: 100 });
    const mine = await fx.t.gql(SEARCH, { q: '', types: ['PERSON', 'BUILDING'], first: 100 }, worker);
    expect(mine.errors).toBeUndefined();
    const inGrid = Number((await fx.db.knex('person').where('grid_id', p.grid_id).count({ n: '*' }))[0]!.n)
      + Number((await fx.db.knex('building').where('grid_id', p.grid_id).count({ n: '*' }))[0]!.n);
    expect(mine.data!.search.totalCount).toBe(inGrid);
    expect(everywhere.data!.search.totalCount).toBeGreaterThan(inGrid);
    for (const e of mine.data!.search.edges as Edge[]) expect(e.node.grid.id).toBe(toGlobalId('Grid', String(p.grid_id)));
  });

  test('cursor paging walks a search without repeats, and a cursor from another search is refused', async () => {
    const [estate, otherEstate] = await estates();
    const seen = new Set<string>();
    let after: string | null = null;
    let total = 0;
    for (let page = 0; page < 4; page++) {
      const res: any = await fx.t.gql(SEARCH, { q: estate, first: 5, after });
      expect(res.errors).toBeUndefined();
      total = res.data.search.totalCount;
      for (const e of res.data.search.edges as Edge[]) {
        expect(seen.has(e.node.id)).toBe(false);
        seen.add(e.node.id);
      }
      expect(res.data.search.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!res.data.search.pageInfo.hasNextPage) break;
      after = res.data.search.pageInfo.endCursor;
    }
    expect(total).toBeGreaterThan(5);
    expect(seen.size).toBe(Math.min(total, 20));
    const other = await fx.t.gql(SEARCH, { q: otherEstate, first: 5, after });
    expect(other.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('facets count every hit by street, grid, type, tag and department, with the areas named', async () => {
    const res = await fx.t.gql(FACETS, { q: '' });
    expect(res.errors).toBeUndefined();
    const { totalCount, facets } = res.data!.search;
    const byType = Object.fromEntries((facets.type as Array<{ type: string; count: number }>).map((b) => [b.type, b.count]));
    expect(byType.PERSON).toBe(Number((await fx.db.knex('person').count({ n: '*' }))[0]!.n));
    expect(byType.ENTERPRISE).toBe(Number((await fx.db.knex('enterprise').count({ n: '*' }))[0]!.n));
    expect(Object.values(byType).reduce((a: number, b) => a + b, 0)).toBe(totalCount);
    const streets = facets.street as Array<{ area: { name: string; level: string }; count: number }>;
    expect(streets.map((s) => s.area.name)).toContain('良渚街道');
    expect(streets.every((s) => s.area.level === 'STREET')).toBe(true);
    const tags = new Set((facets.tag as Array<{ tag: string }>).map((b) => b.tag));
    expect(tags.has('ELDERLY_LIVING_ALONE')).toBe(true);
    expect((facets.department as Array<{ department: string }>).map((b) => b.department)).toContain('population');
  });

  test('a fire officer gets no tag facet, only the departments fire may see, and may not filter by tags', async () => {
    const fire = await fx.t.token({ role: 'fire', department: 'fire' });
    const res = await fx.t.gql(FACETS, { q: '' }, fire);
    expect(res.errors).toBeUndefined();
    expect(res.data!.search.facets.tag).toEqual([]);
    const departments = (res.data!.search.facets.department as Array<{ department: string }>).map((b) => b.department);
    expect(departments.length).toBeGreaterThan(0);
    for (const d of departments) expect(['housing', 'enterprise', 'fire']).toContain(d);
    const tagged = await fx.t.gql(SEARCH, { q: '', filter: { tags: ['DISABLED'] } }, fire);
    expect(tagged.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const court = await fx.t.gql(SEARCH, { q: '', filter: { departments: ['court'] } }, fire);
    expect(court.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('people need a declared purpose; places do not; a dashboard may not search', async () => {
    const [estate] = await estates();
    const noPurpose = await fx.t.gql(SEARCH, { q: estate }, { purpose: null });
    expect(noPurpose.errors?.[0]?.extensions?.code).toBe('PURPOSE_REQUIRED');
    const places = await fx.t.gql(SEARCH, { q: estate, types: ['BUILDING'] }, { purpose: null });
    expect(places.errors).toBeUndefined();
    expect(places.data!.search.edges.length).toBeGreaterThan(0);
    const dashboard = await fx.t.token({ role: 'dashboard' });
    const res = await fx.t.gql(SEARCH, { q: estate }, dashboard);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('filters by street and by case status narrow the hits', async () => {
    const street = await fx.db.knex('area').where({ level: 'street', name: '仓前街道' }).first();
    const res = await fx.t.gql(SEARCH, { q: '', types: ['BUILDING'], first: 100, filter: { area: { streetId: toGlobalId('Area', String(street.id)) } } });
    expect(res.errors).toBeUndefined();
    const expected = Number((await fx.db.knex('building').where('street_id', street.id).count({ n: '*' }))[0]!.n);
    expect(res.data!.search.totalCount).toBe(expected);
    const closed = await fx.t.gql(SEARCH, { q: '', types: ['CASE'], first: 100, filter: { caseStatus: ['CLOSED'] } });
    const closedCount = Number((await fx.db.knex('case').where('status', 'closed').count({ n: '*' }))[0]!.n);
    expect(closed.data!.search.totalCount).toBe(closedCount);
  });
}

/** The run's synced world, indexed, and a hub searching it; set up before the suite's tests. */
function searchHubFixture(openWorld: () => Promise<{ db: Database }>, elasticsearchUrl: () => string | undefined = () => undefined) {
  const fx = {} as { db: Database; t: TestHub; backend: SearchBackend };
  beforeAll(async () => {
    ({ db: fx.db } = await openWorld());
    const { backend, indexer } = await searchEngine(fx.db.knex, elasticsearchUrl());
    await indexer.prepare();
    await backend.refresh();
    fx.backend = backend;
    fx.t = await startTestHub(fx.db, { search: backend });
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await fx.t?.stop();
    await fx.backend?.close();
    await fx.db?.close();
  });
  return fx;
}

describeEachDatabase('GraphQL search on the built-in PostgreSQL backend', ({ openWorld }) => {
  const fx = searchHubFixture(openWorld);
  graphqlSearchSuite(fx);

  test('a renamed person is found by the new name once the indexer has read the outbox', async () => {
    const p = await fx.db.knex('person').orderBy('id').offset(3).first();
    await fx.db.knex('person').where('id', p.id).update({ name: '欧阳晓燕' });
    await fx.db.knex('change_event').insert({ entity_type: 'person', entity_id: p.id, change: 'updated' });
    const before = await fx.t.gql(SEARCH, { q: '欧阳晓燕', types: ['PERSON'] });
    expect((before.data!.search.edges as Edge[]).some((e) => e.node.id === toGlobalId('Person', String(p.id)))).toBe(false);
    const { indexer } = await searchEngine(fx.db.knex, undefined);
    await indexer.catchUp();
    const after = await fx.t.gql(SEARCH, { q: 'ouyangxiaoyan', types: ['PERSON'] });
    expect((after.data!.search.edges as Edge[])[0]?.node).toMatchObject({ id: toGlobalId('Person', String(p.id)), name: '欧阳晓燕' });
  });
});

describe('GraphQL search when the engine is down', () => {
  test('answers SERVICE_UNAVAILABLE with what to do, and other queries still work', async () => {
    const db = await openTestDatabase('pglite');
    const dead = createSearchBackend({ knex: db.knex, context: await loadSearchContext(db.knex), elasticsearchUrl: 'http://127.0.0.1:9' });
    const t = await startTestHub(db, { search: dead });
    try {
      const res = await t.gql(SEARCH, { q: '王春雷' });
      expect(res.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.errors?.[0]?.message).toMatch(/try again/);
      const other = await t.gql('{ viewer { role } }');
      expect(other.errors).toBeUndefined();
      const ready = await fetch(t.hub.url.replace('/graphql', '/readyz'));
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.search).toMatch(/elasticsearch unreachable/);
    } finally {
      await t.stop();
      await dead.close();
      await db.close();
    }
  }, 60_000);
});

const esRunnable = findJava() !== null || process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1';
(esRunnable ? describe : describe.skip)('GraphQL search on Elasticsearch [elasticsearch]', () => {
  let node: ElasticsearchNode;
  beforeAll(async () => {
    node = await sharedElasticsearch();
  }, 600_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);
  const fx = searchHubFixture(() => openTestWorld('pglite'), () => node.url);
  graphqlSearchSuite(fx);
});
