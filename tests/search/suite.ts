/**
 * The search backend contract, one suite for every backend: tests/search/postgres.test.ts runs it
 * on PGlite and PostgreSQL, tests/search/elasticsearch.test.ts on a real Elasticsearch node.
 * Data: the synced tiny world, as `npm start` leaves it, plus a few people with names the suite
 * needs (fixtures.ts).
 */
import type { Knex } from 'knex';
import type { Database } from '../../src/store/db.js';
import { loadSearchContext, SearchIndexer, type SearchBackend, type SearchContext, type SearchHit, type SearchRequest } from '../../src/search/index.js';
import { addSearchFixtures, EXTRA_PEOPLE, recordChange } from './fixtures.js';
import { createConsumerRegistry } from '../../src/events/consumers.js';
import { encodePosition } from '../../src/events/outbox.js';
import { pruneChangeEvents } from '../../src/store/retention.js';

export interface SuiteEnv {
  db: Database;
  backend: SearchBackend;
  context: SearchContext;
  indexer: SearchIndexer;
}

/** Opens a canonical store holding a synced world, and a backend over it (not yet prepared). */
export type OpenEnv = () => Promise<{ db: Database; makeBackend: (context: SearchContext) => SearchBackend; close?: () => Promise<void> }>;

const keys = (hits: SearchHit[]) => hits.map((h) => `${h.type}:${h.id}`);

async function one(knex: Knex, sql: string, bindings: unknown[] = []): Promise<any> {
  const r = await knex.raw(sql, bindings as any[]);
  return r.rows[0];
}

async function all(knex: Knex, sql: string, bindings: unknown[] = []): Promise<any[]> {
  return (await knex.raw(sql, bindings as any[])).rows;
}

/** Every hit of a request, page by page. */
async function everyHit(backend: SearchBackend, request: SearchRequest, pageSize = 100): Promise<SearchHit[]> {
  const out: SearchHit[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await backend.search({ ...request, first: pageSize, after, facets: false });
    out.push(...page.hits);
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

export function searchBackendSuite(openEnv: OpenEnv): void {
  let env: SuiteEnv;
  let knex: Knex;
  let closeExtra: (() => Promise<void>) | undefined;
  /** The fixture people's ids start here; the world's own people come before. */
  let fixtureFrom: number;
  const search = (request: Omit<SearchRequest, 'scope'> & { scope?: SearchRequest['scope'] }) => env.backend.search({ scope: 'district', ...request });

  beforeAll(async () => {
    const opened = await openEnv();
    knex = opened.db.knex;
    closeExtra = opened.close;
    fixtureFrom = (await addSearchFixtures(knex)).firstFixtureId;
    const context = await loadSearchContext(knex);
    const backend = opened.makeBackend(context);
    const indexer = new SearchIndexer({
      knex, backend, context: () => env.context,
      refreshContext: async () => {
        env.context = await loadSearchContext(knex);
        env.backend.setContext(env.context);
      },
    });
    env = { db: opened.db, backend, context, indexer };
    const { rebuilt } = await indexer.prepare();
    const entities = await one(knex, `select (select count(*) from person) + (select count(*) from building) + (select count(*) from enterprise) + (select count(*) from "case") as n`);
    expect(rebuilt?.documents).toBe(Number(entities.n));
  }, 300_000);

  afterAll(async () => {
    await env?.backend.close();
    await closeExtra?.();
  }, 60_000);

  describe('people', () => {
    test('a name, its pinyin, initials and homophones find the same person', async () => {
      const target = await one(knex, `select id, name from person where name = '张家豪' order by id limit 1`);
      const same = (await all(knex, `select id from person where name = '张家豪'`)).map((r) => `person:${r.id}`).sort();
      for (const [query, reason] of [['张家豪', 'name'], ['zhangjiahao', 'pinyin'], ['ZhangJiaHao', 'pinyin'], ['zhang jia hao', 'pinyin'],
        ['张家毫', 'pinyin'], ['张加豪', 'pinyin'], ['ｚｈａｎｇｊｉａｈａｏ', 'pinyin']] as const) {
        const r = await search({ query, types: ['person'] });
        expect([query, keys(r.hits.slice(0, same.length)).sort()]).toEqual([query, same]);
        expect([query, r.hits[0]?.reasons[0]]).toEqual([query, reason]);
        expect(r.hits[0]?.highlights).toContainEqual({ field: 'name', fragment: '<em>张家豪</em>' });
      }
      const byInitials = await everyHit(env.backend, { query: 'zjh', scope: 'district', types: ['person'] });
      expect(keys(byInitials)).toEqual(expect.arrayContaining(same));
      expect(byInitials.every((h) => h.reasons.includes('initials'))).toBe(true);
      expect(target.name).toBe('张家豪');
    });

    test('the exact name ranks above homophones, homophones above typos', async () => {
      const r = await search({ query: '张家豪', types: ['person'], first: 50 });
      const exact = r.hits.filter((h) => h.title === '张家豪');
      const rest = r.hits.filter((h) => h.title !== '张家豪');
      expect(exact.length).toBeGreaterThan(0);
      expect(Math.min(...exact.map((h) => h.score))).toBeGreaterThan(Math.max(0, ...rest.map((h) => h.score)));
      expect(rest.some((h) => h.reasons[0] === 'typo')).toBe(true); // 张梓豪, one character off
    });

    test('typos: a wrong character, and a letter wrong, missing, extra or swapped in the pinyin', async () => {
      const same = (await all(knex, `select id from person where name = '张家豪'`)).map((r) => `person:${r.id}`);
      for (const query of ['张家象', 'zhangjiahai', 'zhangjiaho', 'zhangjiahaoo', 'zhangjiahoa', 'zhnagjiahao']) {
        const r = await search({ query, types: ['person'] });
        expect([query, keys(r.hits)]).toEqual([query, expect.arrayContaining(same)]);
        expect([query, r.hits.find((h) => h.title === '张家豪')?.reasons[0]]).toEqual([query, 'typo']);
      }
      // Two letters off is no longer the same name.
      const far = await search({ query: 'zhangjiaxoa', types: ['person'] });
      expect(far.hits.some((h) => h.title === '张家豪')).toBe(false);
    });

    test('polyphonic surnames: the surname reading first, the ordinary reading as well', async () => {
      const cases: Array<[string, string[], string[]]> = [
        ['单田芳', ['shantianfang', 'stf'], ['dantianfang']],
        ['曾小贤', ['zengxiaoxian', 'zxx'], ['cengxiaoxian']],
        ['解晓东', ['xiexiaodong'], ['jiexiaodong']],
        ['吕秀英', ['lvxiuying', 'lxy'], ['luxiuying']],
      ];
      for (const [name, primary, alt] of cases) {
        for (const q of primary) {
          const hits = await everyHit(env.backend, { query: q, scope: 'district', types: ['person'] });
          expect([q, hits.some((h) => h.title === name)]).toEqual([q, true]);
        }
        for (const q of alt) {
          const r = await search({ query: q, types: ['person'] });
          const hit = r.hits.find((h) => h.title === name);
          expect([q, hit?.reasons[0]]).toEqual([q, 'pinyin']);
          const viaPrimary = (await search({ query: primary[0] as string, types: ['person'] })).hits.find((h) => h.title === name);
          expect(viaPrimary!.score).toBeGreaterThan(hit!.score);
        }
      }
    });

    test('ID number whole and by its last 4-6 characters; phone whole and by its last 4 digits', async () => {
      const p = EXTRA_PEOPLE[0];
      for (const query of [p.id_number, p.id_number.toLowerCase(), p.id_number.slice(-6), p.id_number.slice(-5).toLowerCase(), p.id_number.slice(-4)]) {
        const r = await search({ query });
        const hit = r.hits.find((h) => h.title === p.name);
        expect([query, hit?.reasons[0]]).toEqual([query, query.length === 18 ? 'id_number' : 'id_suffix']);
        expect(hit?.score).toBe(r.hits[0]?.score);
        // Never highlighted: the viewer's masking decides what of an ID number is shown.
        expect(JSON.stringify(hit?.highlights)).not.toContain(p.id_number.slice(-4));
      }
      expect((await search({ query: p.id_number })).totalCount).toBe(1);
      for (const query of [p.phone, '139-0000-0001', '+86 139 0000 0001']) {
        const r = await search({ query });
        expect([query, r.hits[0]?.title, r.hits[0]?.reasons[0]]).toEqual([query, p.name, 'phone']);
      }
      const bySuffix = await search({ query: p.phone.slice(-4), types: ['person'], first: 50 });
      expect(bySuffix.hits.find((h) => h.title === p.name)?.reasons).toEqual(['phone']);
    });
  });

  describe('addresses', () => {
    test('every way of writing one flat finds the people living there', async () => {
      const d = await one(knex, `select d.id, a.text, a.estate, a.building_no, a.unit, a.room, s.name as street, c.name as community
        from dwelling d join address a on a.id = d.address_id join area s on s.id = a.street_id join area c on c.id = a.community_id
        where a.unit is not null and exists (select 1 from person p where p.dwelling_id = d.id)
          and d.id not in (select dwelling_id from person where id >= ?) order by d.id limit 1 offset 20`, [fixtureFrom]);
      const residents = (await all(knex, 'select id from person where dwelling_id = ?', [d.id])).map((r) => `person:${r.id}`).sort();
      const cn = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
      const styles = [
        d.text,
        `${d.estate}${d.building_no}幢${d.unit}单元${d.room}`,
        `${d.estate}${d.building_no}-${d.unit}-${d.room}`,
        `${String(d.street).replace(/街道$/, '')}${String(d.community).replace(/社区$/, '')}${d.estate}${d.building_no}-${d.unit}-${d.room}`,
        `${d.street}${d.estate}小区${d.building_no}栋${d.unit}单元${d.room}室`,
        `${d.estate}${cn[Number(d.building_no)]}幢${cn[Number(d.unit)]}单元${d.room}室`,
        ` ${d.estate}${d.building_no}幢 ${d.unit}单元 ${d.room} `.normalize('NFKC').replace(/\d/g, (x) => String.fromCharCode(0xff10 + Number(x))),
      ];
      for (const query of styles) {
        const r = await search({ query });
        const top = r.hits.filter((h) => h.reasons[0] === 'address' && h.type === 'person');
        expect([query, keys(top).sort()]).toEqual([query, residents]);
        expect(r.hits[0]?.highlights.find((h) => h.field === 'address')?.fragment).toMatch(new RegExp(`<em>[^<]*${d.estate}`));
      }
    });

    test('a village house written with and without its village and group marker', async () => {
      const d = await one(knex, `select d.id, a.estate, a.building_no, a.room, c.name as village
        from dwelling d join address a on a.id = d.address_id join area c on c.id = a.community_id
        where c.kind = 'village' and a.estate like '%组' and exists (select 1 from person p where p.dwelling_id = d.id) order by d.id limit 1 offset 3`);
      const residents = (await all(knex, 'select id from person where dwelling_id = ?', [d.id])).map((r) => `person:${r.id}`).sort();
      for (const query of [`${d.village}${d.estate}${d.building_no}号${d.room}室`, `${d.estate}${d.building_no}号${d.room}`, `${d.village}${String(d.estate).replace(/组$/, '')}${d.building_no}号${d.room}`]) {
        const r = await search({ query, types: ['person'] });
        expect([query, keys(r.hits.filter((h) => h.reasons[0] === 'address')).sort()]).toEqual([query, residents]);
      }
    });

    test('a building first, then what is in it', async () => {
      const b = await one(knex, `select b.id, b.name, a.estate, a.building_no from building b join address a on a.id = b.address_id
        where exists (select 1 from person p where p.building_id = b.id) and a.estate not like '%组' order by b.id limit 1 offset 5`);
      for (const query of [b.name, `${b.estate}${b.building_no}号楼`, `${b.estate}${b.building_no}栋`]) {
        const r = await search({ query });
        expect([query, r.hits[0]?.type, r.hits[0]?.id]).toEqual([query, 'building', String(b.id)]);
        expect(r.hits.slice(1).every((h) => h.reasons.includes('address'))).toBe(true);
      }
    });
  });

  describe('enterprises and cases', () => {
    test('enterprise by name, part of it, credit code and legal representative', async () => {
      const e = await one(knex, `select id, name, credit_code, legal_representative from enterprise where name like '%贸易有限公司' order by id limit 1`);
      // The short name people say: 杭州钱百贸易有限公司 → 钱百贸易.
      const short = String(e.name).slice(-8, -4);
      expect((await search({ query: e.name })).hits[0]).toMatchObject({ type: 'enterprise', id: String(e.id), reasons: expect.arrayContaining(['name']) });
      const partial = await search({ query: short });
      expect(partial.hits.every((h) => h.type === 'enterprise' && h.title.includes(short))).toBe(true);
      expect(partial.hits.length).toBe(Number((await one(knex, `select count(*)::int as n from enterprise where name like ?`, [`%${short}%`])).n));
      expect(partial.hits[0]?.highlights).toContainEqual({ field: 'name', fragment: expect.stringContaining(`<em>${short}</em>`) });
      const byCode = await search({ query: String(e.credit_code).toLowerCase() });
      expect(byCode.hits[0]).toMatchObject({ type: 'enterprise', id: String(e.id), reasons: ['credit_code'] });
      const byRep = await search({ query: e.legal_representative, types: ['enterprise'] });
      expect(keys(byRep.hits)).toContain(`enterprise:${e.id}`);
      expect(byRep.hits.find((h) => h.id === String(e.id))?.reasons[0]).toBe('legal_representative');
    });

    test('cases by number, by their words, filtered by status and category, and near a place', async () => {
      const c = await one(knex, `select id, number, title, status, category, lat, lng from "case" order by id limit 1`);
      for (const query of [c.number, String(c.number).toLowerCase(), String(c.number).replace(/-/g, '')]) {
        expect((await search({ query })).hits[0]).toMatchObject({ type: 'case', id: String(c.id), reasons: ['case_number'] });
      }
      const words = await search({ query: '电瓶车 充电', types: ['case'] });
      const expected = Number((await one(knex, `select count(*)::int as n from "case" where title like '%电瓶车%充电%' or description like '%电瓶车%充电%'`)).n);
      expect(words.totalCount).toBeGreaterThanOrEqual(expected);
      expect(words.hits[0]?.highlights.find((h) => h.field === 'text')?.fragment).toContain('<em>电瓶车</em>');
      const closed = await everyHit(env.backend, { query: '', scope: 'district', types: ['case'], filter: { caseStatuses: ['closed'] } });
      expect(closed.length).toBe(Number((await one(knex, `select count(*)::int as n from "case" where status = 'closed'`)).n));
      const cat = await search({ query: '', types: ['case'], filter: { caseCategories: [c.category] }, first: 0 });
      expect(cat.totalCount).toBe(Number((await one(knex, `select count(*)::int as n from "case" where category = ?`, [c.category])).n));
      const near = await everyHit(env.backend, { query: '', scope: 'district', types: ['case'], filter: { near: { lat: c.lat, lng: c.lng, radiusMeters: 150 } } });
      expect(keys(near)).toContain(`case:${c.id}`);
      const within = (await all(knex, `select id, lat, lng from "case"`)).filter((x) => {
        const dy = (x.lat - c.lat) * 111_320;
        const dx = (x.lng - c.lng) * 111_320 * Math.cos((c.lat * Math.PI) / 180);
        return Math.hypot(dx, dy) <= 140;
      });
      expect(near.length).toBeGreaterThanOrEqual(within.length);
      const nowhere = await search({ query: '', types: ['case'], filter: { near: { lat: 31.5, lng: 121.5, radiusMeters: 1000 } } });
      expect(nowhere.totalCount).toBe(0);
    });
  });

  describe('scope, filters and facets', () => {
    test("a grid worker's hits never leave the grid; a street operator's never leave the street", async () => {
      const grid = await one(knex, 'select id, street_id from grid order by id limit 1 offset 4');
      const inGrid = Number((await one(knex, `select (select count(*) from person where grid_id = ?) + (select count(*) from building where grid_id = ?)
        + (select count(*) from enterprise where grid_id = ?) + (select count(*) from "case" where grid_id = ?) as n`, [grid.id, grid.id, grid.id, grid.id])).n);
      const scoped = await search({ query: '', scope: { gridIds: [String(grid.id)] }, first: 0 });
      expect(scoped.totalCount).toBe(inGrid);
      expect(scoped.facets?.grid).toEqual([{ value: String(grid.id), count: inGrid }]);
      expect(scoped.facets?.street).toEqual([{ value: String(grid.street_id), count: inGrid }]);
      // Someone living elsewhere is not found, even by their exact ID number.
      const outsider = await one(knex, 'select id_number, name from person where grid_id <> ? and id_number is not null order by id limit 1', [grid.id]);
      expect((await search({ query: outsider.id_number, scope: { gridIds: [String(grid.id)] } })).totalCount).toBe(0);
      expect((await search({ query: outsider.id_number })).totalCount).toBe(1);
      // Every hit for a common name sits in the grid.
      const wang = await everyHit(env.backend, { query: 'wang', scope: { gridIds: [String(grid.id)] } });
      const gridOf = new Map((await all(knex, `select 'person:' || id as k, grid_id from person union all select 'building:' || id, grid_id from building
        union all select 'enterprise:' || id, grid_id from enterprise union all select 'case:' || id, grid_id from "case"`)).map((r) => [r.k, String(r.grid_id)]));
      expect(wang.length).toBeGreaterThan(0);
      expect(wang.every((h) => gridOf.get(`${h.type}:${h.id}`) === String(grid.id))).toBe(true);

      const street = await search({ query: '', scope: { streetIds: [String(grid.street_id)] }, first: 0 });
      expect(street.facets?.street).toEqual([{ value: String(grid.street_id), count: street.totalCount }]);
      const both = await search({ query: '', scope: { gridIds: [String(grid.id)], streetIds: [String(grid.street_id)] }, first: 0 });
      expect(both.totalCount).toBe(street.totalCount);
      expect((await search({ query: '', scope: {}, first: 0 })).totalCount).toBe(0);
      expect((await search({ query: '', scope: { gridIds: [], streetIds: [] }, first: 0 })).totalCount).toBe(0);
    });

    test('department roles see only the cases dispatched to them', async () => {
      const cases = await everyHit(env.backend, { query: '', scope: 'district', types: ['case'], casesOfDepartment: 'fire' });
      const fire = (await all(knex, `select distinct d.case_id from dispatch d join department dep on dep.id = d.department_id where dep.name = 'fire'`)).map((r) => `case:${r.case_id}`).sort();
      expect(keys(cases).sort()).toEqual(fire);
      // The restriction is on cases only: every person is still there.
      const people = await search({ query: '', types: ['person'], casesOfDepartment: 'fire', first: 0 });
      expect(people.totalCount).toBe(Number((await one(knex, 'select count(*)::int as n from person')).n));
    });

    test('area, tag, department and type filters; facets count every hit', async () => {
      const total = await search({ query: '', first: 0 });
      const counts = await one(knex, `select (select count(*) from person)::int as person, (select count(*) from building)::int as building,
        (select count(*) from enterprise)::int as enterprise, (select count(*) from "case")::int as "case"`);
      expect(Object.fromEntries(total.facets!.type.map((b) => [b.value, b.count]))).toEqual(counts);
      expect(total.totalCount).toBe(counts.person + counts.building + counts.enterprise + counts.case);
      expect(total.facets!.street.reduce((s, b) => s + b.count, 0)).toBe(total.totalCount);
      expect(total.facets!.district).toEqual([{ value: expect.any(String), count: total.totalCount }]);

      const community = await one(knex, `select id from area where level = 'community' order by id limit 1 offset 2`);
      const inCommunity = await search({ query: '', filter: { communityIds: [String(community.id)] }, first: 0 });
      expect(inCommunity.totalCount).toBe(Number((await one(knex, `select (select count(*) from person where community_id = ?) + (select count(*) from building where community_id = ?)
        + (select count(*) from enterprise where community_id = ?) + (select count(*) from "case" where community_id = ?) as n`, [community.id, community.id, community.id, community.id])).n));

      const tagged = await everyHit(env.backend, { query: '', scope: 'district', filter: { tags: ['disabled'] } });
      expect(keys(tagged).sort()).toEqual((await all(knex, `select person_id from person_tag where tag = 'disabled'`)).map((r) => `person:${r.person_id}`).sort());
      const tagFacet = total.facets!.tag.find((b) => b.value === 'disabled');
      expect(tagFacet?.count).toBe(tagged.length);
      const hidden = await search({ query: '', first: 0, tagsVisible: false });
      expect(hidden.facets!.tag).toEqual([]);
      await expect(search({ query: '', filter: { tags: ['disabled'] }, tagsVisible: false })).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });

      const court = await search({ query: '', types: ['person'], filter: { departments: ['court'] }, first: 0 });
      const courtPeople = Number((await one(knex, `select count(distinct x.entity_id)::int as n from (select entity_id, department_id from source_record where entity_type = 'person'
        union all select l.entity_id, r.department_id from source_link l join source_record r on r.id = l.source_record_id where l.entity_type = 'person') x
        join department d on d.id = x.department_id where d.name = 'court'`)).n);
      expect(court.totalCount).toBe(courtPeople);
      expect(total.facets!.department.find((b) => b.value === 'population')?.count).toBeGreaterThan(counts.person / 2);
      // A grid worker sees population, housing and fire records: the facet never mentions the court.
      const visible = ['fire', 'housing', 'population'];
      const limited = await search({ query: '', first: 0, departmentsVisible: visible });
      expect(limited.facets!.department.map((b) => b.value).sort()).toEqual(total.facets!.department.map((b) => b.value).filter((v) => visible.includes(v)).sort());
      await expect(search({ query: '', filter: { departments: ['court'] }, departmentsVisible: visible })).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });

      const onlyEnterprises = await search({ query: '杨', types: ['enterprise'], first: 0 });
      expect(onlyEnterprises.facets!.type.every((b) => b.value === 'enterprise')).toBe(true);
    });
  });

  describe('paging', () => {
    test('first/after walks every hit once, in score order; cursors belong to their search', async () => {
      const request: SearchRequest = { query: 'wang', scope: 'district' };
      const one100 = await env.backend.search({ ...request, first: 100 });
      const walked = await everyHit(env.backend, request, 37);
      expect(walked.length).toBe(one100.totalCount);
      expect(new Set(keys(walked)).size).toBe(walked.length);
      expect(keys(walked.slice(0, 100))).toEqual(keys(one100.hits));
      for (let i = 1; i < walked.length; i++) expect(walked[i - 1]!.score).toBeGreaterThanOrEqual(walked[i]!.score);
      const cursor = one100.pageInfo.endCursor;
      await expect(env.backend.search({ query: 'li', scope: 'district', after: cursor })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      await expect(env.backend.search({ ...request, after: 'nonsense' })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      await expect(env.backend.search({ ...request, first: 101 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      const none = await env.backend.search({ ...request, first: 0 });
      expect(none.hits).toEqual([]);
      expect(none.totalCount).toBe(one100.totalCount);
    });
  });

  describe('keeping fresh', () => {
    test('the outbox brings renames, new people, moves and deletions into the index', async () => {
      const p = await one(knex, `select id, name from person where id = 3`);
      await knex('person').where('id', p.id).update({ name: '欧阳春雷' });
      await recordChange(knex, 'person', p.id);
      const newId = Number((await one(knex, 'select max(id) + 1 as id from person')).id);
      const home = await one(knex, `select d.id as dwelling_id, d.building_id, b.street_id, b.community_id, b.grid_id, b.district_id, a.text
        from dwelling d join building b on b.id = d.building_id join address a on a.id = d.address_id order by d.id desc limit 1`);
      const { text: _text, ...placed } = home;
      await knex('person').insert({ id: newId, name: '司马相如', id_number: '330110199901010018', residence_type: 'hukou', ...placed });
      await recordChange(knex, 'person', newId);
      const gone = await one(knex, `select id from person where name = ?`, [EXTRA_PEOPLE[2].name]);
      await knex('person').where('id', gone.id).delete();
      await recordChange(knex, 'person', gone.id);
      const result = await env.indexer.catchUp();
      expect(result.events).toBe(3);
      expect(result.removed).toBe(1);

      expect((await search({ query: 'ouyangchunlei' })).hits[0]).toMatchObject({ id: String(p.id), reasons: ['pinyin'] });
      // The old name may still find them through another department's record of it, but never as their name.
      const byOldName = (await search({ query: p.name, types: ['person'], first: 100 })).hits.find((h) => h.id === String(p.id));
      expect(byOldName === undefined || (byOldName.title === '欧阳春雷' && byOldName.reasons[0] !== 'name')).toBe(true);
      const sima = await search({ query: 'smxr' });
      expect(sima.hits[0]).toMatchObject({ type: 'person', id: String(newId), subtitle: home.text });
      expect((await search({ query: EXTRA_PEOPLE[2].name })).hits.some((h) => h.id === String(gone.id))).toBe(false);

      // Moving house: the dwelling's outbox event re-indexes its residents.
      const flat = await one(knex, `select d.id, d.building_id, a.estate, a.building_no, a.unit, a.room from dwelling d join address a on a.id = d.address_id
        where a.unit is not null and d.id <> ? order by d.id limit 1 offset 100`, [home.dwelling_id]);
      await knex('person').where('id', newId).update({ dwelling_id: flat.id, building_id: flat.building_id });
      await recordChange(knex, 'dwelling', flat.id);
      await env.indexer.catchUp();
      const there = await search({ query: `${flat.estate}${flat.building_no}-${flat.unit}-${flat.room}`, types: ['person'] });
      expect(keys(there.hits)).toContain(`person:${newId}`);
      expect((await env.indexer.catchUp()).events).toBe(0);
    });

    test('a new estate is found by its address once its building reaches the outbox', async () => {
      const community = await one(knex, `select c.id, c.parent_id as street_id, g.id as grid_id, c.parent_id, s.name as street from area c join grid g on g.community_id = c.id
        join area s on s.id = c.parent_id where c.kind = 'community' order by c.id limit 1`);
      const district = await one(knex, `select id from area where level = 'district'`);
      const area = { district_id: district.id, street_id: community.street_id, community_id: community.id };
      const [{ id: buildingAddress }] = await knex('address').insert({ ...area, estate: '新月苑', building_no: '1', text: `${community.street}新月苑1幢`, normalized: 'search-test|新月苑|1' }).returning('id');
      const [{ id: flatAddress }] = await knex('address').insert({ ...area, estate: '新月苑', building_no: '1', unit: '1', room: '101', text: `${community.street}新月苑1幢1单元101室`, normalized: 'search-test|新月苑|1|1|101' }).returning('id');
      const [{ id: building }] = await knex('building').insert({ ...area, grid_id: community.grid_id, name: '新月苑1幢', address_id: buildingAddress, use: 'residential' }).returning('id');
      const [{ id: dwelling }] = await knex('dwelling').insert({ building_id: building, address_id: flatAddress, unit: '1', room: '101', occupancy: 'owner_occupied' }).returning('id');
      const personId = Number((await one(knex, 'select max(id) + 1 as id from person')).id);
      await knex('person').insert({ id: personId, name: '新住户', residence_type: 'hukou', dwelling_id: dwelling, building_id: building, ...area, grid_id: community.grid_id });
      expect((await search({ query: '新月苑1-1-101' })).totalCount).toBe(0);
      await recordChange(knex, 'building', building);
      await recordChange(knex, 'person', personId);
      await env.indexer.catchUp();
      const r = await search({ query: '新月苑1-1-101' });
      expect(r.hits[0]).toMatchObject({ type: 'person', id: String(personId), reasons: ['address'] });
      expect((await search({ query: '新月苑1号楼' })).hits[0]).toMatchObject({ type: 'building', id: String(building) });
    });

    test('an outbox id that commits late (a slow transaction) is not skipped', async () => {
      const top = Number((await one(knex, 'select coalesce(max(id), 0) as id from change_event')).id);
      const a = await one(knex, `select id from person where id = 5`);
      const b = await one(knex, `select id from person where id = 6`);
      await knex('person').where('id', a.id).update({ name: '诸葛先到' });
      await recordChange(knex, 'person', a.id, top + 5); // committed first, with the later id
      await env.indexer.catchUp();
      expect((await search({ query: '诸葛先到' })).hits[0]?.id).toBe(String(a.id));
      await knex('person').where('id', b.id).update({ name: '诸葛后到' });
      await recordChange(knex, 'person', b.id, top + 2); // the slow one
      await env.indexer.catchUp();
      expect((await search({ query: '诸葛后到' })).hits[0]?.id).toBe(String(b.id));
      await knex.raw(`select setval(pg_get_serial_sequence('change_event', 'id'), (select max(id) from change_event))`);
    });

    test('an outbox row is not passed while an older transaction that may still write in front of it runs', async () => {
      // PGlite has one connection: its transactions never overlap, so there is nothing to race.
      if (env.db.kind === 'pglite') return;
      const a = await one(knex, `select id from person where id = 8`);
      const b = await one(knex, `select id from person where id = 9`);
      const slow = await knex.transaction();
      try {
        await slow('person').where('id', a.id).update({ name: '夏侯慢交' });
        await recordChange(slow, 'person', a.id); // the lower id, in the older transaction
        await knex('person').where('id', b.id).update({ name: '夏侯快交' });
        await recordChange(knex, 'person', b.id);
        const before = (await env.backend.readState()).position;
        await env.indexer.catchUp();
        expect((await env.backend.readState()).position).toBe(before);
        expect((await search({ query: '夏侯快交' })).totalCount).toBe(0);
        await slow.commit();
      } finally {
        if (!slow.isCompleted()) await slow.rollback();
      }
      await env.indexer.catchUp();
      expect((await search({ query: '夏侯慢交' })).hits[0]?.id).toBe(String(a.id));
      expect((await search({ query: '夏侯快交' })).hits[0]?.id).toBe(String(b.id));
    });

    test('a notice is read up to its position before the indexer rests', async () => {
      const c = await one(knex, `select id from person where id = 10`);
      await knex('person').where('id', c.id).update({ name: '东方告知' });
      const [row] = await knex('change_event').insert({ entity_type: 'person', entity_id: String(c.id), change: 'updated', department_id: null })
        .returning([knex.raw('id'), knex.raw('tx::text as tx')]);
      env.indexer.start({ intervalMs: 60_000 });
      try {
        env.indexer.notify(`${String(row.tx)}:${String(row.id)}`);
        const deadline = Date.now() + 10_000;
        while ((await env.backend.readState()).position !== `${String(row.tx)}:${String(row.id)}` && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      } finally {
        await env.indexer.stop();
      }
      await env.backend.refresh();
      expect((await search({ query: '东方告知' })).hits[0]?.id).toBe(String(c.id));
    });

    test('positions are compare-and-set', async () => {
      const state = await env.backend.readState();
      expect(await env.backend.writeState({ ...state, position: '999999' }, { ...state, position: String(Number(state.position) - 1) })).toBe(false);
      expect(await env.backend.writeState({ ...state }, state)).toBe(true);
    });

    test('a rebuild serves the old generation until it swaps, and keeps what changed meanwhile', async () => {
      const before = await env.backend.status();
      const changed = await one(knex, 'select id from person where id = 7');
      const meanwhile: { run: Promise<{ hits: number; generation: string | null }> | null } = { run: null };
      // Searches keep being answered throughout, the swap included.
      const errors: string[] = [];
      let searches = 0;
      let rebuilding = true;
      const load = (async () => {
        while (rebuilding) {
          try {
            if ((await search({ query: 'zhangjiahao', first: 5 })).totalCount === 0) errors.push('no hits');
            searches++;
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
      })();
      const rebuilt = await env.indexer.rebuild({
        pageSize: 400,
        onProgress: (p) => {
          if (meanwhile.run === null && p.type === 'person') {
            meanwhile.run = (async () => {
              const hits = (await search({ query: 'zhangjiahao', first: 0 })).totalCount;
              const generation = (await env.backend.status()).generation;
              await knex('person').where('id', changed.id).update({ name: '上官换名' });
              await recordChange(knex, 'person', changed.id);
              return { hits, generation };
            })();
          }
        },
      });
      // Searches during the rebuild were answered by the old generation.
      rebuilding = false;
      await load;
      expect(errors).toEqual([]);
      expect(searches).toBeGreaterThan(0);
      const seen = await meanwhile.run;
      expect(seen).toEqual({ hits: expect.any(Number), generation: before.generation });
      expect(seen?.hits).toBeGreaterThan(0);
      const after = await env.backend.status();
      expect(after.generation).not.toBe(before.generation);
      expect(after.current).toBe(true);
      expect(after.documents).toBe(before.documents);
      expect(rebuilt.documents).toBe(after.documents);
      await env.indexer.catchUp();
      expect((await search({ query: 'shangguanhuanming' })).hits[0]?.id).toBe(String(changed.id));
    });
  });

  describe('retention', () => {
    test('the indexer registers its position as an outbox consumer, and pruning never drops an event it has not applied', async () => {
      await env.indexer.catchUp();
      const consumer = async () => (await createConsumerRegistry(knex).list('change_event')).find((c) => c.name === `search:${env.backend.kind}`);
      expect(encodePosition((await consumer())!.position)).toBe((await env.backend.readState()).position);

      const p = await one(knex, `select id from person where id = 11`);
      await knex('person').where('id', p.id).update({ name: '端木留存' });
      await recordChange(knex, 'person', p.id);
      // No minimum age: only the indexer's position holds the event back.
      const pending = await pruneChangeEvents(knex, { minAgeMs: 0, staleMs: 86_400_000 });
      expect(pending.slowest).toBe(`search:${env.backend.kind}`);
      const [{ n }] = await all(knex, `select count(*)::int as n from change_event where entity_id = ? and entity_type = 'person'`, [p.id]);
      expect(n).toBeGreaterThanOrEqual(1);

      // Applied, then reported, then prunable.
      await env.indexer.catchUp();
      expect((await search({ query: '端木留存' })).hits[0]?.id).toBe(String(p.id));
      expect(encodePosition((await consumer())!.position)).toBe((await env.backend.readState()).position);
      await pruneChangeEvents(knex, { minAgeMs: 0, staleMs: 86_400_000 });
      const [{ n: after }] = await all(knex, `select count(*)::int as n from change_event where entity_id = ? and entity_type = 'person'`, [p.id]);
      expect(after).toBe(0);
    });
  });
}
